"""Land cover per region: exact hectares and shares on hand-made rasters and polygons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from landcover.errors import InputError
from landcover.gis.regions import ground_hectares, read_regions
from landcover.gis.zonal import zonal_table
from landcover.gis.zonal_output import write_zonal
from landcover.io.ground import row_pixel_areas
from landcover.io.legend import Legend

pyogrio = pytest.importorskip("pyogrio")
pytest.importorskip("exactextract")

NAMES = ("urban", "crops", "water")
COLORS = np.array([[200, 0, 0], [240, 220, 0], [0, 0, 255]], dtype=np.uint8)
UTM = "EPSG:32633"
X0, Y0 = 500_000.0, 4_000_040.0  # top-left corner of the 4x4 UTM raster (10 m pixels)
# The 4x4 raster: urban top-left, crops top-right, water bottom-left, nodata bottom-right.
LABELS = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 255, 255], [2, 2, 255, 255]], dtype=np.uint8)


def write_classes(
    path: Path,
    labels: np.ndarray,
    crs: str | None = UTM,
    transform: rasterio.Affine | None = None,
    names: Sequence[str] = NAMES,
    nodata: int | None = 255,
) -> Path:
    """Write a class GeoTIFF with a legend (tags) as ``predict`` does."""
    legend = Legend(
        "test",
        tuple(names),
        COLORS[: len(names)]
        if len(names) <= 3
        else np.arange(len(names) * 3, dtype=np.uint8).reshape(-1, 3),
        nodata,
    )
    profile = dict(
        driver="GTiff",
        width=labels.shape[1],
        height=labels.shape[0],
        count=1,
        dtype=labels.dtype.name,
        nodata=nodata,
    )
    if crs is not None:
        profile.update(crs=crs, transform=transform or from_origin(X0, Y0, 10, 10))
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(labels, 1)
        dst.update_tags(**legend.tags())
    return path


def write_regions(
    path: Path, geoms: Sequence[shapely.Geometry], names: Sequence[str], crs: str | None = UTM
) -> Path:
    """Write polygons with a ``name`` and a ``code`` attribute to a GeoPackage."""
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array(geoms, dtype=object)),
        [np.array(names, dtype=object), np.arange(len(names), dtype=np.int64) + 10],
        ["name", "code"],
        driver="GPKG",
        geometry_type="Polygon",
        crs=crs,
    )
    return path


def utm_box(c0: float, r0: float, c1: float, r1: float) -> shapely.Polygon:
    """A box from pixel column/row ``(c0, r0)`` to ``(c1, r1)`` of the 4x4 UTM raster."""
    return shapely.box(X0 + 10 * c0, Y0 - 10 * r1, X0 + 10 * c1, Y0 - 10 * r0)


@pytest.fixture
def raster(tmp_path: Path) -> Path:
    return write_classes(tmp_path / "map.tif", LABELS)


def table(result, name: str) -> dict:
    return next(r for r in result.rows() if r["name"] == name)


def test_exact_pixels_and_half_pixels(raster: Path, tmp_path: Path) -> None:
    regions = write_regions(
        tmp_path / "r.gpkg",
        [utm_box(0, 0, 4, 4), utm_box(0.5, 0, 3.5, 1.5), utm_box(1, 1, 3, 3)],
        ["all", "cut", "centre"],
    )
    result = zonal_table(raster, regions, field="name")
    everything = table(result, "all")  # 16 px of 100 m2: 4 urban, 4 crops, 4 water, 4 nodata
    assert everything["total_ha"] == pytest.approx(0.16)
    assert everything["valid_ha"] == pytest.approx(0.12)
    assert everything["valid_fraction"] == pytest.approx(0.75)
    for c in NAMES:
        assert everything[f"{c}_ha"] == pytest.approx(0.04)
        assert everything[f"{c}_share"] == pytest.approx(1 / 3)
    cut = table(result, "cut")  # 3 x 1.5 px: 1.5 x 1.5 urban + 1.5 x 1.5 crops
    assert cut["urban_ha"] == pytest.approx(0.0225)
    assert cut["crops_ha"] == pytest.approx(0.0225)
    assert cut["water_ha"] == 0
    assert cut["valid_fraction"] == pytest.approx(1.0)
    centre = table(result, "centre")  # 1 px of each class and 1 nodata
    assert [centre[f"{c}_ha"] for c in NAMES] == pytest.approx([0.01, 0.01, 0.01])
    assert centre["valid_fraction"] == pytest.approx(0.75)
    assert result.columns()[:4] == ["name", "total_ha", "valid_ha", "valid_fraction"]


def test_region_in_wgs84_over_utm_raster(tmp_path: Path) -> None:
    from rasterio.warp import transform_geom

    labels = (np.arange(100)[None, :] // 25 % 3).repeat(100, axis=0).astype(np.uint8)
    raster = write_classes(tmp_path / "big.tif", labels)
    box = shapely.box(X0 + 105, Y0 - 905, X0 + 815, Y0 - 95)
    corners = transform_geom(UTM, "EPSG:4326", shapely.geometry.mapping(box))
    in_utm = write_regions(tmp_path / "utm.gpkg", [box], ["a"])
    in_wgs84 = write_regions(
        tmp_path / "wgs.gpkg", [shapely.geometry.shape(corners)], ["a"], crs="EPSG:4326"
    )
    expected = zonal_table(raster, in_utm, field="name").hectares[0]
    got = zonal_table(raster, in_wgs84, field="name").hectares[0]
    assert expected.sum() == pytest.approx(0.71 * 0.81 * 100)  # 710 m x 810 m, all valid
    assert got == pytest.approx(expected, rel=0.005)


def test_geographic_raster_uses_ground_row_areas(tmp_path: Path) -> None:
    t = from_origin(10.0, 60.0, 0.001, 0.001)
    raster = write_classes(tmp_path / "geo.tif", LABELS, crs="EPSG:4326", transform=t)
    regions = write_regions(
        tmp_path / "r.gpkg",
        [shapely.box(10.0, 59.996, 10.004, 60.0), shapely.box(10.0, 59.998, 10.002, 60.0)],
        ["all", "urban"],
        crs="EPSG:4326",
    )
    result = zonal_table(raster, regions, field="name")
    rows = row_pixel_areas(rasterio.CRS.from_epsg(4326), t, 4, 4, 0, 4) / 1e4
    assert result.total_ha == pytest.approx([rows.sum() * 4, rows[:2].sum() * 2], rel=1e-9)
    assert result.hectares[0] == pytest.approx(
        [rows[:2].sum() * 2, rows[:2].sum() * 2, rows[2:].sum() * 2], rel=1e-9
    )
    assert result.valid_fraction[1] == pytest.approx(1.0, abs=1e-9)
    assert result.valid_fraction[0] == pytest.approx(
        (rows.sum() * 4 - rows[2:].sum() * 2) / (rows.sum() * 4), rel=1e-9
    )


def test_ground_hectares_of_a_tall_region_on_a_curved_grid() -> None:
    # A 1 x 3 degree box at 40-43 N: more rows than strips; its ellipsoidal area is known.
    t = from_origin(0.0, 45.0, 0.001, 0.001)
    crs = rasterio.CRS.from_epsg(4326)
    got = ground_hectares(np.array([shapely.box(0.0, 40.0, 1.0, 43.0)]), crs, t, 1000, 5000)
    ref = row_pixel_areas(crs, from_origin(0.0, 43.0, 1.0, 3.0), 1, 1, 0, 1)[0] / 1e4
    assert got[0] == pytest.approx(ref, rel=1e-6)


def test_region_off_the_raster_is_reported(
    raster: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    regions = write_regions(
        tmp_path / "r.gpkg",
        [utm_box(0, 0, 2, 2), utm_box(10, 10, 12, 12), utm_box(2, 2, 4, 4)],
        ["inside", "far away", "nodata corner"],
    )
    with caplog.at_level(logging.WARNING):
        result = zonal_table(raster, regions, field="name")
    assert [r["name"] for r in result.rows()] == ["inside", "far away", "nodata corner"]
    far = table(result, "far away")
    assert far["valid_fraction"] == 0 and far["total_ha"] == pytest.approx(0.04)
    assert np.isnan(far["urban_share"])
    assert result.off_raster == (1,)
    assert "far away" in caplog.text and "off the raster" in caplog.text
    assert "nodata corner" in caplog.text and "only nodata" in caplog.text


def test_gpkg_output_joins_the_table(raster: Path, tmp_path: Path) -> None:
    regions = write_regions(
        tmp_path / "r.gpkg", [utm_box(0, 0, 2, 2), utm_box(0, 0, 4, 2)], ["west", "north"]
    )
    other = write_classes(tmp_path / "later.tif", np.full((4, 4), 2, dtype=np.uint8))
    found = read_regions(regions, field="name")
    results = [zonal_table(raster, found), zonal_table(other, found)]
    out = write_zonal(results, tmp_path / "out.gpkg")
    assert [layer for layer, _ in pyogrio.list_layers(out)] == ["map", "later"]
    meta, _, geoms, values = pyogrio.raw.read(out, layer="map")
    cols = dict(zip(meta["fields"], values, strict=True))
    assert list(cols["name"]) == ["west", "north"] and list(cols["code"]) == [10, 11]
    assert cols["urban_ha"] == pytest.approx([0.04, 0.04])
    assert cols["crops_share"] == pytest.approx([0.0, 0.5])
    assert shapely.from_wkb(geoms[0]).equals(utm_box(0, 0, 2, 2))
    _, _, _, later = pyogrio.raw.read(out, layer="later", columns=["water_ha"])
    assert later[0] == pytest.approx([0.04, 0.08])
    with pytest.raises(Exception, match="already exists"):
        write_zonal(results, out)


def test_csv_output_has_one_row_per_raster_and_region(raster: Path, tmp_path: Path) -> None:
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 1, 1)], ["one"])
    found = read_regions(regions)  # no field: feature ids
    result = zonal_table(raster, found)
    out = write_zonal([result, result], tmp_path / "t.csv")
    lines = out.read_text().splitlines()
    assert lines[0].split(",")[:5] == ["raster", "fid", "total_ha", "valid_ha", "valid_fraction"]
    assert lines[1].startswith(f"{raster},1,0.01,0.01,1,0.01,0,0,1,0,0")
    assert len(lines) == 3
    with pytest.raises(InputError, match=r"\.csv or a \.gpkg"):
        write_zonal([result], tmp_path / "t.xlsx")


def test_bad_regions_are_refused(raster: Path, tmp_path: Path) -> None:
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 1, 1)], ["one"])
    with pytest.raises(InputError, match="no attribute 'district'.*name, code"):
        zonal_table(raster, regions, field="district")
    (tmp_path / "junk.gpkg").write_text("not a geopackage")
    with pytest.raises(OSError, match="not a readable vector file"):
        zonal_table(raster, tmp_path / "junk.gpkg")


def test_regions_without_crs_are_taken_in_the_raster_crs(
    raster: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 2, 2)], ["a"], crs=None)
    with caplog.at_level(logging.WARNING):
        result = zonal_table(raster, regions, field="name")
    assert result.hectares[0] == pytest.approx([0.04, 0, 0])
    assert "no CRS" in caplog.text


def test_raster_without_georeferencing_or_legend_is_refused(tmp_path: Path) -> None:
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 1, 1)], ["a"])
    plain = write_classes(tmp_path / "plain.tif", LABELS, crs=None)
    with pytest.raises(InputError, match="not georeferenced"):
        zonal_table(plain, regions)
    bare = tmp_path / "bare.tif"
    with rasterio.open(
        bare,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="uint8",
        crs=UTM,
        transform=from_origin(X0, Y0, 10, 10),
    ) as dst:
        dst.write(LABELS, 1)
    with pytest.raises(InputError, match="not a class raster"):
        zonal_table(bare, regions)
