"""One row of scores per evaluated image, from that image's own confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landcover.evaluation.metrics import dominant_confusion, scores
from landcover.schema import ClassSchema


@dataclass(frozen=True)
class ImageScore:
    """Scores of one image.

    Attributes:
        name: the image's key (path relative to the dataset root).
        pixels: scored pixels (truth not ignored).
        pixel_accuracy: share of scored pixels predicted right (NaN when ``pixels == 0``).
        miou: mean IoU over the classes present in the truth or the prediction (NaN if none).
        confused_true: true class of the dominant confusion, or ``None`` if nothing is confused.
        confused_pred: predicted class of the dominant confusion, or ``None``.
        confused_fraction: share of scored pixels in the dominant confusion (0 if none).
    """

    name: str
    pixels: int
    pixel_accuracy: float
    miou: float
    confused_true: str | None
    confused_pred: str | None
    confused_fraction: float


def image_score(name: str, confusion: np.ndarray, schema: ClassSchema) -> ImageScore:
    """Score one image from its confusion matrix ``(K, K)`` (rows = truth).

    Args:
        name: the image's key.
        confusion: the image's confusion matrix, from
            :func:`~landcover.evaluation.metrics.confusion_matrix`.
        schema: the class schema, for class names and the ignored index.
    """
    s = scores(confusion, schema.ignore_index)
    top = dominant_confusion(confusion, schema.ignore_index)
    if top is None:
        return ImageScore(name, s.pixels, s.pixel_accuracy, s.miou, None, None, 0.0)
    t, p, n = top
    return ImageScore(
        name,
        s.pixels,
        s.pixel_accuracy,
        s.miou,
        schema.classes[t],
        schema.classes[p],
        n / s.pixels if s.pixels else 0.0,
    )
