"""Scores from hand-made confusion matrices, with exact expected values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from landcover.evaluation.metrics import confusion_matrix, dominant_confusion, scores

# Classes: 0 = A, 1 = B, 2 = C (absent from truth and prediction), 3 = ignored.
CM = np.array(
    [
        [8, 2, 0, 1],  # true A: 1 pixel predicted as the ignored class counts as an A error
        [1, 4, 0, 0],
        [0, 0, 0, 0],
        [5, 5, 0, 9],  # true ignored: dropped entirely
    ]
)


def test_scores_exact_values_with_absent_and_ignored_class() -> None:
    s = scores(CM, ignore_index=3)
    assert s.pixels == 16
    assert s.pixel_accuracy == pytest.approx(12 / 16)
    assert s.iou[:2] == pytest.approx([8 / 12, 4 / 7])
    assert s.precision[:2] == pytest.approx([8 / 9, 4 / 6])
    assert s.recall[:2] == pytest.approx([8 / 11, 4 / 5])
    assert s.f1[:2] == pytest.approx([16 / 20, 8 / 11])
    assert math.isnan(s.iou[2]) and math.isnan(s.f1[2])  # absent class: not a zero
    assert all(math.isnan(a[3]) for a in (s.iou, s.precision, s.recall, s.f1))
    assert s.miou == pytest.approx((8 / 12 + 4 / 7) / 2)  # 13/21: C and ignored left out
    assert s.fw_iou == pytest.approx(11 / 16 * 8 / 12 + 5 / 16 * 4 / 7)


def test_predicted_but_absent_class_counts_with_iou_zero() -> None:
    cm = np.array([[3, 1, 0], [0, 0, 0], [0, 0, 0]])  # B predicted once, never true
    s = scores(cm, ignore_index=2)
    assert s.iou[:2] == pytest.approx([0.75, 0.0])
    assert s.miou == pytest.approx(0.375)
    assert s.recall[0] == pytest.approx(0.75) and math.isnan(s.recall[1])
    assert s.precision[1] == 0.0


def test_no_ignore_index_scores_every_class() -> None:
    s = scores(np.array([[2, 0], [2, 4]]))
    assert s.iou == pytest.approx([0.5, 4 / 6])
    assert s.pixel_accuracy == pytest.approx(0.75)


def test_confusion_matrix_counts_pairs_and_skips_ignored_truth() -> None:
    truth = np.array([[0, 0, 1], [2, 2, 1]], np.uint8)
    pred = np.array([[0, 1, 1], [0, 2, 2]], np.uint8)
    cm = confusion_matrix(truth, pred, 3, ignore_index=2)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 0]]
    assert cm.dtype == np.int64


def test_accumulated_matrix_is_not_a_mean_of_per_image_scores() -> None:
    big = confusion_matrix(np.zeros(90, np.uint8), np.zeros(90, np.uint8), 2)
    small = confusion_matrix(np.ones(10, np.uint8), np.zeros(10, np.uint8), 2)
    assert scores(big + small).pixel_accuracy == pytest.approx(0.9)  # not (1 + 0) / 2


def test_dominant_confusion() -> None:
    assert dominant_confusion(CM, ignore_index=3) == (0, 1, 2)  # ignored row not considered
    assert dominant_confusion(np.eye(3, dtype=int) * 5) is None


def test_empty_matrix_gives_nan_not_error() -> None:
    s = scores(np.zeros((3, 3)), ignore_index=2)
    assert s.pixels == 0 and math.isnan(s.miou) and math.isnan(s.pixel_accuracy)
