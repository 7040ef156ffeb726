"""The polygons of ``predict --vector`` (``<stem>_polygons.gpkg``) as GeoJSON in the scene's
map coordinates, for the map viewer's polygon layer.

Read with pyogrio (the ``[gis]`` extra) when it is installed; without it the report is written
without polygons and says why in the log. Polygons in another CRS than the class raster are
reprojected to it; those of a raster without georeferencing (pixel column and row) are flipped
to the viewer's pixel frame (y = minus the row). Each feature keeps its attributes and gets
``_class``, the class index that colours it, and ``_ha``, its hectares when a field holds them.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from rasterio.crs import CRS
from rasterio.warp import transform_geom

from landcover.io.legend import Legend
from landcover.report.scenes import Grid

log = logging.getLogger(__name__)

CLASS_ID_FIELDS = ("class_id", "class", "value", "class_index")
CLASS_NAME_FIELDS = ("class_name", "name", "label")
HECTARE_FIELDS = ("area_ha", "hectares", "ha")


def read_polygons(path: Path | None, grid: Grid) -> dict[str, Any] | None:
    """The features of ``path`` as a GeoJSON ``FeatureCollection`` in ``grid``'s coordinates.

    Returns:
        The collection, or ``None`` when there is no file, pyogrio is missing or the file
        cannot be read (logged).
    """
    if path is None:
        return None
    if importlib.util.find_spec("pyogrio") is None:
        log.warning("%s: polygons not shown: install pyogrio: pip install 'landcover[gis]'", path)
        return None
    import pyogrio.raw  # [gis] extra: lazy

    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path) if n != "layer_styles"]
        meta, _fids, wkb, fields = pyogrio.raw.read(path, layer=layers[0] if layers else None)
    except Exception as e:  # noqa: BLE001 - pyogrio raises its own DataSourceError family
        log.warning("%s: polygons not shown (%s)", path, e)
        return None
    geoms = _to_scene_frame(wkb, meta.get("crs"), grid)
    names = [str(n) for n in meta["fields"]]
    columns = {n: _plain(values) for n, values in zip(names, fields, strict=True)}
    classes = _class_indices(columns, grid.legend, len(geoms))
    hectares = _field(columns, HECTARE_FIELDS)
    features = []
    for i, geom in enumerate(geoms):
        if geom is None:
            continue
        props = {n: columns[n][i] for n in names}
        props["_class"] = classes[i]
        props["_ha"] = hectares[i] if hectares and isinstance(hectares[i], int | float) else None
        features.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def _to_scene_frame(wkb: Any, crs: str | None, grid: Grid) -> list[dict[str, Any] | None]:
    """Geometries as GeoJSON mappings in the viewer's coordinates, rounded to a sensible unit."""
    geoms = shapely.from_wkb(wkb)
    if not grid.georeferenced:
        geoms = shapely.transform(geoms, lambda xy: xy * np.array([1.0, -1.0]))
        digits = 2
    else:
        geoms = _reproject(geoms, crs, grid)
        digits = 7 if grid.crs.is_geographic else 2
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, digits))
    return [None if g is None else json.loads(shapely.to_geojson(g)) for g in geoms]


def _reproject(geoms: np.ndarray, crs: str | None, grid: Grid) -> np.ndarray:
    """``geoms`` taken from ``crs`` to the class raster's CRS when they differ."""
    if not crs or CRS.from_user_input(crs) == grid.crs:
        return geoms
    keep = [i for i, g in enumerate(geoms) if g is not None]
    mappings = [json.loads(shapely.to_geojson(geoms[i])) for i in keep]
    moved = transform_geom(CRS.from_user_input(crs), grid.crs, mappings)
    out = np.full(len(geoms), None, dtype=object)
    for i, m in zip(keep, moved, strict=True):
        out[i] = shapely.from_geojson(json.dumps(m))
    return out


def _plain(values: Any) -> list[Any]:
    """A field's values as JSON-ready Python values (NaN as ``None``)."""
    out = []
    for v in np.asarray(values).tolist():
        if isinstance(v, float) and not np.isfinite(v):
            v = None
        elif isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif not isinstance(v, str | int | float | bool) and v is not None:
            v = str(v)
        out.append(v)
    return out


def _field(columns: dict[str, list[Any]], candidates: tuple[str, ...]) -> list[Any] | None:
    """The values of the first field named (any case) among ``candidates``, or ``None``."""
    lowered = {k.lower(): k for k in columns}
    for name in candidates:
        if name in lowered:
            return columns[lowered[name]]
    return None


def _class_indices(columns: dict[str, list[Any]], legend: Legend, n: int) -> list[int | None]:
    """Each feature's class index, from a class id field or else a class name field."""
    ids = _field(columns, CLASS_ID_FIELDS)
    if ids is not None and all(isinstance(v, int) for v in ids):
        return [v if 0 <= v < legend.num_classes else None for v in ids]
    names = _field(columns, CLASS_NAME_FIELDS)
    if names is not None:
        index = {name: i for i, name in enumerate(legend.names)}
        return [index.get(str(v)) for v in names]
    return [None] * n
