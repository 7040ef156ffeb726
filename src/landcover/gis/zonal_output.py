"""Write land cover per region as a CSV table, or as a GeoPackage joined to the polygons.

A CSV holds one row per (class raster, region), the raster's path (as given) first. A GeoPackage
holds one layer per class raster (named after it): the region polygons in their own CRS with
their attributes, and the table's columns joined as attributes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from landcover.errors import InputError, require_extra
from landcover.gis.zonal import ZonalResult
from landcover.io.atomic import atomic_path, prepare_output_file, write_text_atomic
from landcover.io.gpkg import write_gpkg_layer
from landcover.io.remote import display

TABLE_SUFFIXES = (".csv", ".gpkg")


def write_zonal(results: Sequence[ZonalResult], out: str | Path, overwrite: bool = False) -> Path:
    """Write zonal results to ``out``: ``.csv`` (a table) or ``.gpkg`` (joined to polygons).

    Args:
        results: one result per class raster, all for the same regions.
        out: the file to write; its suffix picks the format.
        overwrite: replace ``out`` if it exists.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        InputError: the suffix is neither ``.csv`` nor ``.gpkg``.
        LandcoverError: ``out`` exists (without ``overwrite``) or cannot be written.
    """
    p = Path(out)
    suffix = p.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError("the table must be a .csv or a .gpkg file", p)
    if suffix == ".gpkg":
        require_extra("pyogrio", "gis", "writing GeoPackage files")
    prepare_output_file(p, "the table", overwrite)
    if suffix == ".csv":
        write_text_atomic(p, zonal_csv(results))
    else:
        write_zonal_gpkg(results, p)
    return p


def zonal_csv(results: Sequence[ZonalResult]) -> str:
    """The CSV text of zonal results: a ``raster`` column (its path), then the results' columns."""
    columns: list[str] = ["raster"]
    for r in results:
        columns += [c for c in r.columns() if c not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    for r in results:
        for row in r.rows():
            writer.writerow({"raster": display(r.raster), **{k: _fmt(v) for k, v in row.items()}})
    return buf.getvalue()


def _fmt(value: Any) -> Any:
    """A float with 6 decimals and no trailing zeros; NaN as an empty cell."""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return value


def write_zonal_gpkg(results: Sequence[ZonalResult], out: Path) -> None:
    """Write one GeoPackage layer per result: the polygons with the table joined."""
    with atomic_path(out) as tmp:
        tmp.unlink()  # GDAL creates the GeoPackage itself
        used: set[str] = set()
        for r in results:
            regions = r.regions
            names, values = _joined_fields(r)
            write_gpkg_layer(
                tmp,
                shapely.to_wkb(regions.geometries),
                values,
                names,
                layer=_layer_name(r.raster.stem, used),
                geometry_type=regions.geometry_type,
                crs=None if regions.crs is None else regions.crs.to_wkt(),
            )


def _joined_fields(result: ZonalResult) -> tuple[list[str], list[np.ndarray]]:
    """The regions' attributes and the table's columns (the table wins a name clash)."""
    rows = result.rows()
    table = [c for c in result.columns() if c != result.regions.key]
    if result.regions.key == "fid":
        table.insert(0, "source_fid")
        rows = [{"source_fid": row["fid"], **row} for row in rows]
    names = [n for n in result.regions.fields if n not in table and n.lower() != "fid"]
    values = [result.regions.fields[n] for n in names]
    for col in table:
        kind = np.int64 if col == "source_fid" else np.float64
        values.append(np.array([row[col] for row in rows], dtype=kind))
    return names + table, values


def _layer_name(stem: str, used: set[str]) -> str:
    """``stem``, made unique among the layers already written."""
    name, n = stem, 1
    while name.lower() in used:
        n += 1
        name = f"{stem}_{n}"
    used.add(name.lower())
    return name
