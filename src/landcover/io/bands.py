"""Which bands of a raster are read as RGB, and the one rule scaling 16-bit and float bands to 8.

``--bands`` decides when given. Otherwise a raster of three bands is RGB, one band is repeated
(greyscale, with a warning), and a raster of more than three bands is read by meaning: the
bands whose colour interpretation (GDAL's ``ColorInterp``: red, green, blue) or whose
description (a band named "Red", "green", "SR_B2 blue"...) says so, in one INFO line; when
neither tells, the first three, with a warning naming the file and ``--bands``.

Shared by whole pictures (:mod:`landcover.io.pictures`) and windowed rasters
(:mod:`landcover.io.raster`), so that training and prediction read and scale imagery alike.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from landcover.errors import InputError

log = logging.getLogger(__name__)

GREY_WARNING = (
    "single band (greyscale): the model expects RGB colour imagery; the band is repeated "
    "as R, G and B, expect a poorer map"
)
RGB = ("red", "green", "blue")
# Words that make a band description something else than plain red/green/blue light.
NOT_VISIBLE = {"edge", "rededge", "nir", "infrared", "swir", "ir"}


def select_bands(
    count: int,
    bands: Sequence[int] | None,
    path: Path | str,
    *,
    colorinterp: Sequence[str] = (),
    descriptions: Sequence[str | None] = (),
) -> list[int]:
    """The 1-based band indices read as RGB from a raster with ``count`` bands.

    Args:
        count: the raster's bands.
        bands: ``--bands`` (three 1-based indices), or ``None`` to choose.
        path: the raster, named in messages.
        colorinterp: each band's colour interpretation name (rasterio's ``ColorInterp.name``).
        descriptions: each band's description, or ``None``.

    Raises:
        InputError: ``bands`` does not name three of the bands, or the raster has 2 bands.
    """
    if bands is not None:
        bands = list(bands)
        if len(bands) != 3 or any(not 1 <= b <= count for b in bands):
            raise InputError(f"--bands {bands} does not name 3 of its {count} bands", path)
        return bands
    if count == 1:
        log.warning("%s: %s", path, GREY_WARNING)
        return [1]
    if count == 3:
        return [1, 2, 3]
    if count == 2:
        raise InputError("has 2 bands; RGB needs 3 (use --bands to choose)", path)
    for source, names in (("colour interpretation", colorinterp), ("descriptions", descriptions)):
        found = rgb_by_name([_meaning(n) for n in names])
        if found is not None:
            shown = ",".join(map(str, found))
            log.info("%s: %d bands, RGB = bands %s by their %s", path, count, shown, source)
            return found
    log.warning(
        "%s: %d bands, using the first three as RGB: neither colour interpretation nor band "
        "descriptions say which are red, green and blue (override with --bands)",
        path,
        count,
    )
    return [1, 2, 3]


def rgb_by_name(meanings: Sequence[str | None]) -> list[int] | None:
    """The 1-based bands meaning red, green and blue, when each is named by exactly one."""
    found = []
    for colour in RGB:
        matches = [i + 1 for i, m in enumerate(meanings) if m == colour]
        if len(matches) != 1:
            return None
        found.append(matches[0])
    return found


def _meaning(name: str | None) -> str | None:
    """``"red"``, ``"green"`` or ``"blue"`` when a band's name says it (and nothing else)."""
    words = set(re.split(r"[^a-z]+", (name or "").lower())) - {""}
    colours = words & set(RGB)
    if len(colours) != 1 or words & NOT_VISIBLE:
        return None
    return colours.pop()


def stretch_limits(
    bands: np.ndarray, ok: np.ndarray, percentiles: tuple[float, float] = (2.0, 98.0)
) -> np.ndarray:
    """Per-band ``(2, C)`` float32 limits: the ``percentiles`` of each band of ``(C, H, W)``
    ``bands`` over the pixels where ``ok`` and finite (at most ~1 M of them, evenly spaced).

    The one rule for scaling 16-bit and float imagery to 8 bits, for training and prediction
    alike (:class:`landcover.io.raster.RasterReader` measures it on a decimated read).
    """
    limits = np.zeros((2, bands.shape[0]), dtype=np.float32)
    for b, band in enumerate(bands):
        sample = band[ok & np.isfinite(band)]
        if sample.size > 1_000_000:
            sample = sample[:: sample.size // 1_000_000]
        if sample.size:
            limits[:, b] = np.percentile(sample, percentiles)
    return limits


def apply_stretch(bands: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Map ``(C, H, W)`` bands linearly from their ``limits`` to 0..255, clipped; NaN -> 0."""
    lo, hi = limits[0][:, None, None], limits[1][:, None, None]
    scale = np.where(hi > lo, 255.0 / np.maximum(hi - lo, 1e-12), 0.0)
    f = np.nan_to_num(bands.astype(np.float32), nan=0.0)
    return np.clip((f - lo) * scale, 0, 255).astype(np.uint8)


def stretch_to_uint8(
    arr: np.ndarray,
    path: Path | str = "",
    valid: np.ndarray | None = None,
    percentiles: tuple[float, float] = (2.0, 98.0),
) -> np.ndarray:
    """Scale an ``(H, W, C)`` 16-bit or float image to ``uint8`` (:func:`stretch_limits`)."""
    bands = np.moveaxis(arr.astype(np.float32, copy=False), -1, 0)
    ok = np.ones(bands.shape[1:], dtype=bool) if valid is None else valid
    out = apply_stretch(bands, stretch_limits(bands, ok, percentiles))
    log.info("%s: scaled %s to 8 bits (2-98 %% percentile stretch)", path, arr.dtype)
    return np.ascontiguousarray(np.moveaxis(out, 0, -1))
