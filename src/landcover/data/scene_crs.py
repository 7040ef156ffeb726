"""The working CRS of a scene: metres, in which its windows, blocks and labels are laid out.

A scene projected in metres works in its own CRS. Any other (degrees, e.g. EPSG:4326, feet,
or Web Mercator's nominal metres) works in the UTM zone of its centre (WGS 84, EPSG:326xx
north, 327xx south): its bounds and GSD are those of the raster warped into that zone, and its
windows are warped onto their grid as they are read.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rasterio.crs import CRS
from rasterio.warp import calculate_default_transform, transform_bounds
from rasterio.warp import transform as transform_xy

from landcover.errors import InputError

Bounds = tuple[float, float, float, float]


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS 84 UTM zone holding ``(lon, lat)`` (degrees)."""
    zone = min(60, max(1, math.floor((lon + 180.0) / 6.0) + 1))
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def in_metres(crs: CRS) -> bool:
    """Whether ``crs`` is projected with true ground metres: not degrees, not feet, and not a
    Mercator (Web Mercator's metres are 1/cos(latitude) ground metres)."""
    mercator = "+proj=merc" in crs.to_proj4()
    return bool(crs.is_projected) and crs.linear_units_factor[1] == 1.0 and not mercator


def working_grid(src: Any, path: Any) -> tuple[CRS, Bounds, float]:
    """The working CRS, bounds and GSD (metres) of an open raster.

    Raises:
        InputError: naming ``path`` when the raster has no CRS or its pixels are not square
            and north-up.
    """
    if src.crs is None:
        raise InputError("the scene has no CRS (georeference it first)", path)
    t = src.transform
    gx, gy = abs(t.a), abs(t.e)
    metres = in_metres(src.crs)
    square = np.isclose(gx, gy, rtol=1e-3) or not metres  # degrees: any aspect
    if t.b or t.d or not square:
        raise InputError(f"the scene's pixels are not square and north-up ({gx} x {gy})", path)
    if metres:
        return src.crs, _bounds(src.bounds), float(gx)
    w, s, e, n = src.bounds
    (lon,), (lat,) = transform_xy(src.crs, "EPSG:4326", [(w + e) / 2], [(s + n) / 2])
    crs = utm_crs(lon, lat)
    warped, _, _ = calculate_default_transform(src.crs, crs, src.width, src.height, *src.bounds)
    bounds = transform_bounds(src.crs, crs, *src.bounds, densify_pts=21)
    return crs, _bounds(bounds), float(abs(warped.a))


def _bounds(values: Any) -> Bounds:
    """``(west, south, east, north)`` as floats."""
    w, s, e, n = (float(v) for v in values)
    return w, s, e, n
