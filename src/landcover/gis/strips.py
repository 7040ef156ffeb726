"""A class raster read in strips of rows, and the 4-connected patches of each strip.

The GIS commands read class rasters of any size (20000 x 20000 and beyond) strip by strip, so
that memory does not grow with the raster: a strip holds about :data:`BLOCK_PIXELS` pixels. In
a strip, classes are ``int32`` with :data:`INVALID` (-1) where the raster is nodata; a patch is
a 4-connected set of pixels of one class (diagonal neighbours are separate patches), as GDAL's
sieve and polygonize count them with 4-connectivity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window

from landcover.errors import InputError, LandcoverIOError
from landcover.io.raster import open_raster

BLOCK_PIXELS = 1 << 23  # 8 M pixels a strip: ~150 MB of working arrays at most
INVALID = -1
CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)  # 4-connectivity


@dataclass(frozen=True)
class Grid:
    """Size and georeferencing of a raster.

    Attributes:
        width: pixels per row.
        height: rows.
        crs: rasterio CRS, or ``None`` when the raster has none.
        transform: affine pixel-to-map transform (identity when not georeferenced).
        nodata: the nodata value, or ``None``.
    """

    width: int
    height: int
    crs: Any
    transform: Any
    nodata: float | None


class StripReader:
    """Read band 1 of an integer raster in strips of rows.

    Args:
        path: the raster (a class GeoTIFF).
        block_rows: rows per strip (default: :data:`BLOCK_PIXELS` divided by the width).
        what: what the raster is, for errors ("class raster").

    Attributes:
        grid: size and georeferencing.
        tags: the raster's metadata tags.
        strips: ``(row0, rows)`` of each strip, top to bottom.
    """

    def __init__(
        self, path: str | Path, block_rows: int | None = None, what: str = "raster"
    ) -> None:
        self.path = Path(path)
        try:
            self._src = open_raster(self.path)
        except rasterio.errors.RasterioIOError as e:
            raise LandcoverIOError(f"cannot read this {what}", self.path) from e
        src = self._src
        self.dtype = np.dtype(src.dtypes[0])
        if self.dtype.kind not in "iu":
            self.close()
            raise InputError(f"a {what} holds integers, this one {self.dtype}", self.path)
        self.grid = Grid(src.width, src.height, src.crs, src.transform, src.nodata)
        self.tags: dict[str, str] = src.tags()
        rows = block_rows or max(1, BLOCK_PIXELS // max(1, src.width))
        self.strips = [(r, min(rows, src.height - r)) for r in range(0, src.height, rows)]

    def read(self, i: int) -> np.ndarray:
        """Strip ``i`` as ``(rows, width)`` ``int32``, :data:`INVALID` where nodata."""
        row0, rows = self.strips[i]
        return self.read_rows(row0, rows)

    def read_rows(self, row0: int, rows: int) -> np.ndarray:
        """Rows ``row0 .. row0 + rows - 1`` as ``int32``, :data:`INVALID` where nodata."""
        data = self._src.read(
            1, window=Window(col_off=0, row_off=row0, width=self.grid.width, height=rows)
        )
        out = data.astype(np.int32)
        if self.grid.nodata is not None:
            out[data == self.grid.nodata] = INVALID
        return out

    def read_raw(self, i: int) -> np.ndarray:
        """Strip ``i`` as stored (no nodata conversion)."""
        row0, rows = self.strips[i]
        return np.asarray(
            self._src.read(
                1, window=Window(col_off=0, row_off=row0, width=self.grid.width, height=rows)
            )
        )

    def close(self) -> None:
        """Close the raster."""
        self._src.close()

    def __enter__(self) -> StripReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def label_patches(classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label the 4-connected patches of equal class in a strip.

    Args:
        classes: ``(h, w)`` ``int32`` classes, :data:`INVALID` where nodata.

    Returns:
        ``labels``: ``(h, w)`` ``int32``, 0 where nodata and ``1..n`` for the patches (in the
        order of their class, then of their first pixel); ``patch_class``: ``(n,)`` ``int32``,
        the class of patch ``label - 1``.
    """
    from scipy import ndimage  # scipy.ndimage (~0.2 s) loads only where it is used

    labels = np.zeros(classes.shape, dtype=np.int32)
    patch_class: list[np.ndarray] = []
    offset = 0
    for value in present_values(classes):
        lab, n = ndimage.label(classes == value, structure=CROSS, output=np.int32)
        np.add(lab, offset, out=lab, where=lab > 0)
        labels += lab
        patch_class.append(np.full(n, value, dtype=np.int32))
        offset += n
    return labels, np.concatenate(patch_class) if patch_class else np.zeros(0, np.int32)


def present_values(classes: np.ndarray) -> np.ndarray:
    """The classes present in a strip (without :data:`INVALID`), ascending."""
    top = int(classes.max(initial=INVALID))
    if top < 1 << 16:  # a bincount is ~10x faster than np.unique's sort
        return np.flatnonzero(np.bincount((classes + 1).ravel(), minlength=top + 2)[1:])
    values = np.unique(classes)
    return values[values != INVALID]


def border_links(
    upper_labels: np.ndarray,
    upper_classes: np.ndarray,
    lower_labels: np.ndarray,
    lower_classes: np.ndarray,
) -> np.ndarray:
    """Pairs of patches joined across the border between two strips.

    Args:
        upper_labels: last row of the upper strip, its patch ids (any integer ids).
        upper_classes: last row of the upper strip, its classes.
        lower_labels: first row of the lower strip, its patch ids.
        lower_classes: first row of the lower strip, its classes.

    Returns:
        ``(m, 2)`` ``int64`` unique ``(upper id, lower id)`` pairs of pixels one above the
        other with the same valid class.
    """
    same = (upper_classes == lower_classes) & (upper_classes != INVALID)
    pairs = np.stack([upper_labels[same], lower_labels[same]], axis=1).astype(np.int64)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)


def bincount_rows(labels: np.ndarray, n: int, row_weights: np.ndarray | None = None) -> np.ndarray:
    """Per patch sum of a weight that depends on the row only (pixel area), or pixel counts.

    Args:
        labels: ``(h, w)`` patch labels, 0 = none.
        n: number of patches.
        row_weights: ``(h,)`` weight of one pixel of each row, or ``None`` to count pixels.

    Returns:
        ``(n,)`` float64 sums for labels ``1..n``.
    """
    if row_weights is None or np.all(row_weights == row_weights[0]):
        counts = np.bincount(labels.ravel(), minlength=n + 1)[1:].astype(np.float64)
        return counts if row_weights is None else counts * float(row_weights[0])
    weights = np.broadcast_to(np.asarray(row_weights, np.float64)[:, None], labels.shape)
    return np.bincount(labels.ravel(), weights=weights.ravel(), minlength=n + 1)[1:]
