"""Whole-image reading for RGB imagery and RGB masks, with clear errors naming the file.

JPEG and PNG go through Pillow (:mod:`landcover.io.pictures`: fast, handles
palette/greyscale/RGBA); TIFF and GeoTIFF through :class:`~landcover.io.raster.RasterReader`, so
that 16-bit and float rasters are scaled exactly as ``predict`` scales them. Everything comes out
as ``(H, W, 3)`` ``uint8``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from landcover.io.bands import BandSpec
from landcover.io.pictures import (
    RASTER_SUFFIXES,
    check_file,
    read_picture,
)
from landcover.io.raster import RasterReader
from landcover.io.remote import is_remote


def read_rgb(path: str | Path, bands: Sequence[BandSpec] | None = None) -> np.ndarray:
    """Read an image as ``(H, W, 3)`` ``uint8`` RGB.

    Greyscale, RGBA and palette images are converted to RGB; 16-bit and float rasters are
    scaled by :func:`~landcover.io.bands.stretch_to_uint8`'s rule; rasters with more than three
    bands use ``bands`` (1-based, as GDAL) or those :func:`~landcover.io.bands.select_bands`
    picks.
    """
    p = check_file(path)
    if p.suffix.lower() in RASTER_SUFFIXES or is_remote(p):  # URLs: GDAL reads them
        return _read_raster_rgb(p, bands)
    return read_picture(p, mode="RGB", warn_grey=True)


def read_mask_rgb(path: str | Path) -> np.ndarray:
    """Read an RGB-coded mask as ``(H, W, 3)`` ``uint8``, refusing lossy conversions."""
    p = check_file(path)
    if p.suffix.lower() in RASTER_SUFFIXES or is_remote(p):  # URLs: GDAL reads them
        return _read_raster_rgb(p, None)
    return read_picture(p, mode="RGB", note=logging.DEBUG)  # palette masks are the norm


def _read_raster_rgb(p: Path, bands: Sequence[BandSpec] | None) -> np.ndarray:
    with RasterReader(p, bands=bands) as reader:
        rgb, _ = reader.read(
            Window(col_off=0, row_off=0, width=reader.info.width, height=reader.info.height)
        )
    return rgb
