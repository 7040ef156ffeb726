"""Which bands of a raster are read as red, green and blue.

``--bands`` decides when given. Otherwise a raster of three bands is RGB, one band is repeated
(greyscale, with a warning), and a raster of more than three bands is read by meaning: the
bands whose colour interpretation (GDAL's ``ColorInterp``: red, green, blue) or whose
description (a band named "Red", "green", "SR_B2 blue"...) says so, in one INFO line; when
neither tells, the first three, with a warning naming the file and ``--bands``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from landcover.errors import LandcoverError
from landcover.io.images import GREY_WARNING

log = logging.getLogger(__name__)

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
        LandcoverError: ``bands`` does not name three of the bands, or the raster has 2 bands.
    """
    if bands is not None:
        bands = list(bands)
        if len(bands) != 3 or any(not 1 <= b <= count for b in bands):
            raise LandcoverError(f"--bands {bands} does not name 3 of its {count} bands", path)
        return bands
    if count == 1:
        log.warning("%s: %s", path, GREY_WARNING)
        return [1]
    if count == 3:
        return [1, 2, 3]
    if count == 2:
        raise LandcoverError("has 2 bands; RGB needs 3 (use --bands to choose)", path)
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
