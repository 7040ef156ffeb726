"""The bands a model was trained on, checked against an input raster before mapping it."""

from __future__ import annotations

from pathlib import Path

import rasterio

from landcover.errors import InputError
from landcover.models.meta import ModelMeta


def check_model_bands(meta: ModelMeta, path: str | Path) -> None:
    """Refuse an input that lacks the bands ``meta`` records, in one line naming the file.

    A model of more than three bands (``train --bands 1,2,3,4``) is also refused: the
    prediction engine reads three bands.

    Raises:
        InputError: naming ``path``, the model's bands and the input's band count.
    """
    if meta.bands is None and meta.in_channels == 3:
        return
    bands = list(meta.bands or range(1, meta.in_channels + 1))
    try:
        with rasterio.open(path) as src:
            count = src.count
    except rasterio.RasterioIOError:
        count = 3  # a picture (JPEG/PNG): RGB
    if max(bands) > count:
        raise InputError(
            f"the model was trained on bands {bands} but the input has {count} band(s)", path
        )
    if meta.in_channels != 3:
        raise InputError(
            f"the model reads {meta.in_channels} bands {bands}; predict maps 3-band models only "
            "for now",
            path,
        )
