"""Which bands of a raster are read as RGB, and the one rule scaling 16-bit and float bands to 8.

``--bands`` decides when given, each band by its 1-based index or by its name: a name is
matched case-insensitively against the band descriptions (whole description, else its colour
meaning, else one word of it, so ``nir`` finds "B8 NIR"), else the colour interpretation
(:func:`band_by_name`). Otherwise a raster of three bands is RGB, one band is repeated
(greyscale, with a warning), and a raster of more than three bands is read by meaning: the
bands whose description (a band named "Red", "green", "SR_B2 blue"...) or else whose colour
interpretation (GDAL's ``ColorInterp``: red, green, blue) says so, in one INFO line; when
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
BandSpec = int | str
"""One band asked for by ``--bands``: its 1-based index, or its name (description/colour)."""
# Words that make a band description something else than plain red/green/blue light.
NOT_VISIBLE = {"edge", "rededge", "nir", "infrared", "swir", "ir"}


def as_band(value: object) -> BandSpec:
    """A band index from a number or a string of digits, else the band's name (stripped)."""
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def parse_band_list(text: str) -> list[BandSpec]:
    """``"red,green,blue,nir"`` or ``"4,3,2"`` (or both mixed) -> the bands asked for."""
    return [as_band(part) for part in text.split(",") if part.strip()]


def select_bands(
    count: int,
    bands: Sequence[BandSpec] | None,
    path: Path | str,
    *,
    colorinterp: Sequence[str] = (),
    descriptions: Sequence[str | None] = (),
    channels: int = 3,
) -> list[int]:
    """The 1-based band indices read from a raster with ``count`` bands: RGB, or the
    ``channels`` bands of a model of other than three.

    Args:
        count: the raster's bands.
        bands: ``--bands`` (``channels`` indices or names), or ``None`` to choose RGB.
        path: the raster, named in messages.
        colorinterp: each band's colour interpretation name (rasterio's ``ColorInterp.name``).
        descriptions: each band's description, or ``None``.
        channels: how many bands the reader must give (3: RGB).

    Raises:
        InputError: ``bands`` does not name ``channels`` of the bands, or the raster has 2
            bands.
    """
    if bands is not None:
        found = resolve_bands(bands, count, path, colorinterp, descriptions)
        if len(found) != channels:
            raise InputError(
                f"--bands {list(bands)} does not name {channels} of its {count} bands", path
            )
        return found
    if channels != 3:
        raise InputError(f"name the {channels} bands to read (--bands)", path)
    if count == 1:
        log.warning("%s: %s", path, GREY_WARNING)
        return [1]
    if count == 3:
        return [1, 2, 3]
    if count == 2:
        raise InputError("has 2 bands; RGB needs 3 (use --bands to choose)", path)
    # Descriptions first: GDAL labels any 3- or 4-band 8-bit GeoTIFF red, green, blue by default,
    # whatever it holds, while a description is what its maker wrote.
    for source, names in (("descriptions", descriptions), ("colour interpretation", colorinterp)):
        rgb = rgb_by_name([_meaning(n) for n in names])
        if rgb is not None:
            shown = ",".join(map(str, rgb))
            log.info("%s: %d bands, RGB = bands %s by their %s", path, count, shown, source)
            return rgb
    log.warning(
        "%s: %d bands, using the first three as RGB: neither colour interpretation nor band "
        "descriptions say which are red, green and blue (override with --bands)",
        path,
        count,
    )
    return [1, 2, 3]


def resolve_bands(
    bands: Sequence[BandSpec],
    count: int,
    path: Path | str,
    colorinterp: Sequence[str] = (),
    descriptions: Sequence[str | None] = (),
) -> list[int]:
    """1-based indices of ``bands`` (indices, or names matched as the module says).

    Raises:
        InputError: an index out of ``1..count``, or a name no band (or several) answers to,
            listing the raster's band descriptions.
    """
    found = []
    for b in bands:
        index = b if isinstance(b, int) else band_by_name(b, colorinterp, descriptions)
        if index is None:
            raise InputError(
                f"--bands: no single band named {b!r}; its bands: {band_list(count, descriptions)}",
                path,
            )
        if not 1 <= index <= count:
            raise InputError(
                f"--bands {list(bands)} does not name {len(bands)} of its {count} bands", path
            )
        found.append(index)
    return found


def band_by_name(
    name: str, colorinterp: Sequence[str], descriptions: Sequence[str | None]
) -> int | None:
    """The 1-based band answering to ``name`` (case-insensitive), or ``None`` if none or
    several: its whole description, else the meaning of its description (red, green, blue),
    else one word of its description, else its colour interpretation (last: GDAL gives 3- and
    4-band 8-bit GeoTIFFs red, green, blue by default, whatever they hold)."""
    key = name.strip().lower()
    tries = [
        [(d or "").strip().lower() == key for d in descriptions],
        [_meaning(d) == key for d in descriptions],
        [key in _words(d) for d in descriptions],
        [c.lower() == key for c in colorinterp],
    ]
    for hits in tries:
        matches = [i + 1 for i, hit in enumerate(hits) if hit]
        if len(matches) == 1:
            return matches[0]
    return None


def band_list(count: int, descriptions: Sequence[str | None]) -> str:
    """``"1 'Red', 2 'Green', 3 (no description)"``: a raster's bands for messages."""
    names = list(descriptions) + [None] * (count - len(descriptions))
    return ", ".join(
        f"{i + 1} {n!r}" if n else f"{i + 1} (no description)" for i, n in enumerate(names[:count])
    )


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
    words = _words(name)
    colours = words & set(RGB)
    if len(colours) != 1 or words & NOT_VISIBLE:
        return None
    return colours.pop()


def _words(name: str | None) -> set[str]:
    """The lower-case words of a band name (``"SR_B8 NIR"`` -> ``{"sr", "b", "nir"}``)."""
    return set(re.split(r"[^a-z]+", (name or "").lower())) - {""}


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
