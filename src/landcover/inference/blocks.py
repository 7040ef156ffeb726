"""A scene's blocks, and what they add up to.

A scene is mapped in non-overlapping blocks (:func:`block_grid`), each read with a margin of an
eighth of a model tile on every side (context for the windows at its border), so that memory
does not grow with the raster. :class:`Tally` gathers what the written blocks add up to: pixels
and hectares per class, and decimated previews for the colour PNG (every ``step``-th pixel, up
to :data:`PREVIEW_MAX` a side) and the overlay JPEG (up to :data:`OVERLAY_MAX` a side: a quick
look, cheap to blend and encode).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from rasterio.windows import Window

from landcover.io.ground import class_hectares, is_georeferenced, row_pixel_areas
from landcover.io.raster import NODATA_LABEL, RasterInfo
from landcover.models.meta import ModelMeta
from landcover.schema import count_labels

PREVIEW_MAX = 4096
OVERLAY_MAX = 2048
BLOCK_MODEL_PX = 1536
MARGIN_TILES = 0.125  # context read around each block, in model tiles


def blocks(height: int, width: int, block: int) -> Iterator[Window]:
    """Non-overlapping blocks of at most ``block`` pixels a side covering the image."""
    for r in range(0, height, block):
        for c in range(0, width, block):
            yield Window(
                col_off=c, row_off=r, width=min(block, width - c), height=min(block, height - r)
            )


def grow(w: Window, margin: int, height: int, width: int) -> Window:
    """``w`` with ``margin`` pixels more on every side, clipped to the image."""
    r0, c0 = max(0, w.row_off - margin), max(0, w.col_off - margin)
    r1 = min(height, w.row_off + w.height + margin)
    c1 = min(width, w.col_off + w.width + margin)
    return Window(col_off=c0, row_off=r0, width=c1 - c0, height=r1 - r0)


def block_grid(
    info: RasterInfo, meta: ModelMeta, scale: float, block_size: int | None
) -> tuple[list[Window], int]:
    """The scene's blocks (in input pixels) and the context margin read around each.

    ``block_size``: the block side in model pixels (default :data:`BLOCK_MODEL_PX`, at least
    a tile).
    """
    block = max(1, int((block_size or max(BLOCK_MODEL_PX, meta.tile_size)) / scale))
    single = info.height <= block and info.width <= block
    margin = 0 if single else int(math.ceil(meta.tile_size * MARGIN_TILES / scale))
    return list(blocks(info.height, info.width, block)), margin


class Preview:
    """A decimated copy (every ``step``-th pixel) of a full-size array, filled block by block."""

    def __init__(self, height: int, width: int, step: int, channels: int | None) -> None:
        self.step = step
        shape = (math.ceil(height / step), math.ceil(width / step))
        self.data = np.zeros(shape + ((channels,) if channels else ()), dtype=np.uint8)

    def put(self, block: np.ndarray, w: Window, covers: Window | None = None) -> None:
        """Fill the grid cells inside ``w`` from ``block``, which covers ``covers`` (default
        ``w``) of the full array at its own resolution: the pixels on the grid of a full-size
        block, the nearest of a reduced one."""
        rows, cols = self.region(w)
        src = covers or w
        r = _nearest(
            np.arange(rows.start, rows.stop) * self.step - src.row_off, src.height, block.shape[0]
        )
        c = _nearest(
            np.arange(cols.start, cols.stop) * self.step - src.col_off, src.width, block.shape[1]
        )
        self.data[rows, cols] = np.take(np.take(block, c, axis=1), r, axis=0)

    def region(self, w: Window) -> tuple[slice, slice]:
        """The preview cells that :meth:`put` fills for a block at ``w``."""
        s = self.step
        r0, c0 = math.ceil(w.row_off / s), math.ceil(w.col_off / s)
        r1 = math.ceil((w.row_off + w.height) / s)
        c1 = math.ceil((w.col_off + w.width) / s)
        return slice(r0, r1), slice(c0, c1)


def _nearest(offsets: np.ndarray, full: int, reduced: int) -> np.ndarray:
    """Indices into ``reduced`` pixels of the full-grid ``offsets`` (of ``full``): the
    pixels themselves when ``reduced == full``."""
    if reduced == full:
        return offsets
    return np.minimum(((offsets + 0.5) * reduced / full).astype(np.intp), reduced - 1)


@dataclass
class Tally:
    """What the blocks of one scene add up to: pixels and hectares per class, previews.

    Attributes:
        info: the scene.
        counts: pixels per class.
        hectares: hectares per class (georeferenced scenes), else ``None``.
        nodata_pixels: pixels labelled :data:`~landcover.io.raster.NODATA_LABEL`.
        labels_prev: the classes on the colour PNG's grid.
        overlay_labels: the classes on the overlay's grid.
        image_prev: the input image on the overlay's grid.
    """

    info: RasterInfo
    counts: np.ndarray
    hectares: np.ndarray | None
    nodata_pixels: int
    labels_prev: Preview
    overlay_labels: Preview
    image_prev: Preview

    @classmethod
    def empty(cls, info: RasterInfo, num_classes: int) -> Tally:
        """Zero counts (hectares when georeferenced) and blank previews for a scene."""
        h, w = info.height, info.width
        step = max(1, math.ceil(max(h, w) / PREVIEW_MAX))
        overlay_step = max(1, math.ceil(max(h, w) / OVERLAY_MAX))
        georef = is_georeferenced(info.crs, info.transform)
        return cls(
            info,
            np.zeros(num_classes, dtype=np.int64),
            np.zeros(num_classes) if georef else None,
            0,
            Preview(h, w, step, None),
            Preview(h, w, overlay_step, None),
            Preview(h, w, overlay_step, 3),
        )

    def count(self, lab: np.ndarray, w: Window) -> None:
        """Add one written block of classes to the counts and previews."""
        info, k = self.info, len(self.counts)
        self.counts += count_labels(lab, k)
        self.nodata_pixels += int(np.count_nonzero(lab == NODATA_LABEL))
        if self.hectares is not None:
            areas = row_pixel_areas(
                info.crs, info.transform, info.width, info.height, w.row_off, w.height
            )
            self.hectares += class_hectares(lab, areas, k)
        self.labels_prev.put(lab, w)
        self.overlay_labels.put(lab, w)
