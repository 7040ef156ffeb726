"""Region polygons read with pyogrio, taken to a raster's CRS, and their true ground areas.

Regions (districts, parcels, catchments) come from any vector file GDAL reads (GeoPackage,
GeoJSON, Shapefile, FlatGeobuf...) in any CRS. They are read without geopandas
(``pyogrio.raw.read``), kept as shapely geometries, and reprojected with
:func:`rasterio.warp.transform_geom` after densifying long edges, so that a straight edge in
longitude/latitude keeps its shape on a projected grid.

A region's ground area is measured as the raster measures its pixels
(:func:`landcover.io.ground.row_pixel_areas`): the polygon is cut into strips along the
raster's rows and each strip's map area is scaled by the ground area per map unit of its rows.
On a UTM grid this is the polygon's area times the unit factor; on a longitude/latitude grid
it follows the ellipsoid row by row, so a region that exactly covers valid pixels has exactly
their hectares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.crs
import shapely
from affine import Affine
from rasterio.warp import transform_geom

from landcover.errors import InputError, LandcoverIOError, require_extra
from landcover.io.ground import row_pixel_areas

# Long edges are cut into this many pieces of the layer's extent before reprojection.
DENSIFY_STEPS = 256
# Ground areas of tall regions on curved grids use at most this many strips.
MAX_STRIPS = 256
POLYGON_TYPES = ("Polygon", "MultiPolygon", "Polygon Z", "MultiPolygon Z", "Unknown")


@dataclass(frozen=True)
class RegionSet:
    """Region polygons and their attributes, as read from a vector file.

    Attributes:
        path: the vector file.
        layer: the layer read.
        crs: rasterio CRS of the geometries, or ``None`` when the file declares none.
        geometries: shapely geometries (``None`` for features without one), in ``crs``.
        key: the attribute naming each region (``fid`` when no field was chosen).
        ids: the value of ``key`` for each region.
        fields: every attribute column, by name, as numpy arrays (for joining tables).
        geometry_type: the layer's geometry type, as GDAL names it.
    """

    path: Path
    layer: str
    crs: Any
    geometries: np.ndarray
    key: str
    ids: list[Any]
    fields: dict[str, np.ndarray]
    geometry_type: str

    def __len__(self) -> int:
        return len(self.ids)


def read_regions(
    path: str | Path, *, field: str | None = None, layer: str | None = None
) -> RegionSet:
    """Read region polygons and their attributes from a vector file.

    Args:
        path: GeoPackage, GeoJSON, Shapefile or any vector file GDAL reads.
        field: attribute naming each region; ``None`` names them by feature id.
        layer: layer to read (default: the first).

    Returns:
        The regions, in the file's CRS.

    Raises:
        LandcoverIOError: the file is missing or not a readable vector file.
        InputError: the layer holds no polygons, no features, or lacks ``field``.
    """
    require_extra("pyogrio", "gis", "reading region polygons")
    import pyogrio  # [gis] extra: lazy

    p = Path(path)
    if not p.exists():
        raise LandcoverIOError("no such file", p)
    try:
        meta, fids, wkb, values = pyogrio.raw.read(p, layer=layer, return_fids=True)
    except Exception as e:  # noqa: BLE001 - pyogrio raises several error types
        raise LandcoverIOError(f"not a readable vector file ({_first_line(e)})", p) from e
    if meta.get("geometry_type") not in POLYGON_TYPES:
        kind = meta.get("geometry_type")
        raise InputError(f"regions must be polygons, this layer holds {kind} geometries", p)
    if len(fids) == 0:
        raise InputError("the regions layer holds no features", p)
    fields = {str(name): np.asarray(col) for name, col in zip(meta["fields"], values, strict=True)}
    if field is not None and field not in fields:
        have = ", ".join(fields) or "none"
        raise InputError(f"no attribute '{field}' in the regions (attributes: {have})", p)
    ids = [_plain(v) for v in (fields[field] if field is not None else fids)]
    crs = rasterio.crs.CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    return RegionSet(
        path=p,
        layer=str(meta.get("layer_name") or layer or _first_layer(p)),
        crs=crs,
        geometries=shapely.from_wkb(wkb),
        key=field or "fid",
        ids=ids,
        fields=fields,
        geometry_type=str(meta["geometry_type"]),
    )


def _first_layer(path: Path) -> str:
    import pyogrio  # [gis] extra: lazy

    layers = pyogrio.list_layers(path)
    return str(layers[0][0]) if len(layers) else path.stem


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for CSV and messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def to_crs(geometries: np.ndarray, src_crs: Any, dst_crs: Any) -> np.ndarray:
    """Reproject shapely geometries, densifying long edges first so that they keep their shape.

    Args:
        geometries: shapely geometries (``None`` kept as ``None``).
        src_crs: their CRS.
        dst_crs: the target CRS.

    Returns:
        The reprojected geometries.
    """
    if src_crs == dst_crs:
        return geometries
    present = np.array([g is not None and not g.is_empty for g in geometries], dtype=bool)
    out = np.array(geometries, dtype=object)
    if not present.any():
        return out
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries[present])
    step = max(xmax - xmin, ymax - ymin) / DENSIFY_STEPS
    dense = shapely.segmentize(geometries[present], step) if step > 0 else geometries[present]
    moved = transform_geom(src_crs, dst_crs, [shapely.geometry.mapping(g) for g in dense])
    out[present] = [shapely.geometry.shape(g) for g in moved]
    return out


def ground_hectares(
    geometries: np.ndarray, crs: Any, transform: Any, width: int, height: int
) -> np.ndarray:
    """True ground area in hectares of each polygon, measured as the raster measures its pixels.

    Args:
        geometries: shapely polygons in the raster's CRS (``None`` or empty: 0 ha).
        crs: the raster's CRS.
        transform: the raster's north-up affine transform.
        width: the raster's width in pixels.
        height: the raster's height in pixels.

    Returns:
        float64 array of hectares, one per geometry.
    """
    geoms = np.array([shapely.Polygon() if g is None else g for g in geometries], dtype=object)
    pixel = row_pixel_areas(crs, transform, width, height, 0, 8)
    if np.ptp(pixel) == 0:
        # Constant pixel area (projected CRS): ground area is proportional to map area.
        return np.asarray(shapely.area(geoms), dtype=np.float64) * (
            pixel[0] / abs(transform.determinant) / 1e4
        )
    return np.array(
        [0.0 if g.is_empty else _curved_m2(g, crs, transform, width) / 1e4 for g in geoms],
        dtype=np.float64,
    )


def _curved_m2(geom: Any, crs: Any, transform: Any, width: int) -> float:
    """Ground m² of a polygon on a grid whose pixel area changes by row (longitude/latitude).

    The polygon is cut into at most :data:`MAX_STRIPS` strips of whole rows; each strip's map
    area is scaled by the exact ground area per map unit² of that strip.
    """
    t = transform
    xmin, ymin, xmax, ymax = geom.bounds
    top, bottom = sorted(((ymax - t.f) / t.e, (ymin - t.f) / t.e))
    r0 = math.floor(top)
    rows = max(1, math.ceil(bottom) - r0)
    step = math.ceil(rows / MAX_STRIPS)
    strips = math.ceil(rows / step)
    grid = t @ Affine.translation(0, r0) @ Affine.scale(1, step)  # one row = one strip
    per_unit = row_pixel_areas(crs, grid, width, strips, 0, strips) / abs(grid.determinant)
    edges = grid.f + grid.e * np.arange(strips + 1)
    boxes = shapely.box(
        xmin, np.minimum(edges[:-1], edges[1:]), xmax, np.maximum(edges[:-1], edges[1:])
    )
    return float(np.sum(shapely.area(shapely.intersection(geom, boxes)) * per_unit))
