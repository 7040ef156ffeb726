"""Change between two class maps of the same place: from-to matrix, change raster, figures.

:func:`change_between` reads the two class rasters window by window (rasterio windows of
:data:`BLOCK` pixels, so a 20000x20000 pair never sits in memory), counts every (before, after)
class pair in pixels and in true ground hectares (:func:`landcover.io.ground.row_pixel_areas`),
and writes, in the output folder:

- ``matrix_pixels.csv`` and ``matrix_ha.csv``: the from-to matrices (rows: before, columns:
  after);
- ``summary.csv`` and ``change.json``: per class persistence, gain, loss, net change and swap
  (:mod:`landcover.gis.change_stats`), and whole-map totals;
- ``change.tif``: one code per from-to pair (:mod:`landcover.gis.change_codes`), nodata where
  either map is nodata, with a colour table and a legend naming each code "from → to";
- ``change_matrix.png`` and ``change_flows.png``: a heat map of the matrix and the flows between
  classes (:mod:`landcover.viz.change`).

The maps must share a legend (same class names) and a pixel grid; with ``align=True`` the
second is reprojected onto the first's grid by nearest neighbour. Comparing two classified maps
compounds their errors: part of any apparent change is classification error of either map.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window

from landcover.errors import InputError, LandcoverIOError
from landcover.gis.change_codes import change_codes, change_colormap, change_dtype, change_legend
from landcover.gis.change_output import write_change_outputs
from landcover.gis.change_stats import ChangeResult
from landcover.gis.grids import aligned_reader, grid_difference
from landcover.gis.styles import write_raster_style
from landcover.io.atomic import prepare_output_dir
from landcover.io.ground import class_hectares, ground_gsd, is_georeferenced, row_pixel_areas
from landcover.io.legend import Legend, legend_from_dataset
from landcover.io.progress import progress_bar
from landcover.io.raster import RasterInfo, RasterWriter, gdal_env, open_raster
from landcover.io.remote import is_remote

log = logging.getLogger(__name__)

BLOCK = 1024
OUTPUTS = (
    "matrix_ha.csv",
    "matrix_pixels.csv",
    "summary.csv",
    "change.json",
    "change.tif",
    "change.qml",
    "change.tif.aux.xml",
    "change_matrix.png",
    "change_flows.png",
)


def change_between(
    before_tif: str | Path,
    after_tif: str | Path,
    out_dir: str | Path,
    *,
    align: bool = False,
    overwrite: bool = False,
    progress: bool = False,
) -> ChangeResult:
    """Compare two class maps: from-to matrices, change statistics, change raster, figures.

    Args:
        before_tif: the class raster of the first date.
        after_tif: the class raster of the second date, with the same class names.
        out_dir: output folder (created).
        align: reproject ``after_tif`` onto the grid of ``before_tif`` (nearest neighbour)
            instead of refusing rasters on different grids.
        overwrite: replace earlier results in ``out_dir``.
        progress: show a progress bar over the blocks.

    Returns:
        The matrices and the files written.

    Raises:
        InputError: the legends differ, or the grids differ and ``align`` is false.
        LandcoverIOError: a raster cannot be read.
        LandcoverError: ``out_dir`` holds earlier results (without ``overwrite``).
    """
    before, after = Path(before_tif), Path(after_tif)
    with gdal_env(), ExitStack() as stack:
        src_b = stack.enter_context(_open(before))
        src_a = stack.enter_context(_open(after))
        legend = _shared_legend(src_b, src_a, before, after)
        reader, aligned = _on_grid(src_b, src_a, before, after, align, stack)
        out = prepare_output_dir(out_dir, OUTPUTS, overwrite)
        tif = out / "change.tif"
        pixels, hectares = _compare(src_b, reader, legend, tif, progress)

    occurring = np.flatnonzero(pixels.ravel())  # codes b * K + a, row-major as the matrix
    styles = write_raster_style(tif, change_legend(legend), values=occurring.tolist())
    result = ChangeResult(before, after, out, legend, pixels, hectares, aligned)
    files = (tif, *styles, *write_change_outputs(result))
    return ChangeResult(before, after, out, legend, pixels, hectares, aligned, files)


def _open(path: Path) -> Any:
    if not (is_remote(path) or path.is_file()):
        raise LandcoverIOError("no such file", path)
    try:
        return open_raster(path)
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("not a readable raster", path) from e


def _shared_legend(src_b: Any, src_a: Any, before: Path, after: Path) -> Legend:
    """The legend of ``before``, checked to name the same classes as ``after``'s."""
    lb, la = legend_from_dataset(src_b), legend_from_dataset(src_a)
    if lb.num_classes == 0:
        raise InputError("no class names or colour table: not a class raster?", before)
    if lb.names != la.names:
        raise InputError(
            f"its classes differ from those of {before} ({', '.join(la.names) or 'none'} vs "
            f"{', '.join(lb.names)}): the maps cannot be compared",
            after,
        )
    return lb


def _on_grid(
    src_b: Any, src_a: Any, before: Path, after: Path, align: bool, stack: ExitStack
) -> tuple[Any, bool]:
    """``after`` on ``before``'s grid: as is when they match, else a WarpedVRT if ``align``."""
    reason = grid_difference(src_b, src_a)
    if reason is None:
        return src_a, False
    if not align:
        raise InputError(
            f"not on the grid of {before} ({reason}); use --align to reproject it onto that "
            "grid (nearest neighbour)",
            after,
        )
    for src, path in ((src_b, before), (src_a, after)):
        if src.crs is None:
            raise InputError("has no CRS: it cannot be aligned to the other map", path)
    fill = int(src_a.nodata) if src_a.nodata is not None else 255
    log.info("%s: reprojected onto the grid of %s (%s)", after, before, reason)
    return stack.enter_context(aligned_reader(src_a, src_b, fill)), True


def _compare(
    src_b: Any, src_a: Any, legend: Legend, tif: Path, progress: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Stream both maps block by block: write the change raster, count pixels and hectares."""
    k = legend.num_classes
    geo = is_georeferenced(src_b.crs, src_b.transform)
    if not geo:
        log.warning("%s: not georeferenced; areas are in pixels only", src_b.name)
    rows = (
        row_pixel_areas(src_b.crs, src_b.transform, src_b.width, src_b.height, 0, src_b.height)
        if geo
        else np.ones(src_b.height)
    )
    pixels = np.zeros(k * k + 1, dtype=np.int64)
    hectares = np.zeros(k * k, dtype=np.float64)
    writer = _change_writer(src_b, legend, tif)
    try:
        blocks = list(_blocks(src_b.width, src_b.height))
        for w in progress_bar(blocks, "change", "block", disable=not progress):
            code = _block_codes(src_b, src_a, w, k)
            writer.write(code, w)
            pixels += np.bincount(np.minimum(code, k * k).ravel(), minlength=k * k + 1)
            hectares += class_hectares(code, rows[w.row_off : w.row_off + w.height], k * k)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return pixels[: k * k].reshape(k, k), hectares.reshape(k, k) if geo else None


def _block_codes(src_b: Any, src_a: Any, w: Window, k: int) -> np.ndarray:
    """Change codes of one window (nodata where either map is nodata or not a class)."""
    b = src_b.read(1, window=w)
    a = src_a.read(1, window=w)
    valid = _is_class(b, src_b.nodata, k) & _is_class(a, src_a.nodata, k)
    return change_codes(b, a, valid, k)


def _is_class(labels: np.ndarray, nodata: float | None, k: int) -> np.ndarray:
    ok = (labels >= 0) & (labels < k)
    if nodata is not None:
        ok &= labels != nodata
    return np.asarray(ok)


def _blocks(width: int, height: int) -> list[Window]:
    """Windows of at most :data:`BLOCK` x :data:`BLOCK` pixels covering the raster."""
    return [
        Window(col_off=c, row_off=r, width=min(BLOCK, width - c), height=min(BLOCK, height - r))
        for r in range(0, height, BLOCK)
        for c in range(0, width, BLOCK)
    ]


def _change_writer(src: Any, legend: Legend, tif: Path) -> Any:
    """A :class:`~landcover.io.raster.RasterWriter` for the change raster on ``src``'s grid."""

    dtype, nodata = change_dtype(legend.num_classes)
    codes = change_legend(legend)
    crs = src.crs if src.crs is not None else None
    gsd = ground_gsd(crs, src.transform, src.width, src.height)
    info = RasterInfo(tif, src.width, src.height, crs, src.transform, nodata, gsd, dtype)
    return RasterWriter(
        tif,
        info,
        dtype=dtype,
        nodata=nodata,
        colormap=change_colormap(codes),
        tags=codes.tags(),
        overviews="mode",  # each overview pixel its most frequent from-to code
    )
