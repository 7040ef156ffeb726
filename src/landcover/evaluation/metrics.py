"""Segmentation scores from one confusion matrix accumulated over a whole set.

DeepGlobe convention: the ignored class (``unknown``) is left out: its row (true ``unknown``
pixels) is dropped, and its column (pixels predicted ``unknown`` that are truly something else)
counts as an error for the true class. The mean IoU averages the remaining classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_matrix(
    truth: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int | None = None
) -> np.ndarray:
    """Count ``(truth, pred)`` pairs: ``int64`` matrix ``(K, K)``, rows = truth.

    Pixels whose truth is ``ignore_index`` or outside ``0..K-1`` are not counted.
    """
    t = truth.reshape(-1).astype(np.int64)
    p = pred.reshape(-1).astype(np.int64)
    keep = (t >= 0) & (t < num_classes) & (p >= 0) & (p < num_classes)
    if ignore_index is not None:
        keep &= t != ignore_index
    return np.bincount(
        t[keep] * num_classes + p[keep], minlength=num_classes * num_classes
    ).reshape(num_classes, num_classes)


@dataclass(frozen=True)
class Scores:
    """Scores over the scored classes (all but the ignored one).

    Per-class arrays have one entry per class index; the ignored class and classes absent from
    both truth and prediction hold NaN and are left out of means.
    """

    pixel_accuracy: float
    miou: float
    fw_iou: float
    iou: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    pixels: int


def scores(confusion: np.ndarray, ignore_index: int | None = None) -> Scores:
    """Compute pixel accuracy, per-class IoU/precision/recall/F1, mIoU and frequency-weighted
    IoU from a confusion matrix (rows = truth)."""
    cm = np.asarray(confusion, dtype=np.float64).copy()
    k = cm.shape[0]
    scored = np.array([i != ignore_index for i in range(k)])
    if ignore_index is not None:
        cm[ignore_index, :] = 0  # truth unknown: not scored
    tp = np.diag(cm).copy()
    truth = cm.sum(axis=1)
    pred = cm.sum(axis=0)
    if ignore_index is not None:
        # Predicted-unknown pixels are errors of their true class, never anyone's false positive.
        pred[ignore_index] = 0
        tp[ignore_index] = 0
    total = truth.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        union = truth + pred - tp
        iou = np.where(union > 0, tp / union, np.nan)
        precision = np.where(pred > 0, tp / pred, np.nan)
        recall = np.where(truth > 0, tp / truth, np.nan)
        f1 = np.where(truth + pred > 0, 2 * tp / (truth + pred), np.nan)
    for a in (iou, precision, recall, f1):
        a[~scored] = np.nan
    present = scored & (union > 0)
    miou = float(np.mean(iou[present])) if present.any() else float("nan")
    freq = truth / total if total > 0 else np.zeros(k)
    fw = float(np.nansum(freq[present] * iou[present])) if total > 0 else float("nan")
    acc = float(tp[scored].sum() / total) if total > 0 else float("nan")
    return Scores(acc, miou, fw, iou, precision, recall, f1, int(total))


def dominant_confusion(
    confusion: np.ndarray, ignore_index: int | None = None
) -> tuple[int, int, int] | None:
    """The largest off-diagonal cell: ``(true class, predicted class, pixels)``.

    Rows of the ignored class are not considered (their truth is not scored). Returns ``None``
    when nothing is confused.
    """
    cm = np.asarray(confusion, dtype=np.int64).copy()
    np.fill_diagonal(cm, 0)
    if ignore_index is not None:
        cm[ignore_index, :] = 0
    if cm.max(initial=0) <= 0:
        return None
    t, p = np.unravel_index(int(np.argmax(cm)), cm.shape)
    return int(t), int(p), int(cm[t, p])
