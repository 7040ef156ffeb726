"""Class statistics of a set of masks: pixel counts, fractions, per-image class presence.

Counting is vectorised: each mask is read in its schema's format
(:func:`~landcover.io.masks.read_mask_labels`: RGB colours through the palette's lookup table, or
class indices) and the labels are counted with whole-array NumPy operations (the seed compared
every pixel with every class colour in a Python loop; ``benchmarks/stats.py`` measures the
difference).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from landcover.data.pairs import Pair
from landcover.errors import LandcoverError
from landcover.io.atomic import write_text_atomic
from landcover.io.masks import read_mask_labels
from landcover.io.progress import progress_bar
from landcover.schema import ClassSchema, EncodedMask, count_labels

STATS_JSON = "class_stats.json"
PER_IMAGE_CSV = "per_image.csv"
CHART_PNG = "class_distribution.png"


@dataclass(frozen=True)
class MaskStats:
    """Class pixel counts of one mask.

    Attributes:
        key: the pair's key (image path relative to the dataset folder).
        mask: the mask file.
        counts: ``int64`` pixel count per class, shape ``(K,)``; off-palette pixels are counted
            in the ignore class (or nowhere when the schema has none).
        off_palette: pixels whose colour is not in the palette (index masks: whose value is
            neither a class nor the ignore value).
        pixels: pixels in the mask (height x width).
    """

    key: str
    mask: Path
    counts: np.ndarray
    off_palette: int
    pixels: int


@dataclass
class DatasetStats:
    """Class statistics over many masks.

    Attributes:
        schema: the class schema used.
        images: per-mask statistics of the masks that could be read.
        failures: ``(mask path, problem)`` for masks that could not be read.
    """

    schema: ClassSchema
    images: list[MaskStats]
    failures: list[tuple[Path, str]]

    @property
    def pixel_counts(self) -> np.ndarray:
        """Total pixels per class, ``int64`` ``(K,)``."""
        total = np.zeros(self.schema.num_classes, dtype=np.int64)
        for m in self.images:
            total += m.counts
        return total

    @property
    def fractions(self) -> np.ndarray:
        """Share of each class among all counted pixels (sums to 1; zeros when empty)."""
        counts = self.pixel_counts
        n = counts.sum()
        return counts / n if n else np.zeros(len(counts))

    @property
    def off_palette(self) -> int:
        """Off-palette pixels over all masks."""
        return sum(m.off_palette for m in self.images)

    def to_dict(self) -> dict[str, object]:
        """The content of ``class_stats.json``."""
        names = self.schema.classes
        return {
            "classes": list(names),
            "pixel_counts": {n: int(c) for n, c in zip(names, self.pixel_counts, strict=True)},
            "fractions": {n: float(f) for n, f in zip(names, self.fractions, strict=True)},
            "images": len(self.images),
        }


def mask_counts(mask: np.ndarray | EncodedMask, schema: ClassSchema) -> tuple[np.ndarray, int]:
    """Count the pixels of each class in a mask.

    Args:
        mask: an encoded mask (:func:`~landcover.io.masks.read_mask_labels`), or a mask array
            in ``schema``'s format: RGB ``(H, W, 3)`` ``uint8``, or index values ``(H, W)``.
        schema: the class schema.

    Returns:
        ``(counts, off_palette)``: ``int64`` counts ``(K,)`` and the number of off-palette
        pixels (counted in the ignore class when the schema has one).
    """
    encoded = mask if isinstance(mask, EncodedMask) else schema.encode_mask(mask)
    return count_labels(encoded.labels, schema.num_classes), encoded.off_palette


def compute_stats(
    pairs: Sequence[Pair], schema: ClassSchema, progress: bool = False
) -> DatasetStats:
    """Count class pixels in the mask of every pair.

    A mask that cannot be read is listed in :attr:`DatasetStats.failures` and the run goes on;
    a mask whose format looks wrong for ``schema`` is logged as a warning naming the file.

    Raises:
        LandcoverError: when ``pairs`` is empty.
    """
    if not pairs:
        raise LandcoverError("no image/mask pairs to count")
    images: list[MaskStats] = []
    failures: list[tuple[Path, str]] = []
    for pair in progress_bar(pairs, "stats", "mask", disable=not progress):
        try:
            encoded = read_mask_labels(pair.mask, schema)
        except LandcoverError as e:
            failures.append((pair.mask, e.message))
            continue
        counts, off = mask_counts(encoded, schema)
        images.append(MaskStats(pair.key, pair.mask, counts, off, encoded.labels.size))
    return DatasetStats(schema, images, failures)


def write_stats_json(stats: DatasetStats, path: str | Path) -> None:
    """Write ``{"classes", "pixel_counts", "fractions", "images"}`` to ``path`` atomically."""
    write_text_atomic(path, json.dumps(stats.to_dict(), indent=2) + "\n")


def write_per_image_csv(stats: DatasetStats, path: str | Path) -> None:
    """Write one row per mask: pixels, off-palette pixels, class fractions, classes present.

    Columns: ``image``, ``mask`` (the mask's file name), ``pixels``, ``off_palette``, one
    column per class with its fraction of the mask's counted pixels (6 decimals), and
    ``present``: the names of the classes present, separated by ``;``.
    """
    names = stats.schema.classes
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["image", "mask", "pixels", "off_palette", *names, "present"])
    for m in stats.images:
        n = int(m.counts.sum())
        fr = m.counts / n if n else np.zeros(len(names))
        present = ";".join(name for name, c in zip(names, m.counts, strict=True) if c)
        writer.writerow(
            [m.key, m.mask.name, m.pixels, m.off_palette, *(f"{f:.6f}" for f in fr), present]
        )
    write_text_atomic(path, buf.getvalue())
