"""Stratified estimators of map accuracy and area, written once.

The estimators of Stehman (2014, IJRS 35:4923-4939) for stratified random sampling, which hold
whether the strata are the map classes (then they are those of Olofsson et al. 2014, RSE
148:42-57) or not. Every quantity is a stratified total ``Y = sum_h N_h * mean_h(y)`` of an
indicator ``y`` of each sample unit, or a ratio of two such totals:

- cell ``p_ij`` of the error matrix: ``y = [map = i and reference = j]``, divided by ``N``;
- area proportion of class ``j``: ``y = [reference = j]``; overall accuracy: ``y = [map = ref]``;
- user's accuracy of ``i``: ``Y([map = ref = i]) / Y([map = i])``; producer's accuracy of ``j``:
  ``Y([map = ref = j]) / Y([reference = j])``.

Variances: ``V(Y/N) = sum_h W_h^2 s_yh^2 / n_h`` and, for a ratio ``R = Y / X``,
``V(R) = sum_h N_h^2 (s_yh^2 + R^2 s_xh^2 - 2 R s_xyh) / n_h / X^2`` (sample variances with
``n_h - 1``), each stratum's term times the finite-population correction ``1 - n_h / M_h``
when the number of units ``M_h`` (pixels) of each stratum is known. Stratum sizes ``N_h`` may be
in any unit (pixels, hectares). A stratum with a single sample unit has no
variance estimate: it adds none, and a warning says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from landcover.errors import InputError

Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class Estimate:
    """An estimate with its standard error; ``nan`` when not estimable (e.g. no sample)."""

    value: float
    se: float

    def ci(self, z: float = Z95) -> tuple[float, float]:
        """The confidence interval ``value -/+ z * se`` (95 % by default)."""
        return (self.value - z * self.se, self.value + z * self.se)

    @property
    def half_width(self) -> float:
        """Half the width of the 95 % confidence interval."""
        return Z95 * self.se


@dataclass(frozen=True)
class StratifiedSample:
    """Labelled sample units of a stratified random sample.

    Args:
        strata: stratum index ``0..H-1`` of each unit.
        mapped: map class ``0..K-1`` of each unit.
        reference: reference class ``0..K-1`` of each unit.
        stratum_sizes: size of each stratum (``H``), in any unit (pixels, hectares).
        num_classes: number of classes ``K``.
        stratum_units: units (pixels) in each stratum, for the finite-population correction;
            ``None``: no correction.
    """

    strata: np.ndarray
    mapped: np.ndarray
    reference: np.ndarray
    stratum_sizes: np.ndarray
    num_classes: int
    stratum_units: np.ndarray | None = None

    def fpc(self, n_h: np.ndarray) -> np.ndarray:
        """Finite-population correction ``1 - n_h / M_h`` of each stratum (1 without units)."""
        if self.stratum_units is None:
            return np.ones(len(n_h))
        units = np.maximum(np.asarray(self.stratum_units, np.float64), 1.0)
        return np.clip(1.0 - n_h / units, 0.0, 1.0)

    def __post_init__(self) -> None:
        n = len(self.strata)
        if len(self.mapped) != n or len(self.reference) != n:
            raise InputError("strata, map and reference labels must have one value per unit")
        h = len(self.stratum_sizes)
        if n and (self.strata.min() < 0 or self.strata.max() >= h):
            raise InputError(f"stratum indices must lie in 0..{h - 1}")
        for name, v in (("map", self.mapped), ("reference", self.reference)):
            if n and (v.min() < 0 or v.max() >= self.num_classes):
                raise InputError(f"{name} classes must lie in 0..{self.num_classes - 1}")
        counts = np.bincount(self.strata, minlength=h)
        empty = [i for i in range(h) if counts[i] == 0 and self.stratum_sizes[i] > 0]
        if empty:
            raise InputError(
                f"strata {empty} cover part of the map but have no labelled unit: every "
                "stratum needs at least 2 (the area they cover cannot be estimated otherwise)"
            )


@dataclass(frozen=True)
class AccuracyResult:
    """Accuracy and area estimated from a stratified sample.

    ``matrix[i, j]``: estimated share of the area mapped ``i`` whose reference is ``j``;
    ``proportions[j]``: estimated area share of reference class ``j`` (multiply by the total
    area for error-adjusted areas); ``users``/``producers``: per class, ``nan`` when no
    sample unit is mapped / referenced as that class; disagreement after Pontius and
    Millones (2011), from ``matrix``.
    """

    matrix: np.ndarray
    overall: Estimate
    users: list[Estimate]
    producers: list[Estimate]
    proportions: list[Estimate]
    quantity_disagreement: float
    allocation_disagreement: float
    units_per_stratum: np.ndarray
    warnings: list[str] = field(default_factory=list)


def _stratum_moments(
    sample: StratifiedSample, ys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per stratum: units ``n_h``, means ``(H, m)`` and covariances ``(H, m, m)`` of ``ys``."""
    h_count = len(sample.stratum_sizes)
    n_h = np.bincount(sample.strata, minlength=h_count)
    m = ys.shape[1]
    means = np.zeros((h_count, m))
    covs = np.zeros((h_count, m, m))
    for h in range(h_count):
        rows = ys[sample.strata == h]
        if len(rows):
            means[h] = rows.mean(axis=0)
        if len(rows) > 1:
            covs[h] = np.atleast_2d(np.cov(rows, rowvar=False, ddof=1))
    return n_h, means, covs


def proportion(sample: StratifiedSample, y: np.ndarray) -> Estimate:
    """Estimated share of the population where the indicator ``y`` holds (``Y / N``)."""
    n_h, means, covs = _stratum_moments(sample, y[:, None].astype(np.float64))
    w = sample.stratum_sizes / sample.stratum_sizes.sum()
    sampled = n_h > 0
    value = float(w[sampled] @ means[sampled, 0])
    f = sample.fpc(n_h)[sampled]
    var = float(np.sum(f * w[sampled] ** 2 * covs[sampled, 0, 0] / n_h[sampled]))
    return Estimate(value, float(np.sqrt(var)))


def ratio(sample: StratifiedSample, y: np.ndarray, x: np.ndarray) -> Estimate:
    """Estimated ratio ``Y / X`` of two stratified totals; ``nan`` when ``X`` is 0."""
    n_h, means, covs = _stratum_moments(sample, np.stack([y, x], axis=1).astype(np.float64))
    size = sample.stratum_sizes
    s = n_h > 0
    big_y, big_x = float(size[s] @ means[s, 0]), float(size[s] @ means[s, 1])
    if big_x == 0:
        return Estimate(float("nan"), float("nan"))
    r = big_y / big_x
    c = covs[s]
    inner = c[:, 0, 0] + r * r * c[:, 1, 1] - 2 * r * c[:, 0, 1]
    var = float(np.sum(sample.fpc(n_h)[s] * size[s] ** 2 * inner / n_h[s])) / big_x**2
    return Estimate(r, float(np.sqrt(max(var, 0.0))))


def error_matrix(sample: StratifiedSample) -> np.ndarray:
    """``(K, K)`` estimated area proportions: rows map class, columns reference class."""
    k = sample.num_classes
    cell = sample.mapped * k + sample.reference
    ys = (cell[:, None] == np.arange(k * k)[None, :]).astype(np.float64)
    n_h, means, _ = _stratum_moments(sample, ys)
    w = sample.stratum_sizes / sample.stratum_sizes.sum()
    return np.asarray((w[n_h > 0] @ means[n_h > 0]).reshape(k, k))


def disagreement(matrix: np.ndarray) -> tuple[float, float]:
    """Quantity and allocation disagreement (Pontius and Millones 2011) of an area matrix."""
    rows, cols, diag = matrix.sum(axis=1), matrix.sum(axis=0), np.diag(matrix)
    quantity = float(np.abs(rows - cols).sum() / 2)
    allocation = float(np.sum(2 * np.minimum(rows - diag, cols - diag)) / 2)
    return quantity, allocation


def estimate_accuracy(sample: StratifiedSample) -> AccuracyResult:
    """Error matrix, overall/user's/producer's accuracy and area shares, with standard errors."""
    m, r = sample.mapped, sample.reference
    hit = (m == r).astype(np.float64)
    users, producers, shares = [], [], []
    for c in range(sample.num_classes):
        users.append(ratio(sample, hit * (m == c), (m == c).astype(np.float64)))
        producers.append(ratio(sample, hit * (r == c), (r == c).astype(np.float64)))
        shares.append(proportion(sample, (r == c).astype(np.float64)))
    matrix = error_matrix(sample)
    quantity, allocation = disagreement(matrix)
    n_h = np.bincount(sample.strata, minlength=len(sample.stratum_sizes))
    lone = [h for h in range(len(n_h)) if n_h[h] == 1]
    warnings = (
        [f"strata {lone} have a single labelled unit: their variance is unknown and taken as 0"]
        if lone
        else []
    )
    return AccuracyResult(
        matrix,
        proportion(sample, hit),
        users,
        producers,
        shares,
        quantity,
        allocation,
        n_h,
        warnings,
    )


def sample_size(weights: Sequence[float], users_accuracy: Sequence[float], target_se: float) -> int:
    """Units needed for a target standard error of overall accuracy (Olofsson 2014, eq. 13).

    ``n = (sum_i W_i * sqrt(U_i (1 - U_i)) / S(O))^2`` with ``W_i`` the mapped area shares and
    ``U_i`` the anticipated user's accuracies.
    """
    if not 0 < target_se < 1:
        raise InputError(f"the target standard error must lie between 0 and 1, got {target_se}")
    w, u = np.asarray(weights, np.float64), np.asarray(users_accuracy, np.float64)
    spread = float(np.sum(w / w.sum() * np.sqrt(u * (1 - u))))
    return max(1, int(np.ceil((spread / target_se) ** 2)))


def allocate(
    total: int, weights: Sequence[float], minimum: int, available: Sequence[int]
) -> list[int]:
    """Units per stratum: ``minimum`` for rare strata, the rest in proportion to area.

    Strata whose proportional share is below ``minimum`` get ``minimum``; the remaining units
    go to the others in proportion to their weights (largest remainders). No stratum gets more
    units than it has pixels (``available``), nor any when it is empty.
    """
    w = np.asarray(weights, np.float64)
    cap = np.asarray(available, np.int64)
    n = np.zeros(len(w), np.int64)
    fixed = np.zeros(len(w), bool)
    while True:
        free = ~fixed & (w > 0)
        left = total - int(n[fixed].sum())
        share = left * w / w[free].sum() if free.any() else np.zeros_like(w)
        rare = free & (share < minimum)
        if not rare.any() or left <= 0:
            break
        n[rare], fixed[rare] = minimum, True
    n[free] = _largest_remainders(share[free], max(left, 0))
    return [int(v) for v in np.minimum(n, cap)]


def _largest_remainders(shares: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total`` closest to ``shares`` (which sum to ``total``)."""
    base = np.floor(shares).astype(np.int64)
    extra = total - int(base.sum())
    order = np.argsort(-(shares - base), kind="stable")
    base[order[:extra]] += 1
    return base
