"""Sample points as files people label: CSV (always) and GeoPackage (the ``[gis]`` extra).

Columns: ``id``, ``map`` (the class raster), ``row``/``col`` (its pixel), ``x``/``y`` (pixel
centre in the map's CRS, or in pixels for a map of a plain picture), ``lon``/``lat`` (WGS84,
when georeferenced), ``stratum``/``stratum_name``, ``map_class``/``map_class_name`` and an
empty ``reference`` for the person labelling (a class name or index). The GeoPackage holds the
same table with point geometries, in the maps' CRS when they share one, else in WGS84.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from rasterio.warp import transform as warp

from landcover.accuracy.sampling import Point
from landcover.accuracy.strata import StrataTable
from landcover.errors import InputError, LandcoverIOError, require_extra
from landcover.io.atomic import publish, reserve_temp, write_text_atomic
from landcover.io.gpkg import write_gpkg_layer
from landcover.io.raster import open_raster
from landcover.io.remote import display

COLUMNS = (
    "id", "map", "row", "col", "x", "y", "lon", "lat",
    "stratum", "stratum_name", "map_class", "map_class_name", "reference",
)  # fmt: skip


def point_rows(table: StrataTable, points: Sequence[Point]) -> tuple[list[dict[str, Any]], Any]:
    """One dict per point (see :data:`COLUMNS`), and the CRS shared by the maps (or ``None``)."""
    rows: list[dict[str, Any]] = []
    crs_seen = set()
    for i, path in enumerate(table.maps):
        mine = [p for p in points if p.map_index == i]
        with open_raster(path) as src:
            crs, tf = src.crs, src.transform
        crs_seen.add(crs.to_string() if crs else "")
        xs = [tf.c + tf.a * (p.col + 0.5) + tf.b * (p.row + 0.5) for p in mine]
        ys = [tf.f + tf.d * (p.col + 0.5) + tf.e * (p.row + 0.5) for p in mine]
        lons, lats = warp(crs, "EPSG:4326", xs, ys) if crs and mine else ([""] * len(mine),) * 2
        for p, x, y, lon, lat in zip(mine, xs, ys, lons, lats, strict=True):
            rows.append(_row(len(rows) + 1, display(path), p, x, y, lon, lat, table))
    shared = crs_seen.pop() if len(crs_seen) == 1 else "EPSG:4326"
    return rows, shared or None


def _row(
    pid: int, path: str, p: Point, x: float, y: float, lon: Any, lat: Any, table: StrataTable
) -> dict[str, Any]:
    names = table.legend.names
    return {
        "id": pid, "map": path, "row": p.row, "col": p.col, "x": x, "y": y,
        "lon": lon, "lat": lat, "stratum": p.stratum,
        "stratum_name": table.stratum_names[p.stratum], "map_class": p.map_class,
        "map_class_name": names[p.map_class], "reference": "",
    }  # fmt: skip


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """The points as CSV (atomic)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buf.getvalue())
    return path


def write_gpkg(path: Path, rows: Sequence[dict[str, Any]], crs: str | None) -> Path:
    """The points as a GeoPackage layer ``points`` (needs pyogrio, the ``[gis]`` extra)."""
    require_extra("pyogrio", "gis", "writing GeoPackage files")

    lonlat = crs == "EPSG:4326" and any(r["lon"] != "" for r in rows)
    xs = [float(r["lon"] if lonlat else r["x"]) for r in rows]
    ys = [float(r["lat"] if lonlat else r["y"]) for r in rows]
    geometry = shapely.to_wkb(shapely.points(xs, ys))
    fields = list(COLUMNS)
    data = [_column([r[c] for r in rows], c) for c in fields]
    tmp = reserve_temp(path)
    tmp.unlink()  # GDAL's GPKG driver refuses an existing empty file
    try:
        write_gpkg_layer(
            tmp, geometry, data, fields, layer="points", geometry_type="Point", crs=crs
        )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return publish(tmp, path)


def _column(values: list[Any], name: str) -> np.ndarray:
    """A typed column for GDAL: integers, floats (``nan`` for none) or text."""
    if name in ("id", "row", "col", "stratum", "map_class"):
        return np.array(values, dtype=np.int64)
    if name in ("x", "y", "lon", "lat"):
        return np.array([np.nan if v == "" else float(v) for v in values], dtype=np.float64)
    return np.array([str(v) for v in values], dtype=object)


def read_points(path: str | Path) -> list[dict[str, str]]:
    """Read labelled points back from CSV or GeoPackage: one dict of text values per point."""
    p = Path(path)
    if not p.is_file():
        raise LandcoverIOError("no such file", p)
    if p.suffix.lower() == ".csv":
        with p.open(newline="", encoding="utf-8-sig") as f:
            rows = [dict(r) for r in csv.DictReader(f)]
    else:
        rows = _read_vector(p)
    missing = {"map", "row", "col", "stratum", "map_class", "reference"} - set(
        rows[0] if rows else {}
    )
    if missing:
        raise InputError(
            f"no {sorted(missing)} column: not a file written by 'landcover sample'", p
        )
    return rows


def _read_vector(path: Path) -> list[dict[str, str]]:
    require_extra("pyogrio", "gis", "reading GeoPackage files")
    import pyogrio.raw  # [gis] extra: lazy

    meta, _, _, data = pyogrio.raw.read(path, read_geometry=False)
    names = list(meta["fields"])
    return [
        {n: "" if v is None else str(v) for n, v in zip(names, values, strict=True)}
        for values in zip(*data, strict=True)
    ]
