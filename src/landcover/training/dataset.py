"""Datasets of image/mask pairs for training and validation.

Samples are ``(image, mask)`` with ``image`` a ``uint8`` tensor ``(3, H, W)`` and ``mask`` an
``int64`` tensor ``(H, W)`` of class indices; normalisation happens on the batch inside the
model module (cheaper than per sample). Training samples go through the augmentation pipeline;
validation samples are whole images, never augmented, padded to a multiple of 32 with the
schema's fill index (ignored by loss and metrics).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from landcover.data.pairs import Pair
from landcover.errors import LandcoverError
from landcover.io.images import read_rgb
from landcover.io.masks import read_mask_labels
from landcover.io.progress import progress_bar
from landcover.schema import ClassSchema, count_labels

log = logging.getLogger(__name__)

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_pair(pair: Pair, schema: ClassSchema) -> tuple[np.ndarray, np.ndarray]:
    """Read one pair as ``(image (H, W, 3) uint8, labels (H, W) uint8)``.

    The mask is read in ``schema``'s format (:func:`~landcover.io.masks.read_mask_labels`); one
    whose format looks wrong is logged as a warning naming the file.

    Raises:
        LandcoverError: naming the file when it is unreadable or the sizes differ.
    """
    image = read_rgb(pair.image)
    labels = read_mask_labels(pair.mask, schema).labels
    if image.shape[:2] != labels.shape:
        raise LandcoverError(
            f"image is {image.shape[1]}x{image.shape[0]} but its mask {pair.mask.name} is "
            f"{labels.shape[1]}x{labels.shape[0]}",
            pair.image,
        )
    return image, labels


def sample_tensors(
    image: np.ndarray, labels: np.ndarray, transform: Transform | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One training sample: ``transform`` applied, then the ``(C, H, W)`` image and the
    int64 labels as tensors (shared by pairs and scene windows)."""
    if transform is not None:
        image, labels = transform(image, labels)
    return (
        torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))),
        torch.from_numpy(np.ascontiguousarray(labels)).long(),
    )


class PairDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Image/mask pairs, decoded on demand or once into RAM (``cache``).

    Args:
        pairs: the pairs.
        schema: class schema encoding the masks.
        transform: ``(image, labels) -> (image, labels)`` applied to every sample.
        cache: decode every pair once, at construction, and keep the arrays.
    """

    def __init__(
        self,
        pairs: Sequence[Pair],
        schema: ClassSchema,
        transform: Transform | None = None,
        cache: bool = False,
    ) -> None:
        if not pairs:
            raise LandcoverError("no image/mask pairs to train or validate on")
        self.pairs = list(pairs)
        self.schema = schema
        self.transform = transform
        self._arrays: list[tuple[np.ndarray, np.ndarray]] | None = None
        if cache:
            self._arrays = [
                load_pair(p, schema)
                for p in progress_bar(self.pairs, "decoding", "img", leave=False)
            ]

    def __len__(self) -> int:
        return len(self.pairs)

    def arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The decoded ``(image, labels)`` of one pair, before any transform."""
        if self._arrays is not None:
            return self._arrays[index]
        return load_pair(self.pairs[index], self.schema)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return sample_tensors(*self.arrays(index), self.transform)


def pad_to_multiple(
    image: np.ndarray, labels: np.ndarray, multiple: int, fill_label: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pad bottom and right to multiples of ``multiple``: image with 0, labels ``fill_label``."""
    h, w = labels.shape
    ph, pw = (-h) % multiple, (-w) % multiple
    if not ph and not pw:
        return image, labels
    image = np.pad(image, ((0, ph), (0, pw), (0, 0)))
    labels = np.pad(labels, ((0, ph), (0, pw)), constant_values=fill_label)
    return image, labels


def pad_collate(
    samples: Sequence[tuple[torch.Tensor, torch.Tensor]], fill: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack whole images of different sizes into one batch, padded to the largest.

    Padding goes bottom and right: images with 0, labels with ``fill`` (the schema's fill
    index, ignored by loss and metrics). Use as ``functools.partial(pad_collate, fill=...)``.
    """
    h = max(int(image.shape[1]) for image, _ in samples)
    w = max(int(image.shape[2]) for image, _ in samples)
    images = torch.zeros((len(samples), samples[0][0].shape[0], h, w), dtype=samples[0][0].dtype)
    labels = torch.full((len(samples), h, w), fill, dtype=samples[0][1].dtype)
    for i, (image, label) in enumerate(samples):
        images[i, :, : image.shape[1], : image.shape[2]] = image
        labels[i, : label.shape[0], : label.shape[1]] = label
    return images, labels


def class_frequencies(dataset: PairDataset, num_classes: int) -> np.ndarray:
    """Pixel count per class over ``dataset``'s masks (before transforms)."""
    counts = np.zeros(num_classes, dtype=np.int64)
    for i in range(len(dataset)):
        counts += count_labels(dataset.arrays(i)[1], num_classes)
    return counts


def channel_stats(
    dataset: PairDataset, max_images: int = 64
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of pixel values / 255 over up to ``max_images`` images."""
    idx = np.linspace(0, len(dataset) - 1, min(max_images, len(dataset))).astype(int)
    channels = dataset.arrays(0)[0].shape[-1]
    s = np.zeros(channels)
    s2 = np.zeros(channels)
    n = 0
    for i in np.unique(idx):
        x = dataset.arrays(int(i))[0][::4, ::4].reshape(-1, channels).astype(np.float64) / 255.0
        s += x.sum(0)
        s2 += (x * x).sum(0)
        n += len(x)
    mean = s / n
    std = np.sqrt(np.maximum(s2 / n - mean * mean, 1e-12))
    return tuple(round(float(v), 4) for v in mean), tuple(round(float(v), 4) for v in std)
