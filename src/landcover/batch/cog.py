"""Class rasters rewritten as Cloud-Optimized GeoTIFFs (GDAL's COG driver through rasterio).

A COG is an ordinary GeoTIFF laid out for reading parts of it over HTTP: 512 x 512 tiles,
overviews (reduced copies) after the full-resolution image, and the index of all tiles at the
front of the file. Web maps, QGIS and STAC browsers read the few tiles they show instead of the
whole file. Choices for class rasters:

- ``DEFLATE`` compression without predictor: lossless, and class maps compress well.
- Overviews by ``MODE`` resampling: each overview pixel takes the most frequent class of the
  pixels it covers, never a value that is not a class (averaging would invent classes) and,
  unlike ``NEAREST``, small scattered classes do not flicker from one zoom level to the next.
  Nodata pixels are left out of the vote. A class map finer than its model's pixels (a 0.5 m
  scene mapped by a 1.2 m model) is constant over each model pixel, so an overview whose
  pixels are no wider than a model pixel is sampled (``NEAREST``: a vote there decides only
  along model-pixel edges, and GDAL's costs 0.05 s per 2448 px tile); coarser ones are voted.
- Colour table, nodata value and the ``LANDCOVER_*`` legend tags are copied as they are.
- The confidence raster (a continuous 0-1 value, 0 = nodata) gets ``AVERAGE`` overviews
  instead.

Overviews are an extra: when the COG driver fails, :class:`CogWriter` writes a plain tiled
GeoTIFF, with a warning, so that it never fails a scene.

GDAL streams the copy tile by tile through its block cache (capped by
:func:`~landcover.io.raster.gdal_env`), so memory does not grow with the raster; the overviews
are built in a temporary file beside the output, removed at the end.

``predict`` writes its class rasters once, as COGs, with :class:`CogWriter`: the blocks go to
an in-memory raster (an uncompressed temporary GeoTIFF above :data:`MEM_MAX_PIXELS`), which
the COG driver then compresses, tiles and gives overviews in one pass. :func:`to_cog`
rewrites a class GeoTIFF written otherwise.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.enums import Resampling
from rasterio.windows import Window

from landcover.errors import LandcoverIOError
from landcover.io.atomic import prepare_output_file, publish, reserve_temp
from landcover.io.raster import RasterInfo, gdal_env, open_raster

log = logging.getLogger(__name__)

BLOCKSIZE = 512
COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
GEOTIFF_MEDIA_TYPE = "image/tiff; application=geotiff"
# Files GDAL writes beside its output (``<output>.<suffix>``): the COG driver's working files,
# and the PAM sidecar holding what a GeoTIFF cannot (class names and attribute table that
# predict writes in ``<stem>_classes.tif.aux.xml``), which follows the COG.
GDAL_TEMP_SUFFIXES = (".ovr.tmp", ".tmp")
PAM_SUFFIX = ".aux.xml"
MEM_MAX_PIXELS = 64_000_000  # a class raster up to this size (64 MB) is staged in memory
COG_OPTIONS: dict[str, Any] = {
    "COMPRESS": "DEFLATE",
    "PREDICTOR": "NO",
    "BLOCKSIZE": BLOCKSIZE,
    "OVERVIEW_RESAMPLING": "MODE",
    "BIGTIFF": "IF_SAFER",
}
PLAIN_OPTIONS: dict[str, Any] = {
    "TILED": "YES",
    "BLOCKXSIZE": BLOCKSIZE,
    "BLOCKYSIZE": BLOCKSIZE,
    "COMPRESS": "DEFLATE",
    "BIGTIFF": "IF_SAFER",
}


class CogWriter:
    """Write a one-band uint8 class raster block by block; :meth:`close` publishes it as a COG.

    The same interface as :class:`~landcover.io.raster.RasterWriter`: the input's size, CRS and
    transform, a nodata value, a colour table and tags; nothing is left under ``path`` unless
    :meth:`close` succeeds. ``constant_px``: the classes are constant over squares of this many
    pixels a side (the model's pixels); ``MODE`` overviews up to that factor are sampled
    instead (see the module docstring).
    """

    def __init__(
        self,
        path: str | Path,
        info: RasterInfo,
        *,
        nodata: float | None = None,
        colormap: dict[int, tuple[int, int, int, int]] | None = None,
        tags: dict[str, str] | None = None,
        resampling: str = "MODE",
        constant_px: float = 1.0,
    ) -> None:
        self.path = Path(path)
        self.resampling = resampling
        self.constant_px = constant_px
        profile: dict[str, Any] = {
            "width": info.width,
            "height": info.height,
            "count": 1,
            "dtype": "uint8",
        }
        if info.crs is not None:
            profile.update(crs=info.crs, transform=info.transform)
        if nodata is not None:
            profile["nodata"] = nodata
        in_memory = info.width * info.height <= MEM_MAX_PIXELS
        self._stage = None if in_memory else reserve_temp(self.path)
        if self._stage is None:
            profile["driver"] = "MEM"
        else:
            profile.update(driver="GTiff", tiled=True, blockxsize=BLOCKSIZE, blockysize=BLOCKSIZE)
            profile["BIGTIFF"] = "IF_SAFER"
        name = str(self._stage) if self._stage else f"/vsimem/landcover-{uuid.uuid4().hex}"
        self._dst = open_raster(name, "w", **profile)
        if colormap is not None:
            self._dst.write_colormap(1, colormap)
        if tags:
            self._dst.update_tags(**tags)

    def write(self, data: np.ndarray, window: Window, band: int = 1) -> None:
        """Write ``(h, w)`` pixels (or ``(1, h, w)``) at ``window``."""
        self._dst.write(data.reshape(data.shape[-2:]), band, window=window)

    def close(self) -> Path:
        """Write the COG under a temporary name and rename it to :attr:`path`.

        Overviews are an extra: when GDAL's COG driver fails, the raster is written as a plain
        tiled GeoTIFF instead, with a warning, so that it never fails a scene.
        """
        tmp = reserve_temp(self.path)
        try:
            with gdal_env():
                try:
                    options = dict(COG_OPTIONS, OVERVIEW_RESAMPLING=self.resampling)
                    if self.resampling == "MODE" and self.constant_px >= 2:
                        self._build_overviews()
                        options["OVERVIEWS"] = "FORCE_USE_EXISTING"
                    rasterio.shutil.copy(self._dst, tmp, driver="COG", **options)
                except rasterio.errors.RasterioError as e:
                    log.warning("%s: no overviews (%s)", self.path, _first_line(e))
                    _remove_leftovers(tmp)
                    rasterio.shutil.copy(self._dst, tmp, driver="GTiff", **PLAIN_OPTIONS)
            publish(tmp, self.path)
        except rasterio.errors.RasterioError as e:
            raise LandcoverIOError(f"cannot write the raster ({_first_line(e)})", self.path) from e
        finally:
            self.abort()
            _remove_leftovers(tmp)
        return self.path

    def _build_overviews(self) -> None:
        """The COG's overviews on the staged raster: sampled up to :attr:`constant_px`, voted
        beyond."""
        factors = cog_overview_factors(self._dst.width, self._dst.height)
        sampled = [f for f in factors if f <= self.constant_px]
        voted = [f for f in factors if f > self.constant_px]
        if sampled:
            self._dst.build_overviews(sampled, Resampling.nearest)
        if voted:
            self._dst.build_overviews(voted, Resampling.mode)

    def abort(self) -> None:
        """Drop the staged pixels."""
        try:
            self._dst.close()
        finally:
            if self._stage is not None:
                self._stage.unlink(missing_ok=True)


def cog_overview_factors(width: int, height: int, blocksize: int = BLOCKSIZE) -> list[int]:
    """The overview factors GDAL's COG driver makes by default: halving until the raster fits
    in one tile."""
    factors: list[int] = []
    while max(width, height) > blocksize:
        width, height = -(-width // 2), -(-height // 2)
        factors.append(2 ** (len(factors) + 1))
    return factors


def is_cog(path: str | Path) -> bool:
    """Whether the GeoTIFF at ``path`` was written with the COG layout (GDAL's ``LAYOUT=COG``).

    Raises:
        LandcoverIOError: when ``path`` is missing or not a readable raster.
    """
    try:
        with open_raster(path) as src:
            return bool(src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG")
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("cannot read this class raster", path) from e


def to_cog(
    classes_tif: str | Path,
    out: str | Path | None = None,
    *,
    overwrite: bool = False,
    blocksize: int = BLOCKSIZE,
    resampling: str = "MODE",
) -> Path:
    """Rewrite a class GeoTIFF as a Cloud-Optimized GeoTIFF, atomically.

    Pixels, CRS, transform, nodata, colour table and tags stay as they are; the file gains the
    COG layout, DEFLATE compression and ``MODE`` overviews (see the module docstring). The
    class names and attribute table of a ``.aux.xml`` sidecar go to ``<out>.aux.xml``.

    Args:
        classes_tif: a class GeoTIFF (``<stem>_classes.tif`` from ``predict``).
        out: the COG to write; default: replace ``classes_tif`` itself (written under a
            temporary name beside it, then renamed onto it). A ``classes_tif`` that is already
            a COG is then left untouched, so calling this again after a resumed run is cheap.
        overwrite: allow replacing an existing ``out`` (other than ``classes_tif``).
        blocksize: tile side in pixels.
        resampling: GDAL's overview resampling (``MODE`` for classes, ``AVERAGE`` for a
            continuous value such as the confidence).

    Returns:
        The path of the COG.

    Raises:
        LandcoverIOError: when ``classes_tif`` cannot be read or ``out`` cannot be written
            (or exists and ``overwrite`` is false).
    """
    src_path = Path(classes_tif)
    if not src_path.is_file():
        raise LandcoverIOError("no such class raster", src_path)
    in_place = out is None or Path(out).resolve() == src_path.resolve()
    target = src_path if out is None else Path(out)
    if in_place:
        if is_cog(src_path):
            return target
    else:
        prepare_output_file(target, "the COG", overwrite)
    tmp = reserve_temp(target)
    sidecar = tmp.with_name(tmp.name + PAM_SUFFIX)
    try:
        _copy_as_cog(src_path, tmp, blocksize, resampling)
        publish(tmp, target)
        if sidecar.is_file():
            publish(sidecar, target.with_name(target.name + PAM_SUFFIX))
    finally:
        _remove_leftovers(tmp)
    return target


def _remove_leftovers(tmp: Path) -> None:
    """``tmp`` (when not published), its sidecar and the COG driver's working files."""
    for s in ("", PAM_SUFFIX, *GDAL_TEMP_SUFFIXES):
        tmp.with_name(tmp.name + s).unlink(missing_ok=True)


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def _copy_as_cog(src_path: Path, dst: Path, blocksize: int, resampling: str) -> None:
    """GDAL's COG driver: copy ``src_path`` into ``dst`` (which may exist, empty)."""
    options = dict(COG_OPTIONS, BLOCKSIZE=blocksize, OVERVIEW_RESAMPLING=resampling)
    try:
        with gdal_env(), open_raster(src_path) as src:
            rasterio.shutil.copy(src, dst, driver="COG", **options)
    except rasterio.errors.RasterioError as e:
        raise LandcoverIOError(f"cannot write a COG of it ({_first_line(e)})", src_path) from e
