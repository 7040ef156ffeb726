"""The raster layers of a scene in the map viewer, all on one preview grid.

The preview grid is the one ``predict`` used for ``<stem>_color.png``: every ``step``-th pixel
of the class raster, ``step = ceil(max side / 4096)``. The class layer is that PNG itself (its
palette indices are the classes, so the embedded class raster that a click reads is exactly what
is drawn); a run without it gets one made from the class raster. The image layer is a preview of
the input image when it is still where ``_areas.json`` says, else the overlay JPEG.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from rasterio.windows import Window

from landcover.errors import LandcoverError
from landcover.inference.writers import atomic_save, write_color_png
from landcover.io.logs import quieted
from landcover.io.raster import RasterReader, open_raster
from landcover.report.scenes import Grid, SceneFiles

log = logging.getLogger(__name__)

PREVIEW_MAX = 4096
STRIP_ROWS = 1024
DOUBT_RGB = (214, 0, 140)


def preview_step(height: int, width: int) -> int:
    """The decimation ``predict`` uses for its previews of an ``height`` x ``width`` raster."""
    return max(1, math.ceil(max(height, width) / PREVIEW_MAX))


def preview_shape(height: int, width: int, step: int) -> tuple[int, int]:
    """The shape of every ``step``-th pixel of an ``height`` x ``width`` raster."""
    return math.ceil(height / step), math.ceil(width / step)


def read_band_decimated(path: Path, step: int, band: int = 1) -> np.ndarray:
    """Every ``step``-th pixel (rows and columns, from 0) of one band, read strip by strip."""
    with open_raster(path) as src:
        strip = step * max(1, STRIP_ROWS // step)
        parts = [
            src.read(
                band,
                window=Window(
                    col_off=0, row_off=r, width=src.width, height=min(strip, src.height - r)
                ),
            )[::step, ::step]
            for r in range(0, src.height, strip)
        ]
    return np.concatenate(parts, axis=0)


def class_layer(files: SceneFiles, grid: Grid, out_png: Path) -> tuple[np.ndarray, Path, int]:
    """The scene's preview class indices, the PNG that draws them, and the preview ``step``.

    ``<stem>_color.png`` when it is a palette PNG on the preview grid; otherwise ``out_png`` is
    written from the class raster in the legend's colours.
    """
    step = preview_step(grid.height, grid.width)
    shape = preview_shape(grid.height, grid.width, step)
    color = files.sibling("_color.png")
    if color is not None:
        with Image.open(color) as im:
            if im.mode == "P" and (im.height, im.width) == shape:
                return np.asarray(im), color, step
        log.info("%s: not a class palette PNG of its raster; drawing the class raster", color)
    labels = read_band_decimated(files.classes, step)
    write_color_png(out_png, labels, grid.legend.colors)
    return labels, out_png, step


def _input_image(areas: dict[str, Any] | None, run_dir: Path) -> Path | None:
    """The input image named in ``_areas.json``, if it is still there."""
    name = (areas or {}).get("image")
    if not name:
        return None
    for p in (Path(name), run_dir / name):
        if p.is_file():
            return p
    return None


def image_preview(
    areas: dict[str, Any] | None, run_dir: Path, grid: Grid, step: int
) -> np.ndarray | None:
    """A ``(h, w, 3)`` preview of the scene's input image on the preview grid, or ``None``
    when the image is gone, unreadable or no longer the size of the class raster."""
    path = _input_image(areas, run_dir)
    if path is None:
        return None
    try:
        # the run already said how the image's bands were read: not again for every scene
        with quieted("landcover.io", logging.ERROR), RasterReader(path) as reader:
            info = reader.info
            if (info.height, info.width) != (grid.height, grid.width):
                return None
            strip = step * max(1, STRIP_ROWS // step)
            parts = []
            for r in range(0, info.height, strip):
                w = Window(
                    col_off=0, row_off=r, width=info.width, height=min(strip, info.height - r)
                )
                parts.append(reader.read(w)[0][::step, ::step])
    except (LandcoverError, OSError) as e:
        log.warning("%s: image not shown under the class map (%s)", path, e)
        return None
    return np.concatenate(parts, axis=0)


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 85) -> Path:
    """Write an RGB array as a JPEG, atomically."""
    im = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    return atomic_save(path, lambda tmp: im.save(tmp, format="JPEG", quality=quality))


def confidence_preview(path: Path | None, step: int, shape: tuple[int, int]) -> np.ndarray | None:
    """Every ``step``-th pixel of ``<stem>_confidence.tif`` (uint8, 255 = 1.0), or ``None``
    when there is none or it is not on the class raster's grid."""
    if path is None:
        return None
    try:
        values = read_band_decimated(path, step)
    except Exception as e:  # noqa: BLE001 - an unreadable extra layer is left out, not fatal
        log.warning("%s: confidence not shown (%s)", path, e)
        return None
    if values.shape != shape or values.dtype != np.uint8:
        log.warning("%s: confidence not shown (not a uint8 raster on the classes' grid)", path)
        return None
    return values


def write_doubt_png(
    path: Path, confidence: np.ndarray, labels: np.ndarray, num_classes: int
) -> Path:
    """An RGBA PNG that is the more opaque the less confident the model (clear where the label
    is no class: nodata)."""
    rgba = np.zeros((*confidence.shape, 4), dtype=np.uint8)
    rgba[..., :3] = DOUBT_RGB
    rgba[..., 3] = np.where(labels >= num_classes, 0, 255 - confidence)
    im = Image.fromarray(rgba)
    return atomic_save(path, lambda tmp: im.save(tmp, format="PNG", compress_level=6))
