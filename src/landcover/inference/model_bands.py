"""The bands a model was trained on: checked against an input raster, then read from it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import rasterio

from landcover.errors import InputError
from landcover.io.bands import BandSpec
from landcover.io.raster import RasterReader
from landcover.models.meta import ModelMeta


def check_model_bands(meta: ModelMeta, path: str | Path) -> None:
    """Refuse an input that lacks the bands ``meta`` records, in one line naming the file.

    Raises:
        InputError: naming ``path``, the model's bands and the input's band count.
    """
    bands = model_bands(meta)
    if bands is None:
        return
    try:
        with rasterio.open(path) as src:
            count = src.count
    except rasterio.RasterioIOError:
        count = 3  # a picture (JPEG/PNG): RGB
    if max(bands) > count:
        raise InputError(
            f"the model was trained on bands {bands} but the input has {count} band(s)", path
        )


def model_bands(meta: ModelMeta) -> list[int] | None:
    """The 1-based bands the model reads, or ``None`` for an RGB model that records none."""
    if meta.bands is None and meta.in_channels == 3:
        return None
    return list(meta.bands or range(1, meta.in_channels + 1))


def model_reader(
    meta: ModelMeta, path: str | Path, bands: Sequence[BandSpec] | None = None
) -> RasterReader:
    """Open ``path`` for the model: its ``meta.in_channels`` bands, from ``bands``
    (``--bands``) when given, else the bands it was trained on (RGB by meaning when it records
    none). A model of 4 bands reads ``(h, w, 4)`` windows.

    Raises:
        InputError: the input lacks the model's bands, or ``bands`` does not name as many
            bands as the model reads, naming the file.
    """
    if bands is None:
        check_model_bands(meta, path)
        bands = model_bands(meta)
    return RasterReader(path, bands=bands, channels=meta.in_channels)
