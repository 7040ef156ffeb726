"""VRT mosaics over the class rasters of a run: one virtual raster per CRS, no pixels copied.

A VRT (GDAL's Virtual Raster, an XML file) lists source rasters and where each lands on a
common grid; QGIS, GDAL and rasterio open it as one raster, reading the sources on demand. A run
over 2,000 scenes gets one ``mosaic_<EPSG>.vrt`` per CRS (``mosaic_crs-<hash>.vrt`` for a CRS
without an EPSG code) that shows all of them at once with the class colours, however large.

The XML is written here, following GDAL's documented VRT format (``VRTDataset``, one
``VRTRasterBand`` of ``Byte`` with ``NoDataValue`` 255, ``ColorInterp`` ``Palette``, a
``ColorTable`` of the classes only and the class names of the rasters, one ``ComplexSource``
per raster with its ``SrcRect``/``DstRect`` and a path relative to the VRT), so that the
folder can be moved or served as a whole; a ``mosaic_*.qml`` beside it styles it in QGIS.
Each source declares 255 as its nodata, so where scenes overlap a scene's nodata pixels never
hide another's classes; elsewhere the later raster (by sorted path) wins.

Rasters of one CRS must share the pixel size; when they do not, one mosaic is written per
pixel size (``mosaic_<EPSG>_<xres>x<yres>.vrt``), with a warning. Class rasters without a CRS,
or rotated or south-up, are left out with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rasterio

from landcover.errors import InputError, LandcoverIOError
from landcover.gis.styles import raster_qml
from landcover.io.atomic import prepare_output_file, write_text_atomic
from landcover.io.legend import Legend, legend_from_dataset
from landcover.io.raster import NODATA_LABEL, open_raster
from landcover.wording import plural

log = logging.getLogger(__name__)

CLASSES_GLOB = "*_classes.tif"
SNAP = 1e-6  # offsets within this many pixels of an integer are taken as that integer


@dataclass(frozen=True)
class _Source:
    """What the VRT needs to know about one class raster."""

    path: Path
    width: int
    height: int
    transform: Any
    crs: Any
    block: tuple[int, int]
    colormap: dict[int, tuple[int, int, int, int]]
    legend: Legend


def find_class_rasters(run_dir: str | Path) -> list[Path]:
    """The class rasters (``*_classes.tif``) of a run folder, sorted by name.

    Raises:
        LandcoverIOError: when ``run_dir`` is not a folder.
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise LandcoverIOError("not a folder", folder)
    found = (p for p in folder.glob(CLASSES_GLOB) if p.is_file() and not p.name.startswith("."))
    return sorted(found)


def build_vrt(
    rasters: Sequence[str | Path] | str | Path,
    out_dir: str | Path | None = None,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write one VRT mosaic per CRS (and pixel size) over class rasters.

    Args:
        rasters: class GeoTIFFs, or a run folder whose ``*_classes.tif`` are taken.
        out_dir: where the ``mosaic_*.vrt`` go (default: the run folder given as ``rasters``).
            Sources are referenced by paths relative to it.
        overwrite: allow replacing existing mosaics of the same names.

    Returns:
        The VRT files written, sorted by name (each with a QGIS style ``mosaic_*.qml`` beside
        it when the rasters carry a legend).

    Raises:
        InputError: when no raster is given, or none can be mosaicked.
        LandcoverIOError: when a raster cannot be read, or a VRT cannot be written (or exists
            and ``overwrite`` is false).
    """
    if isinstance(rasters, str | Path):
        paths = find_class_rasters(rasters)
        folder = Path(out_dir) if out_dir is not None else Path(rasters)
        where: Path | None = Path(rasters)
    else:
        paths = [Path(r) for r in rasters]
        if out_dir is None:
            raise InputError("give the folder to write the mosaics in (out_dir)")
        folder, where = Path(out_dir), None
    if not paths:
        raise InputError("no class rasters (*_classes.tif) to mosaic", where)
    sources = [s for s in map(_describe, paths) if s is not None]
    if not sources:
        raise InputError("none of the class rasters can be mosaicked (see the warnings)", where)
    groups = _groups(sources)
    outputs = {name: folder / f"{name}.vrt" for name in sorted(groups)}
    for out in outputs.values():
        prepare_output_file(out, "the VRT mosaic", overwrite)
        prepare_output_file(out.with_suffix(".qml"), "the VRT mosaic's style", overwrite)
    for name, out in outputs.items():
        write_text_atomic(out, vrt_xml(groups[name], folder))
        legend = groups[name][0].legend
        if legend.num_classes:  # QGIS opens the mosaic styled by the classes
            write_text_atomic(out.with_suffix(".qml"), raster_qml(legend))
        log.info("%s: mosaic of %s", out, plural(len(groups[name]), "class raster"))
    return list(outputs.values())


def _describe(path: Path) -> _Source | None:
    """The facts of one class raster, or ``None`` (with a warning) when it cannot be placed."""
    try:
        with open_raster(path) as src:
            t = src.transform
            if src.crs is None:
                log.warning("%s: no CRS; left out of the mosaics", path)
                return None
            if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
                log.warning("%s: not north-up (rotated or flipped); left out of the mosaics", path)
                return None
            if src.count != 1 or src.dtypes[0] != "uint8":
                log.warning("%s: not a one-band uint8 class raster; left out of the mosaics", path)
                return None
            try:
                cmap = dict(src.colormap(1))
            except ValueError:
                cmap = {}
            block = src.block_shapes[0]
            legend = legend_from_dataset(src)
            return _Source(path, src.width, src.height, t, src.crs, block, cmap, legend)
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("cannot read this class raster", path) from e


def _crs_name(crs: Any) -> str:
    epsg = crs.to_epsg()
    if epsg is not None:
        return f"mosaic_{epsg}"
    return "mosaic_crs-" + hashlib.sha1(crs.to_wkt().encode("utf-8")).hexdigest()[:8]


def _groups(sources: list[_Source]) -> dict[str, list[_Source]]:
    """Sources by mosaic name: one group per CRS, split by pixel size when sizes differ."""
    by_crs: dict[str, list[_Source]] = {}
    for s in sources:
        by_crs.setdefault(_crs_name(s.crs), []).append(s)
    groups: dict[str, list[_Source]] = {}
    for name, members in by_crs.items():
        by_res: dict[str, list[_Source]] = {}
        for s in members:
            by_res.setdefault(f"{s.transform.a:.12g}x{-s.transform.e:.12g}", []).append(s)
        if len(by_res) == 1:
            groups[name] = members
            continue
        log.warning(
            "%s: the class rasters of this CRS have %d pixel sizes (%s); one mosaic per size",
            name,
            len(by_res),
            ", ".join(sorted(by_res)),
        )
        groups.update({f"{name}_{res}": group for res, group in by_res.items()})
    return groups


def vrt_xml(sources: Sequence[_Source], folder: Path) -> str:
    """The VRT XML of a mosaic of ``sources`` (same CRS and pixel size) saved in ``folder``."""
    first = sources[0]
    a, e = first.transform.a, first.transform.e
    west = min(s.transform.c for s in sources)
    north = max(s.transform.f for s in sources)
    east = max(s.transform.c + s.width * a for s in sources)
    south = min(s.transform.f + s.height * e for s in sources)
    width, height = _cells((east - west) / a), _cells((south - north) / e)
    root = ET.Element("VRTDataset", rasterXSize=str(width), rasterYSize=str(height))
    ET.SubElement(root, "SRS").text = first.crs.to_wkt()
    ET.SubElement(root, "GeoTransform").text = ", ".join(
        repr(float(v)) for v in (west, a, 0.0, north, 0.0, e)
    )
    band = _band_element(root, sources)
    for s in sources:
        offset = ((s.transform.c - west) / a, (s.transform.f - north) / e)
        band.append(_source_element(s, folder, offset))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def _cells(extent: float) -> int:
    """Pixels to cover ``extent`` pixels' worth of ground, forgiving rounding noise."""
    return max(1, math.ceil(extent - SNAP))


def _band_element(root: ET.Element, sources: Sequence[_Source]) -> ET.Element:
    """Add the legend tags and the band (nodata, colour table, class names) to ``root``."""
    first = sources[0]
    differ = [s.path.name for s in sources if not _same_legend(s.legend, first.legend)]
    if differ:
        log.warning(
            "%d class rasters have another legend than %s (e.g. %s); the mosaic uses %s's",
            len(differ),
            first.path.name,
            differ[0],
            first.path.name,
        )
    tags = first.legend.tags() if first.legend.num_classes else {}
    if tags:
        meta = ET.SubElement(root, "Metadata")
        for key, value in tags.items():
            ET.SubElement(meta, "MDI", key=key).text = value
    band = ET.SubElement(root, "VRTRasterBand", dataType="Byte", band="1")
    ET.SubElement(band, "NoDataValue").text = str(NODATA_LABEL)
    if first.colormap:
        ET.SubElement(band, "ColorInterp").text = "Palette"
        table = ET.SubElement(band, "ColorTable")
        for v in range(_palette_size(first)):
            r, g, b, alpha = first.colormap.get(v, (0, 0, 0, 0))
            ET.SubElement(table, "Entry", c1=str(r), c2=str(g), c3=str(b), c4=str(alpha))
    if first.legend.num_classes:
        names = ET.SubElement(band, "CategoryNames")
        for name in first.legend.names:
            ET.SubElement(names, "Category").text = name
    return band


def _palette_size(source: _Source) -> int:
    """Colour-table entries the mosaic keeps: the classes only (a GeoTIFF's table always has
    256, which QGIS lists as 256 legend rows); the nodata value is left out."""
    if source.legend.num_classes:
        return source.legend.num_classes
    return max((v for v in source.colormap if v != NODATA_LABEL), default=-1) + 1


def _same_legend(x: Legend, y: Legend) -> bool:
    return x.names == y.names and x.colors.tolist() == y.colors.tolist()


def _source_element(s: _Source, folder: Path, offset: tuple[float, float]) -> ET.Element:
    """A ``ComplexSource`` placing all of ``s`` at pixel ``offset`` (col, row) of the mosaic."""
    el = ET.Element("ComplexSource")
    try:
        href, relative = Path(os.path.relpath(s.path.resolve(), folder.resolve())).as_posix(), "1"
    except ValueError:  # another drive (Windows): no relative path exists
        href, relative = s.path.resolve().as_posix(), "0"
    ET.SubElement(el, "SourceFilename", relativeToVRT=relative).text = href
    ET.SubElement(el, "SourceBand").text = "1"
    ET.SubElement(
        el,
        "SourceProperties",
        RasterXSize=str(s.width),
        RasterYSize=str(s.height),
        DataType="Byte",
        BlockXSize=str(s.block[1]),
        BlockYSize=str(s.block[0]),
    )
    w, h = str(s.width), str(s.height)
    ET.SubElement(el, "SrcRect", xOff="0", yOff="0", xSize=w, ySize=h)
    col, row = (_snap(v) for v in offset)
    ET.SubElement(el, "DstRect", xOff=col, yOff=row, xSize=w, ySize=h)
    ET.SubElement(el, "NODATA").text = str(NODATA_LABEL)
    return el


def _snap(v: float) -> str:
    """An offset in pixels as text: an integer when it is one up to rounding noise."""
    r = round(v)
    return str(int(r)) if abs(v - r) < SNAP else repr(float(v))
