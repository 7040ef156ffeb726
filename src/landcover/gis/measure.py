"""Polygons in pixel coordinates to map coordinates, and their true ground area and perimeter.

Areas come from :func:`landcover.io.ground.row_pixel_areas` (exact ellipsoidal areas for
longitude/latitude and cylindrical grids, nominal areas for other projections): the row
coordinate is mapped to the cumulative ground area above it, a transform under which a pixel of
row ``r`` has area ``row_areas[r]``, so a polygon made of whole pixels gets exactly the sum of
its pixels' areas. Perimeters are the CRS lengths times the unit's metres for projected CRSs;
for longitude/latitude and cylindrical grids, each segment's length on the WGS84 ellipsoid from
the radii of curvature at its middle. A raster without georeferencing is measured with a GSD
given by the caller and its polygons placed at ``x = column, y = -row`` (where QGIS shows such
a raster).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from rasterio.warp import transform as warp

from landcover.gis.strips import Grid
from landcover.io.ground import (
    ellipsoid_radii,
    ground_gsd,
    is_georeferenced,
    nominal_factor,
    row_pixel_areas,
    uses_lonlat,
)


class Ground:
    """Map coordinates and ground measures of polygons drawn on a raster's pixel grid.

    Args:
        grid: the raster's size and georeferencing.
        gsd_m: metres per pixel, for a raster without georeferencing (ignored otherwise).

    Attributes:
        georeferenced: the raster has a CRS and a transform.
        gsd_m: ground metres per pixel at the centre, or ``None`` when unknown.
        row_areas: ``(height,)`` ground m² of a pixel of each row, or ``None`` when unknown.
    """

    def __init__(self, grid: Grid, gsd_m: float | None = None) -> None:
        self.grid = grid
        self.georeferenced = is_georeferenced(grid.crs, grid.transform)
        self.row_areas: np.ndarray | None = None
        self._lonlat = False
        self._factor: float | None = None
        if self.georeferenced:
            t, w, h = grid.transform, grid.width, grid.height
            self.gsd_m = ground_gsd(grid.crs, t, w, h)
            self.row_areas = row_pixel_areas(grid.crs, t, w, h, 0, h)
            self._lonlat = uses_lonlat(grid.crs)
            self._factor = nominal_factor(grid.crs)
        else:
            self.gsd_m = gsd_m
            self._factor = gsd_m
            if gsd_m:
                self.row_areas = np.full(grid.height, float(gsd_m) ** 2)
        cum = np.zeros(grid.height + 1)
        if self.row_areas is not None:
            cum[1:] = np.cumsum(self.row_areas)
        self._cum_area = cum

    def to_map(self, geoms: np.ndarray) -> np.ndarray:
        """Polygons from pixel corners to map coordinates (``x = col, y = -row`` without
        georeferencing)."""
        if not self.georeferenced:
            return shapely.transform(geoms, lambda xy: xy * np.array([1.0, -1.0]))
        t = self.grid.transform
        m = np.array([[t.a, t.d], [t.b, t.e]])
        return shapely.transform(geoms, lambda xy: xy @ m + np.array([t.c, t.f]))

    def area_m2(self, geoms: np.ndarray) -> np.ndarray:
        """Ground area in m² of polygons in pixel coordinates (NaN when the GSD is unknown)."""
        if self.row_areas is None:
            return np.full(len(geoms), math.nan)
        rows = np.arange(self.grid.height + 1, dtype=np.float64)
        cum = self._cum_area

        def equal_area(xy: np.ndarray) -> np.ndarray:
            return np.stack([xy[:, 0], np.interp(xy[:, 1], rows, cum)], axis=1)

        return np.asarray(shapely.area(shapely.transform(geoms, equal_area)))

    def perimeter_m(self, geoms: np.ndarray, map_geoms: np.ndarray) -> np.ndarray:
        """Ground perimeter in metres (outer ring and holes; NaN when the GSD is unknown).

        Args:
            geoms: polygons in pixel coordinates.
            map_geoms: the same in map coordinates (:meth:`to_map`).
        """
        if self._lonlat:
            return self._lonlat_perimeters(map_geoms)
        if self._factor is None:
            return np.full(len(geoms), math.nan)
        if not self.georeferenced:
            return np.asarray(shapely.length(geoms)) * self._factor
        return np.asarray(shapely.length(map_geoms)) * self._factor

    def _lonlat_perimeters(self, map_geoms: np.ndarray) -> np.ndarray:
        """Sum of the ellipsoidal lengths of the segments of each polygon's rings."""
        rings, geom_of_ring = shapely.get_rings(map_geoms, return_index=True)
        xy, ring_of = shapely.get_coordinates(rings, return_index=True)
        if not len(xy):
            return np.zeros(len(map_geoms))
        lon, lat = (np.asarray(v) for v in warp(self.grid.crs, "EPSG:4326", xy[:, 0], xy[:, 1]))
        same = ring_of[1:] == ring_of[:-1]
        mid = np.radians((lat[1:] + lat[:-1]) / 2.0)
        m, n = ellipsoid_radii(np.degrees(mid))
        dlon = np.radians((lon[1:] - lon[:-1] + 180.0) % 360.0 - 180.0)
        seg = np.hypot(n * np.cos(mid) * dlon, m * np.radians(lat[1:] - lat[:-1]))
        per_ring = np.bincount(ring_of[:-1][same], weights=seg[same], minlength=len(rings))
        return np.bincount(geom_of_ring, weights=per_ring, minlength=len(map_geoms))
