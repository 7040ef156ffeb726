"""The stratified estimators against the published worked examples and hand-made edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from landcover.accuracy.estimators import (
    Z95,
    StratifiedSample,
    allocate,
    disagreement,
    estimate_accuracy,
    sample_size,
)
from landcover.errors import InputError


def _from_counts(counts: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Map and reference labels of a sample given as an error matrix of counts (rows = map)."""
    m, r = [], []
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            m += [i] * n
            r += [j] * n
    return np.array(m), np.array(r)


def _olofsson_2014() -> tuple[StratifiedSample, float]:
    """Olofsson et al. 2014, Table 8: deforestation, forest gain, stable forest, non-forest."""
    m, r = _from_counts([[66, 0, 5, 4], [0, 55, 8, 12], [1, 0, 153, 11], [2, 1, 9, 313]])
    hectares = np.array([200_000, 150_000, 3_200_000, 6_450_000]) * 0.09  # 30 m pixels
    return StratifiedSample(m.copy(), m, r, hectares, 4), float(hectares.sum())


def test_olofsson_2014_areas_tables_9_10() -> None:
    sample, total = _olofsson_2014()
    res = estimate_accuracy(sample)
    areas = [p.value * total for p in res.proportions]
    half = [p.half_width * total for p in res.proportions]
    # Published (p. 54): 21,158 +/- 6,158 ha of deforestation; 11,686 +/- 3,756 of gain;
    # 285,770 +/- 15,510 of stable forest; 581,386 +/- 16,282 of stable non-forest.
    assert np.round(areas).tolist() == [21158, 11686, 285770, 581386]
    assert half == pytest.approx([6157.5, 3755.8, 15509.6, 16281.4], abs=0.1)
    assert res.matrix.sum() == pytest.approx(1.0)
    assert res.matrix.sum(axis=1) == pytest.approx(hectares_share(sample))


def hectares_share(sample: StratifiedSample) -> np.ndarray:
    return sample.stratum_sizes / sample.stratum_sizes.sum()


def test_olofsson_2014_accuracies() -> None:
    sample, _ = _olofsson_2014()
    res = estimate_accuracy(sample)
    # Published: users' 0.88, 0.73, 0.93, 0.96; producers' 0.75, 0.85, 0.93, 0.96; overall 0.95.
    assert [u.value for u in res.users] == pytest.approx([0.88, 0.733333, 0.927273, 0.963077])
    assert [p.value for p in res.producers] == pytest.approx(
        [0.748661, 0.847156, 0.934509, 0.961609], abs=1e-6
    )
    assert [u.half_width for u in res.users] == pytest.approx(
        [0.074040, 0.100755, 0.039745, 0.020533], abs=1e-6
    )
    assert [p.half_width for p in res.producers] == pytest.approx(
        [0.213306, 0.254404, 0.034324, 0.018361], abs=1e-6
    )
    assert res.overall.value == pytest.approx(0.946512, abs=1e-6)
    assert res.overall.half_width == pytest.approx(0.018483, abs=1e-6)


def test_olofsson_2013_example_1() -> None:
    """Olofsson et al. 2013 (RSE 129), example 1: eqs. 9-16 in pixels."""
    m, r = _from_counts([[97, 0, 3], [3, 279, 18], [2, 1, 97]])
    sizes = np.array([22353, 1122543, 610228], dtype=float)
    res = estimate_accuracy(StratifiedSample(m.copy(), m, r, sizes, 3))
    total = sizes.sum()
    assert res.proportions[0].value * total == pytest.approx(45112.4, abs=0.5)
    assert res.proportions[0].se * total == pytest.approx(10751.9, abs=0.5)
    assert res.users[0].value == pytest.approx(0.97)
    assert res.producers[0].value == pytest.approx(0.480631, abs=1e-6)
    assert res.overall.value == pytest.approx(0.944417, abs=1e-6)


def _stehman_2014() -> StratifiedSample:
    """Stehman 2014's numerical example: 4 strata of 10 units that differ from the map classes."""
    code = {c: i for i, c in enumerate("ABCD")}
    mapped = "AAAAAAABBBABBBBBBBBBBBCCCCCCBBDDDDDDDDDD"
    ref = "AAAAACBABCABBBBBAABBCCCCCDDBBADDDDDDDCCB"
    strata = np.repeat(np.arange(4), 10)
    sizes = np.array([40000, 30000, 20000, 10000], dtype=float)
    m = np.array([code[c] for c in mapped])
    r = np.array([code[c] for c in ref])
    return StratifiedSample(strata, m, r, sizes, 4, stratum_units=sizes)


def test_stehman_2014_numerical_example() -> None:
    res = estimate_accuracy(_stehman_2014())
    # Published (pp. 4932-4936): area of A 0.35 (SE 0.082), of C 0.20 (SE 0.064), overall
    # 0.63 (SE 0.085), user's of B 0.574 (SE 0.125), producer's of B 0.794 (SE 0.117),
    # cell (B, C) of the matrix 0.08.
    assert res.proportions[0].value == pytest.approx(0.35)
    assert res.proportions[2].value == pytest.approx(0.20)
    assert res.overall.value == pytest.approx(0.63)
    assert res.users[1].value == pytest.approx(0.574468, abs=1e-6)
    assert res.producers[1].value == pytest.approx(0.794118, abs=1e-6)
    assert res.matrix[1, 2] == pytest.approx(0.08)
    assert res.proportions[0].se == pytest.approx(0.0822478, abs=1e-6)
    assert res.proportions[2].se == pytest.approx(0.0642798, abs=1e-6)
    assert res.overall.se == pytest.approx(0.0846422, abs=1e-6)
    assert res.users[1].se == pytest.approx(0.1247822, abs=1e-6)
    assert res.producers[1].se == pytest.approx(0.1165479, abs=1e-6)


def test_disagreement_sums_to_one_minus_overall() -> None:
    sample, _ = _olofsson_2014()
    res = estimate_accuracy(sample)
    assert res.quantity_disagreement + res.allocation_disagreement == pytest.approx(
        1 - res.overall.value
    )
    # Hand-made: map says 0.5/0.5, reference 0.3/0.7 with 0.1 of swapped allocation.
    q, a = disagreement(np.array([[0.2, 0.3], [0.1, 0.4]]))
    assert q == pytest.approx(0.2)
    assert a == pytest.approx(0.2)


def test_class_without_any_sample_is_nan_not_zero() -> None:
    """Class 2 exists in the legend but neither in the map nor the reference."""
    m, r = _from_counts([[8, 2, 0], [1, 9, 0], [0, 0, 0]])
    res = estimate_accuracy(StratifiedSample(m.copy(), m, r, np.array([60.0, 40.0, 0.0]), 3))
    assert np.isnan(res.users[2].value) and np.isnan(res.producers[2].value)
    assert res.proportions[2].value == 0.0
    assert res.proportions[0].value == pytest.approx(0.6 * 0.8 + 0.4 * 0.1)


def test_reference_class_absent_from_the_map() -> None:
    """Water (class 2) is never mapped but found at 2 of the points mapped as class 1."""
    m, r = _from_counts([[10, 0, 0], [0, 8, 2], [0, 0, 0]])
    res = estimate_accuracy(StratifiedSample(m.copy(), m, r, np.array([50.0, 50.0, 0.0]), 3))
    assert res.proportions[2].value == pytest.approx(0.5 * 0.2)
    assert res.producers[2].value == 0.0
    assert np.isnan(res.users[2].value)
    assert res.proportions[2].se == pytest.approx(0.5 * np.sqrt(0.2 * 0.8 / 9))


def test_stratum_with_one_unit_warns_and_adds_no_variance() -> None:
    m = np.array([0, 0, 0, 1])
    r = np.array([0, 1, 0, 0])
    res = estimate_accuracy(StratifiedSample(m.copy(), m, r, np.array([75.0, 25.0]), 2))
    assert res.warnings and "single labelled unit" in res.warnings[0]
    assert res.users[1].value == 0.0 and res.users[1].se == 0.0
    assert res.proportions[0].value == pytest.approx(0.75 * 2 / 3 + 0.25)


def test_stratum_without_units_is_refused() -> None:
    m = np.array([0, 0])
    with pytest.raises(InputError, match=r"strata \[1\] cover part of the map"):
        StratifiedSample(m.copy(), m, m, np.array([50.0, 50.0]), 2)


def test_confidence_interval_is_1_96_se() -> None:
    sample, _ = _olofsson_2014()
    res = estimate_accuracy(sample)
    lo, hi = res.overall.ci()
    assert hi - lo == pytest.approx(2 * Z95 * res.overall.se)
    assert Z95 == pytest.approx(1.959964, abs=1e-6)


def test_sample_size_olofsson_2014_example() -> None:
    """Olofsson 2014, section 5.1.1: W = 0.02, 0.015, 0.32, 0.645; U = 0.7, 0.6, 0.9, 0.95."""
    n = sample_size([0.02, 0.015, 0.32, 0.645], [0.7, 0.6, 0.9, 0.95], 0.01)
    assert n == 641


def test_allocation_gives_rare_classes_the_minimum() -> None:
    n = allocate(641, [0.02, 0.015, 0.32, 0.645], 50, [10**6] * 4)
    assert n[:2] == [50, 50]
    assert sum(n) == 641
    assert n[3] / n[2] == pytest.approx(0.645 / 0.32, rel=0.01)


def test_allocation_caps_at_the_pixels_available_and_skips_empty_strata() -> None:
    assert allocate(100, [0.5, 0.49, 0.01, 0.0], 20, [1000, 1000, 7, 0]) == [40, 40, 7, 0]
