"""Joint image/mask transforms (albumentations): augmentation for training only.

Masks are only ever resized with nearest neighbour, so no blended colour becomes a class.
"""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np

from landcover.training.dataset import Transform, pad_to_multiple


def train_transform(
    crop_mode: str,
    size: int,
    fill_label: int,
    scale_jitter: float | list[float] = 0.0,
    color_jitter: float = 0.2,
    seed: int | None = None,
    saturation_jitter: float = 0.0,
    hue_jitter: float = 0.0,
) -> Transform:
    """Random crop (or resize) to ``size``, flips, rot90, colour jitter, scale jitter.

    Args:
        crop_mode: ``crop`` (random crops at native resolution, padded when the image is
            smaller) or ``resize`` (the whole image resized to ``size``).
        size: output side in pixels.
        fill_label: label given to padded pixels (ignored by loss and metrics).
        scale_jitter: random rescale, uniform: an amplitude (0.2 = x0.8..1.2) or two factors
            ``[min, max]``; 0 = off.
        color_jitter: brightness/contrast amplitude, 0 = off.
        seed: seed of the augmentation random generator (reproducible runs).
        saturation_jitter: saturation factor amplitude (0.3 = x0.7..1.3), 0 = off.
        hue_jitter: hue shift amplitude, a fraction of the colour circle (<= 0.5), 0 = off.
    """
    # albumentations asks PyPI for a newer version at import (up to 2 s, a warning offline).
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    import albumentations as A  # [train] extra: lazy

    steps = _geometry_steps(crop_mode, size, fill_label, scale_jitter)
    steps += _colour_steps(color_jitter, saturation_jitter, hue_jitter)
    pipeline = A.Compose(steps, seed=seed)

    def apply(image: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = pipeline(image=image, mask=labels)
        return out["image"], out["mask"]

    return apply


def _geometry_steps(
    crop_mode: str, size: int, fill_label: int, scale_jitter: float | list[float]
) -> list[Any]:
    """Scale jitter, crop (padded) or resize to ``size``, flips and quarter turns."""
    import albumentations as A  # [train] extra: lazy

    steps: list[Any] = []
    low, high = scale_factors(scale_jitter)
    if (low, high) != (1.0, 1.0):
        steps.append(
            A.RandomScale(
                scale_limit=(low - 1, high - 1),  # albumentations adds 1 to both
                interpolation=cv2.INTER_LINEAR,
                mask_interpolation=cv2.INTER_NEAREST,
                p=1.0,
            )
        )
    if crop_mode == "crop":
        steps += [
            A.PadIfNeeded(
                size, size, border_mode=cv2.BORDER_CONSTANT, fill=0, fill_mask=fill_label
            ),
            A.RandomCrop(size, size),
        ]
    else:
        steps.append(
            A.Resize(size, size, interpolation=cv2.INTER_AREA, mask_interpolation=cv2.INTER_NEAREST)
        )
    return [*steps, A.HorizontalFlip(), A.VerticalFlip(), A.RandomRotate90()]


def scale_factors(scale_jitter: float | list[float]) -> tuple[float, float]:
    """The smallest and largest rescale factor of a ``scale_jitter`` option."""
    if isinstance(scale_jitter, list):
        return float(scale_jitter[0]), float(scale_jitter[1])
    return 1.0 - scale_jitter, 1.0 + scale_jitter


def _colour_steps(color_jitter: float, saturation_jitter: float, hue_jitter: float) -> list[Any]:
    """Brightness/contrast and saturation/hue jitter, each on half of the samples."""
    import albumentations as A  # [train] extra: lazy

    steps: list[Any] = []
    if color_jitter > 0:
        steps.append(
            A.RandomBrightnessContrast(
                brightness_limit=color_jitter, contrast_limit=color_jitter, p=0.5
            )
        )
    if saturation_jitter > 0 or hue_jitter > 0:
        steps.append(
            A.ColorJitter(
                brightness=0, contrast=0, saturation=saturation_jitter, hue=hue_jitter, p=0.5
            )
        )
    return steps


def val_transform(crop_mode: str, size: int, fill_label: int, multiple: int = 32) -> Transform:
    """No augmentation: the whole image, padded to a multiple of ``multiple`` (or resized).

    In ``resize`` mode the image is resized to ``size`` like the training data (mask with
    nearest neighbour); in ``crop`` mode it keeps its native resolution.
    """

    def apply(image: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if crop_mode == "resize":
            image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
            labels = cv2.resize(labels, (size, size), interpolation=cv2.INTER_NEAREST)
        return pad_to_multiple(image, labels, multiple, fill_label)

    return apply
