"""Class rasters rewritten as Cloud-Optimized GeoTIFFs (GDAL's COG driver through rasterio).

A COG is an ordinary GeoTIFF laid out for reading parts of it over HTTP: 512 x 512 tiles,
overviews (reduced copies) after the full-resolution image, and the index of all tiles at the
front of the file. Web maps, QGIS and STAC browsers read the few tiles they show instead of the
whole file. Choices for class rasters:

- ``DEFLATE`` compression without predictor: lossless, and class maps compress well.
- Overviews by ``MODE`` resampling: each overview pixel takes the most frequent class of the
  pixels it covers, never a value that is not a class (averaging would invent classes) and,
  unlike ``NEAREST``, small scattered classes do not flicker from one zoom level to the next.
  Nodata pixels are left out of the vote.
- Colour table, nodata value and the ``LANDCOVER_*`` legend tags are copied as they are.

GDAL streams the copy tile by tile through its block cache (capped by
:func:`~landcover.io.raster.gdal_env`), so memory does not grow with the raster; the overviews
are built in a temporary file beside the output, removed at the end.
"""

from __future__ import annotations

from pathlib import Path

from landcover.errors import LandcoverIOError
from landcover.io.atomic import prepare_output_file, publish, reserve_temp
from landcover.io.raster import gdal_env, open_raster

BLOCKSIZE = 512
COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
GEOTIFF_MEDIA_TYPE = "image/tiff; application=geotiff"
# Files GDAL writes beside its output (``<output>.<suffix>``): the COG driver's working files,
# and the PAM sidecar holding what a GeoTIFF cannot (class names and attribute table that
# predict writes in ``<stem>_classes.tif.aux.xml``), which follows the COG.
GDAL_TEMP_SUFFIXES = (".ovr.tmp", ".tmp")
PAM_SUFFIX = ".aux.xml"


def is_cog(path: str | Path) -> bool:
    """Whether the GeoTIFF at ``path`` was written with the COG layout (GDAL's ``LAYOUT=COG``).

    Raises:
        LandcoverIOError: when ``path`` is missing or not a readable raster.
    """
    import rasterio

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
        _copy_as_cog(src_path, tmp, blocksize)
        publish(tmp, target)
        if sidecar.is_file():
            publish(sidecar, target.with_name(target.name + PAM_SUFFIX))
    finally:
        for leftover in (tmp, sidecar, *(tmp.with_name(tmp.name + s) for s in GDAL_TEMP_SUFFIXES)):
            leftover.unlink(missing_ok=True)
    return target


def _copy_as_cog(src_path: Path, dst: Path, blocksize: int) -> None:
    """GDAL's COG driver: copy ``src_path`` into ``dst`` (which may exist, empty)."""
    import rasterio
    import rasterio.shutil

    options = {
        "COMPRESS": "DEFLATE",
        "PREDICTOR": "NO",
        "BLOCKSIZE": blocksize,
        "OVERVIEW_RESAMPLING": "MODE",
        "BIGTIFF": "IF_SAFER",
    }
    try:
        with gdal_env(), open_raster(src_path) as src:
            rasterio.shutil.copy(src, dst, driver="COG", **options)
    except rasterio.errors.RasterioError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise LandcoverIOError(f"cannot write a COG of it ({first})", src_path) from e
