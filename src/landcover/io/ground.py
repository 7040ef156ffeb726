"""True ground pixel size and pixel area for any CRS, on the WGS84 ellipsoid.

How the ground sizes are found, by kind of CRS:

- **Geographic** (degrees) and **normal-aspect cylindrical** projections whose nominal metres
  are not ground metres (``merc``: Web Mercator EPSG:3857 and World Mercator EPSG:3395;
  ``eqc``: plate carrée; ``cea``: cylindrical equal area such as EPSG:6933): pixel corners are
  taken to longitude/latitude (EPSG:4326) with :func:`rasterio.warp.transform`. The GSD uses
  the local radii of curvature at the scene centre (meridional ``M``, prime-vertical ``N``), so
  a 1 m Web Mercator pixel at 60°N measures about 0.5 m on the ground. A north-up pixel of
  these grids is a longitude/latitude cell, whose area is exact on the ellipsoid:
  ``b² / 2 · Δλ · |q(φ1) − q(φ2)|`` with the authalic function ``q``.
- **Other projected CRSs** (UTM, Lambert, state planes in feet...): the nominal pixel size times
  the CRS's linear unit (a 3 US-ft pixel is 0.9144 m), and a constant nominal area. Their scale
  error over a mapping zone is small (UTM: 0.9996 to about 1.001), and ignoring it keeps a
  10 m UTM pixel at exactly 10 m and 100 m².
- **Rotated** transforms of the first kind: one local area at the scene centre for every row.

Everything runs offline: PROJ's bundled database is enough for transforms to EPSG:4326.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_B = WGS84_A * (1.0 - WGS84_F)

# Normal-aspect cylindrical projections: meridians are columns and parallels are rows.
CYLINDRICAL = frozenset({"merc", "eqc", "cea"})

Vectors = tuple[np.ndarray, np.ndarray]


def is_georeferenced(crs: Any, transform: Any) -> bool:
    """Whether ground sizes can be found: a CRS with usable units and a non-identity transform.

    Args:
        crs: rasterio CRS or ``None``.
        transform: affine pixel-to-map transform or ``None``.

    Returns:
        ``True`` when :func:`ground_gsd` and :func:`row_pixel_areas` give ground values.
    """
    if crs is None or transform is None or transform.is_identity:
        return False
    if abs(transform.determinant) == 0 or not math.isfinite(transform.determinant):
        return False
    return uses_lonlat(crs) or _linear_factor(crs) is not None


def ground_gsd(crs: Any, transform: Any, width: int, height: int) -> float | None:
    """Ground metres per pixel at the scene centre: the mean of the x and y pixel sizes.

    Args:
        crs: rasterio CRS, or ``None`` when not georeferenced.
        transform: affine pixel-to-map transform.
        width: pixels per row.
        height: rows.

    Returns:
        Metres per pixel, or ``None`` when the input is not georeferenced or the centre
        cannot be placed on the Earth.
    """
    if not is_georeferenced(crs, transform):
        return None
    factor = nominal_factor(crs)
    if factor is not None:
        t = transform
        return float((math.hypot(t.a, t.d) + math.hypot(t.b, t.e)) / 2.0 * factor)
    cx, cy = width / 2.0, height / 2.0
    east, north = _ground_steps(crs, transform, cx, cy)
    sizes = np.hypot(east, north)
    gsd = float(sizes.mean())
    return gsd if math.isfinite(gsd) and gsd > 0 else None


def row_pixel_areas(
    crs: Any, transform: Any, width: int, height: int, row0: int, nrows: int
) -> np.ndarray:
    """Ground area in m² of one pixel of each row ``row0 .. row0 + nrows - 1``.

    Columns of a row are taken to have equal areas (exact for north-up geographic and
    cylindrical grids). Cost: one coordinate transform of ``nrows + 3`` points.

    Args:
        crs: rasterio CRS.
        transform: affine pixel-to-map transform.
        width: pixels per row.
        height: rows of the whole raster.
        row0: first row of the block.
        nrows: rows in the block.

    Returns:
        float64 array of shape ``(nrows,)``.

    Raises:
        ValueError: the input is not georeferenced (check :func:`is_georeferenced` first).
    """
    if not is_georeferenced(crs, transform):
        raise ValueError("pixel ground areas need a CRS and a georeferencing transform")
    factor = nominal_factor(crs)
    if factor is not None:
        area = abs(transform.determinant) * factor**2
        return np.full(nrows, area, dtype=np.float64)
    if transform.b != 0 or transform.d != 0:
        return np.full(nrows, _centre_area(crs, transform, width, height), dtype=np.float64)
    return _cell_areas(crs, transform, width / 2.0, row0, nrows)


def class_hectares(labels: np.ndarray, row_areas_m2: np.ndarray, num_classes: int) -> np.ndarray:
    """Hectares of each class in a block of labels whose rows have known pixel areas.

    Labels ``>= num_classes`` (nodata 255 among them) are ignored.

    Args:
        labels: ``(h, w)`` non-negative integer class labels (uint8).
        row_areas_m2: ``(h,)`` ground area in m² of one pixel of each row.
        num_classes: number of classes ``K``.

    Returns:
        float64 array of shape ``(K,)``.
    """
    h = labels.shape[0]
    if labels.ndim != 2 or np.shape(row_areas_m2) != (h,):
        raise ValueError(f"labels {labels.shape} and row areas {np.shape(row_areas_m2)} differ")
    k = num_classes + 1  # the last bin of each row collects the ignored labels
    clipped = np.minimum(labels, num_classes)
    index = clipped + (np.arange(h, dtype=np.intp) * k)[:, None]
    counts = np.bincount(index.ravel(), minlength=h * k).reshape(h, k)[:, :num_classes]
    return np.asarray(row_areas_m2, dtype=np.float64) @ counts / 1e4


def _linear_factor(crs: Any) -> float | None:
    """Metres per unit of a projected CRS, or ``None``."""
    if not crs.is_projected:
        return None
    try:
        factor = float(crs.linear_units_factor[1])
    except Exception:  # noqa: BLE001 - CRS without linear units
        return None
    return factor if factor > 0 else None


def nominal_factor(crs: Any) -> float | None:
    """Metres per unit when nominal map units are used as ground units, else ``None``."""
    return None if uses_lonlat(crs) else _linear_factor(crs)


def uses_lonlat(crs: Any) -> bool:
    """Whether ground sizes come from longitude/latitude rather than nominal map units."""
    if crs.is_geographic:
        return True
    return bool(crs.is_projected and crs.to_dict().get("proj") in CYLINDRICAL)


def _lonlat(crs: Any, transform: Any, cols: np.ndarray, rows: np.ndarray) -> Vectors:
    """Longitudes and latitudes (WGS84 degrees) of fractional pixel positions."""
    # lazy: a plain predict run does not need it (start-up time)
    from rasterio.warp import transform as warp

    t = transform
    xs = t.a * cols + t.b * rows + t.c
    ys = t.d * cols + t.e * rows + t.f
    lon, lat = warp(crs, "EPSG:4326", xs.tolist(), ys.tolist())
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def ellipsoid_radii(lat_deg: np.ndarray) -> Vectors:
    """Meridional (M) and prime-vertical (N) radii of curvature in metres."""
    s2 = np.sin(np.radians(lat_deg)) ** 2
    w = np.sqrt(1.0 - WGS84_E2 * s2)
    return WGS84_A * (1.0 - WGS84_E2) / w**3, WGS84_A / w


def _ground_steps(crs: Any, transform: Any, cx: float, cy: float) -> Vectors:
    """East and north ground metres of one column step and one row step centred on (cx, cy).

    Returns:
        ``(east, north)``, each of shape ``(2,)``: ``[column step, row step]``.
    """
    cols = np.array([cx - 0.5, cx + 0.5, cx, cx])
    rows = np.array([cy, cy, cy - 0.5, cy + 0.5])
    lon, lat = _lonlat(crs, transform, cols, rows)
    dlon = (lon[1::2] - lon[0::2] + 180.0) % 360.0 - 180.0
    dlat = lat[1::2] - lat[0::2]
    m, n = ellipsoid_radii((lat[1::2] + lat[0::2]) / 2.0)
    east = n * np.cos(np.radians((lat[1::2] + lat[0::2]) / 2.0)) * np.radians(dlon)
    return east, m * np.radians(dlat)


def _centre_area(crs: Any, transform: Any, width: int, height: int) -> float:
    """Local ground area of one (rotated) pixel at the scene centre, in m²."""
    east, north = _ground_steps(crs, transform, width / 2.0, height / 2.0)
    return float(abs(east[0] * north[1] - north[0] * east[1]))


def _authalic_q(lat_deg: np.ndarray) -> np.ndarray:
    """The authalic function q(φ) divided by (1 - e²); area from the equator ∝ its value."""
    e = math.sqrt(WGS84_E2)
    s = np.sin(np.radians(lat_deg))
    return s / (1.0 - WGS84_E2 * s**2) + np.arctanh(e * s) / e


def _cell_areas(crs: Any, transform: Any, cx: float, row0: int, nrows: int) -> np.ndarray:
    """Exact ellipsoidal areas of north-up longitude/latitude cells, one per row."""
    edges = np.arange(row0, row0 + nrows + 1, dtype=np.float64)
    mid = row0 + nrows / 2.0
    cols = np.concatenate([np.full(nrows + 1, cx), [cx - 0.5, cx + 0.5]])
    rows = np.concatenate([edges, [mid, mid]])
    lon, lat = _lonlat(crs, transform, cols, rows)
    dlon = abs((lon[-1] - lon[-2] + 180.0) % 360.0 - 180.0)
    q = _authalic_q(lat[:-2])
    return WGS84_B**2 / 2.0 * math.radians(dlon) * np.abs(np.diff(q))
