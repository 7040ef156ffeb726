"""The large-area extras of a run, best effort: VRT mosaics and the STAC collection.

They are rebuilt from the done scenes' class rasters after every run. A scene that cannot
join a mosaic (no CRS, a rotated or flipped grid) is left out with a warning naming it, and an
extra that cannot be written at all is skipped with a warning: the class rasters asked for are
the run's result, these files only help to browse them, so they never fail a run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from landcover.batch.mosaic import build_vrt
from landcover.batch.records import RunFolder
from landcover.batch.stac import scene_info, write_stac
from landcover.batch.stac_input import with_sources
from landcover.errors import InputError, LandcoverError
from landcover.io.ground import is_georeferenced
from landcover.io.raster import open_raster

log = logging.getLogger(__name__)


def write_catalog(folder: RunFolder, stems: Sequence[str]) -> list[Path]:
    """The VRT mosaics (one per CRS) and the STAC collection over the done scenes' class
    rasters, each written when it can be (see the module docstring).

    Args:
        folder: the run folder.
        stems: the done scenes.

    Returns:
        The files written; none when no scene is georeferenced.
    """
    rasters = [p for p in (folder.path / f"{s}_classes.tif" for s in sorted(stems)) if _placed(p)]
    if not rasters:
        return []
    written: list[Path] = []
    try:
        written += build_vrt(rasters, folder.path, overwrite=True)
    except InputError as e:  # every scene left out, each named in a warning already
        log.info("%s: no VRT mosaic (%s)", folder.path, e.message)
    except LandcoverError as e:
        log.warning("%s: no VRT mosaic written (%s)", folder.path, e.message)
    try:
        scenes = with_sources(folder.records, [scene_info(p) for p in rasters])
        written.append(write_stac(folder.path, scenes, overwrite=True))
    except LandcoverError as e:
        log.warning("%s: no STAC collection written (%s)", folder.path, e.message)
    return written


def _placed(path: Path) -> bool:
    """Whether a class raster is georeferenced; an unreadable one is left out, warned of."""
    try:
        with open_raster(path) as src:
            return is_georeferenced(src.crs, src.transform)
    except OSError as e:  # rasterio's RasterioIOError among them
        log.warning("%s: left out of the mosaics and STAC (%s)", path, str(e).splitlines()[0])
        return False
