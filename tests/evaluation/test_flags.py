"""The doubtful-mask detector on a synthetic mask with a deliberately wrong region."""

from __future__ import annotations

import numpy as np
import pytest

from landcover.evaluation.flags import find_flags

pytest.importorskip("scipy")


def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 40 x 40 agriculture field crossed by a river the mask forgot (rows 10-19)."""
    truth = np.ones((40, 40), np.uint8)  # agriculture everywhere in the mask
    pred = truth.copy()
    conf = np.full((40, 40), 0.99, np.float32)
    pred[10:20] = 4  # the model sees water, confidently
    conf[10:20] = 0.95
    pred[30:32, 0:2] = 3  # a small confident disagreement: below min_area
    pred[30:40, 20:40] = 0  # a large but unsure disagreement
    conf[30:40, 20:40] = 0.6
    truth[0:8, 30:40] = 6  # ignored mask pixels, predicted confidently as anything
    pred[0:8, 30:40] = 2
    return pred, conf, truth


def test_wrong_region_is_flagged_with_its_classes_area_and_box() -> None:
    pred, conf, truth = scene()
    flags = find_flags(
        pred, conf, truth, threshold=0.9, min_area=0.05, ignore_index=6, image="x.jpg"
    )
    assert len(flags) == 1
    f = flags[0]
    assert (f.image, f.predicted, f.mask) == ("x.jpg", 4, 1)
    assert f.area_fraction == pytest.approx(400 / 1600)
    assert f.confidence == pytest.approx(0.95)
    assert f.box == (10, 0, 20, 40)


def test_unsure_area_is_flagged_when_threshold_is_lower() -> None:
    pred, conf, truth = scene()
    flags = find_flags(pred, conf, truth, threshold=0.5, min_area=0.05, ignore_index=6)
    assert [(f.predicted, f.mask, f.area_fraction) for f in flags] == [
        (4, 1, 0.25),
        (0, 1, 200 / 1600),
    ]


def test_two_separate_areas_are_two_flags() -> None:
    truth = np.zeros((20, 20), np.uint8)
    pred = truth.copy()
    pred[:, 0:4] = 1
    pred[:, 16:20] = 1
    flags = find_flags(pred, np.ones((20, 20), np.float32), truth, min_area=0.1)
    assert [f.box for f in flags] == [(0, 0, 20, 4), (0, 16, 20, 20)]


def test_agreement_gives_no_flag() -> None:
    truth = np.zeros((16, 16), np.uint8)
    assert find_flags(truth, np.ones((16, 16), np.float32), truth) == []
