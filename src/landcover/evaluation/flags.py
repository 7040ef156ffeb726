"""Doubtful-mask flags: large areas where a confident model disagrees with the mask.

This automates the seed notebook's hand review ("large river misclassified as agriculture"):
it points a reviewer at labels worth a second look. It is a review tool, not a metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landcover.errors import InputError


@dataclass(frozen=True)
class Flag:
    """One connected area where the model confidently predicts another class than the mask.

    Attributes:
        image: the image's key.
        area_fraction: the area's share of the image's pixels.
        predicted: class index the model predicts there.
        mask: class index the mask gives there.
        confidence: mean predicted probability over the area.
        box: bounding box ``(row0, col0, row1, col1)``, end-exclusive, in image pixels.
    """

    image: str
    area_fraction: float
    predicted: int
    mask: int
    confidence: float
    box: tuple[int, int, int, int]


def find_flags(
    pred: np.ndarray,
    confidence: np.ndarray,
    truth: np.ndarray,
    *,
    threshold: float = 0.9,
    min_area: float = 0.05,
    ignore_index: int | None = None,
    image: str = "",
) -> list[Flag]:
    """Find connected areas of confident disagreement between prediction and mask.

    A pixel disagrees confidently when the predicted class differs from the mask's, the mask is
    not ``ignore_index`` and the predicted probability is at least ``threshold``. Pixels are
    grouped by (predicted, mask) class pair and 8-connectivity; areas covering at least
    ``min_area`` of the image are returned, largest first.

    Args:
        pred, confidence, truth: predicted classes, their probabilities, mask classes ``(H, W)``.
        threshold: smallest probability counted as confident.
        min_area: smallest area, as a fraction of the image's pixels.
        ignore_index: mask class never flagged (unlabelled pixels).
        image: the image's key, copied into each flag.
    """
    if not pred.shape == confidence.shape == truth.shape:
        raise InputError(f"shapes differ: {pred.shape}, {confidence.shape}, {truth.shape}")
    from scipy import ndimage  # scipy.ndimage (~0.2 s) loads only where it is used

    total = pred.size
    bad = (pred != truth) & (confidence >= threshold)
    if ignore_index is not None:
        bad &= truth != ignore_index
    if not total or np.count_nonzero(bad) < min_area * total:
        return []
    k = int(max(pred.max(), truth.max())) + 1
    code = truth.astype(np.int32) * k + pred
    flags: list[Flag] = []
    structure = np.ones((3, 3), dtype=bool)
    for c in np.unique(code[bad]):
        region = bad & (code == c)
        if np.count_nonzero(region) < min_area * total:
            continue
        labels, n = ndimage.label(region, structure=structure)
        sizes = np.bincount(labels.reshape(-1), minlength=n + 1)
        boxes = ndimage.find_objects(labels)
        for i in np.nonzero(sizes[1:] >= min_area * total)[0]:
            sl = boxes[i]
            inside = labels[sl] == i + 1
            flags.append(
                Flag(
                    image=image,
                    area_fraction=float(sizes[i + 1] / total),
                    predicted=int(c % k),
                    mask=int(c // k),
                    confidence=float(confidence[sl][inside].mean()),
                    box=(sl[0].start, sl[1].start, sl[0].stop, sl[1].stop),
                )
            )
    return sorted(flags, key=lambda f: -f.area_fraction)
