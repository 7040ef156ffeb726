"""Ground GSD and pixel areas (landcover.io.ground) against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rasterio import Affine
from rasterio.crs import CRS
from rasterio.transform import from_origin

from landcover.io.ground import class_hectares, ground_gsd, row_pixel_areas

WGS84 = CRS.from_epsg(4326)
# Web Mercator northing of 60°N: a * ln(tan(45° + 60°/2)), a = 6378137 m.
Y_60N = 6378137.0 * math.log(math.tan(math.radians(75.0)))


def _geo_grid(lat_top: float, step: float) -> Affine:
    return from_origin(10.0, lat_top, step, step)


def test_gsd_geographic_equator_by_hand() -> None:
    # WGS84 tables at the equator: 1° of longitude = 2π·6378137/360 = 111 319.5 m, 1° of latitude
    # = 110 574 m. With 1e-5° pixels: (1.113195 + 1.10574) / 2 = 1.10947 m.
    expected = (111_319.5 + 110_574.0) / 2.0 * 1e-5
    gsd = ground_gsd(WGS84, _geo_grid(0.005, 1e-5), 1000, 1000)
    assert gsd == pytest.approx(expected, rel=0.005)


def test_gsd_geographic_60n_by_hand() -> None:
    # WGS84 tables at 60°N: 1° of longitude = 55 800 m (about cos 60° of the equator's, a bit more
    # on the ellipsoid), 1° of latitude = 111 412 m. With 1e-5° pixels: (0.558 + 1.11412) / 2.
    expected = (55_800.0 + 111_412.0) / 2.0 * 1e-5
    gsd = ground_gsd(WGS84, _geo_grid(60.005, 1e-5), 1000, 1000)
    assert gsd == pytest.approx(expected, rel=0.005)
    assert gsd == pytest.approx(0.836, abs=0.001)


def test_gsd_projected_metres_and_feet() -> None:
    utm = from_origin(500_000.0, 6_000_000.0, 10.0, 10.0)
    assert ground_gsd(CRS.from_epsg(32633), utm, 100, 100) == 10.0
    # EPSG:2263 is in US survey feet (1200/3937 m): 3 ft = 0.9144018 m.
    feet = from_origin(1_000_000.0, 200_000.0, 3.0, 3.0)
    assert ground_gsd(CRS.from_epsg(2263), feet, 100, 100) == pytest.approx(0.9144, rel=1e-5)


def test_gsd_web_mercator_is_ground_not_nominal() -> None:
    # A nominal Web Mercator metre at latitude φ is cos φ ground metres (to 0.3 % on the
    # ellipsoid): 1 m pixels at 60°N are about 0.5 m on the ground.
    mercator = from_origin(0.0, Y_60N + 50.0, 1.0, 1.0)
    assert ground_gsd(CRS.from_epsg(3857), mercator, 100, 100) == pytest.approx(0.5, rel=0.005)


def test_gsd_none_without_georeferencing() -> None:
    assert ground_gsd(None, from_origin(0, 0, 1, 1), 10, 10) is None
    assert ground_gsd(WGS84, Affine.identity(), 10, 10) is None


def test_geographic_cell_area_by_hand() -> None:
    # The 1°x1° cell between the equator and 1°N, in 1000 rows of 0.001°.
    transform = from_origin(0.0, 1.0, 0.001, 0.001)
    areas = row_pixel_areas(WGS84, transform, 1000, 1000, 0, 1000)
    total_km2 = areas.sum() * 1000 / 1e6
    # Published WGS84 value: 12 308.8 km².
    assert total_km2 == pytest.approx(12_308.8, rel=0.001)
    # The same by a different route: ∫ M(φ)·N(φ)·cos φ dφ · Δλ by the midpoint rule.
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi = np.radians(np.arange(0.5, 1000) * 0.001)
    w2 = 1 - e2 * np.sin(phi) ** 2
    integrand = a * (1 - e2) / w2**1.5 * a / np.sqrt(w2) * np.cos(phi)
    assert total_km2 == pytest.approx(integrand.sum() * math.radians(0.001) ** 2 * 1000 / 1e6)
    # Sphere of the authalic radius (6 371 007 m): R²·Δλ·(sin 1° − sin 0°) = 12 363.7 km², which
    # overstates equatorial cells by about 0.45 %.
    sphere = 6_371_007.2**2 * math.radians(1.0) * math.sin(math.radians(1.0)) / 1e6
    assert 0.003 < sphere / total_km2 - 1 < 0.006


def test_geographic_rows_shrink_towards_the_pole() -> None:
    areas = row_pixel_areas(WGS84, _geo_grid(61.0, 0.01), 100, 200, 0, 200)
    assert np.all(np.diff(areas) > 0)  # row 0 is the northernmost
    block = row_pixel_areas(WGS84, _geo_grid(61.0, 0.01), 100, 200, 50, 20)
    np.testing.assert_allclose(block, areas[50:70], rtol=1e-12)


def test_equal_area_projection_keeps_nominal_area() -> None:
    # EPSG:6933 (cylindrical equal-area on WGS84): a 1 km pixel is exactly 1 km² anywhere.
    transform = from_origin(0.0, 6_000_000.0, 1000.0, 1000.0)
    areas = row_pixel_areas(CRS.from_epsg(6933), transform, 10, 10, 0, 10)
    np.testing.assert_allclose(areas, 1e6, rtol=1e-7)


def test_projected_and_mercator_row_areas() -> None:
    utm = from_origin(500_000.0, 6_000_000.0, 10.0, 10.0)
    np.testing.assert_array_equal(row_pixel_areas(CRS.from_epsg(32633), utm, 5, 5, 0, 3), 100.0)
    # Web Mercator at 60°N: about cos²(60°) = 0.25 m² of ground per nominal m².
    mercator = from_origin(0.0, Y_60N + 2.0, 1.0, 1.0)
    areas = row_pixel_areas(CRS.from_epsg(3857), mercator, 4, 4, 0, 4)
    np.testing.assert_allclose(areas, 0.25, rtol=0.005)


def test_rotated_grid_keeps_the_local_area() -> None:
    straight = _geo_grid(45.0, 1e-4)
    rotated = straight @ Affine.rotation(30.0)
    north_up = row_pixel_areas(WGS84, straight, 10, 10, 4, 2).mean()
    areas = row_pixel_areas(WGS84, rotated, 10, 10, 0, 3)
    np.testing.assert_allclose(areas, north_up, rtol=1e-3)


def test_class_hectares_by_hand() -> None:
    labels = np.array(
        [
            [0, 1, 1, 255],
            [2, 0, 255, 1],
            [0, 0, 3, 2],
        ],
        dtype=np.uint8,
    )
    row_areas = np.array([100.0, 200.0, 400.0])
    # class 0: 100 + 200 + 2·400 = 1100 m²; class 1: 2·100 + 200 = 400 m²;
    # class 2: 200 + 400 = 600 m²; labels 3 and 255 lie outside the 3 classes.
    expected = np.array([0.11, 0.04, 0.06])
    np.testing.assert_array_equal(class_hectares(labels, row_areas, 3), expected)
    with4 = class_hectares(labels, row_areas, 4)
    np.testing.assert_array_equal(with4, [0.11, 0.04, 0.06, 0.04])


def test_class_hectares_checks_shapes() -> None:
    with pytest.raises(ValueError):
        class_hectares(np.zeros((3, 4), np.uint8), np.ones(4), 3)


def test_row_areas_need_georeferencing() -> None:
    with pytest.raises(ValueError):
        row_pixel_areas(None, from_origin(0, 0, 1, 1), 10, 10, 0, 10)
