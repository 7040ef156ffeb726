"""``vectorize``: hand-made class rasters with known polygons, areas, perimeters and sieving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import shapely
from rasterio import Affine

from landcover.cli import main
from landcover.errors import InputError, LandcoverError, MissingDependencyError
from landcover.gis.sieve import plan_sieve
from landcover.gis.strips import StripReader
from landcover.gis.vectorize import vectorize
from landcover.io.ground import class_hectares, row_pixel_areas
from landcover.io.legend import legend_of_schema
from landcover.schema import DEEPGLOBE

pyogrio = pytest.importorskip("pyogrio")

UTM10 = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4000000.0)  # 10 m pixels, 100 m² each


def write_classes(
    path: Path,
    data: np.ndarray,
    *,
    crs: str | None = "EPSG:32633",
    transform: Affine = UTM10,
    nodata: int | None = 255,
    dtype: str = "uint8",
) -> Path:
    """A class GeoTIFF with the DeepGlobe legend tags."""
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": dtype,
    }
    if crs:
        profile.update(crs=crs, transform=transform)
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(dtype), 1)
        dst.update_tags(**legend_of_schema(DEEPGLOBE).tags())
    return path


def read_layer(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, Any]]:
    """Geometries, fields and metadata of the file's polygon layer."""
    layer = pyogrio.list_layers(path)[0][0]
    meta, _, wkb, values = pyogrio.raw.read(path, layer=layer)
    return shapely.from_wkb(wkb), dict(zip(meta["fields"], values, strict=True)), meta


def island() -> np.ndarray:
    """10 x 10 of agriculture (1) around a 3 x 4 block of urban land (0) at rows 3-5, cols 3-6."""
    data = np.ones((10, 10), np.uint8)
    data[3:6, 3:7] = 0
    return data


def test_two_classes_exact_polygons_areas_perimeters(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "map_classes.tif", island())
    result = vectorize(tif, tmp_path / "map.gpkg")
    geoms, fields, meta = read_layer(tmp_path / "map.gpkg")
    assert result.features == len(geoms) == 2
    assert meta["crs"] == "EPSG:32633"
    order = np.argsort(fields["class_id"])
    assert fields["class_id"][order].tolist() == [0, 1]  # class 0 (urban_land) is kept
    assert fields["class_name"][order].tolist() == ["urban_land", "agriculture_land"]
    np.testing.assert_allclose(fields["area_ha"][order], [0.12, 0.88])  # 12 and 88 pixels
    np.testing.assert_allclose(fields["perimeter_m"][order], [140.0, 400.0 + 140.0])
    urban, agri = geoms[order]
    assert urban.equals(shapely.box(500030, 3999940, 500070, 3999970))
    assert len(agri.interiors) == 1 and agri.exterior.equals(
        shapely.box(500000, 3999900, 500100, 4000000).exterior
    )
    assert "confidence" not in fields
    assert [c["hectares"] for c in result.classes] == pytest.approx([0.12, 0.88])


def test_nodata_is_not_polygonized(tmp_path: Path) -> None:
    data = island()
    data[0, :] = 255  # a nodata row, and a nodata pixel inside the urban block
    data[4, 4] = 255
    tif = write_classes(tmp_path / "n.tif", data)
    vectorize(tif, tmp_path / "n.gpkg", simplify_m=0)
    geoms, fields, _ = read_layer(tmp_path / "n.gpkg")
    valid = np.count_nonzero(data != 255)
    assert shapely.area(geoms).sum() == pytest.approx(valid * 100.0)
    assert fields["area_ha"].sum() == pytest.approx(valid * 0.01)
    nodata_centre = shapely.Point(500045, 3999955)  # pixel (row 4, col 4)
    assert not shapely.intersects(geoms, nodata_centre).any()
    assert sorted(fields["class_id"].tolist()) == [0, 1]


def test_four_connectivity_diagonal_pixels_are_two_polygons(tmp_path: Path) -> None:
    data = np.zeros((5, 5), np.uint8)
    data[1, 1] = data[2, 2] = 4  # touching at a corner only
    tif = write_classes(tmp_path / "d.tif", data)
    vectorize(tif, tmp_path / "d.gpkg", simplify_m=0)
    geoms, fields, _ = read_layer(tmp_path / "d.gpkg")
    water = fields["class_id"] == 4
    assert water.sum() == 2 and (fields["class_id"] == 0).sum() == 1
    np.testing.assert_allclose(fields["area_ha"][water], [0.01, 0.01])


def test_mmu_merges_small_patch_and_leaves_no_hole(tmp_path: Path) -> None:
    data = np.ones((10, 10), np.uint8)
    data[1:3, 1:3] = 0  # 4 pixels = 0.04 ha: under the MMU
    data[5:9, 5:9] = 0  # 16 pixels = 0.16 ha: kept
    tif = write_classes(tmp_path / "m.tif", data)
    result = vectorize(tif, tmp_path / "m.gpkg", mmu_ha=0.05)
    geoms, fields, _ = read_layer(tmp_path / "m.gpkg")
    assert result.merged_patches == 1
    assert sorted(fields["class_id"].tolist()) == [0, 1]
    extent = shapely.box(500000, 3999900, 500100, 4000000)
    assert shapely.union_all(geoms).equals(extent)  # no hole where the patch was
    agri = geoms[fields["class_id"] == 1][0]
    assert len(agri.interiors) == 1  # only the kept patch
    np.testing.assert_allclose(sorted(fields["area_ha"]), [0.16, 0.84])


def sieve_case() -> np.ndarray:
    """Background 2 (58 px) with patches of distinct sizes, threshold 10 px: a 6-px patch (0)
    and a 2-px patch (3) below it, both touching the background, their largest neighbour; a
    1-px patch (4) inside a 40-px patch (1); one nodata pixel."""
    data = np.full((9, 12), 2, np.uint8)
    data[1:3, 1:4] = 0
    data[3, 1] = data[3, 2] = 3
    data[4:9, 4:12] = 1
    data[6, 5] = 4
    data[0, 11] = 255
    return data


@pytest.mark.parametrize("block_rows", [None, 1, 2, 4])
def test_sieve_is_gdal_sieve_in_strips(tmp_path: Path, block_rows: int | None) -> None:
    from rasterio.features import sieve

    data = sieve_case()
    tif = write_classes(tmp_path / "s.tif", data)
    expected = sieve(data, 10, mask=data != 255, connectivity=4)
    with StripReader(tif, block_rows) as reader:
        plan = plan_sieve(reader, np.full(9, 100.0), 10 * 100.0)
        assert plan is not None and plan.changed == 3
        got = np.concatenate([plan.apply(i, reader.read(i)) for i in range(len(reader.strips))])
    np.testing.assert_array_equal(np.where(got < 0, 255, got), expected)
    assert (expected[1:4, 1:4] == 2).all() and expected[6, 5] == 1


def shapes_raster() -> np.ndarray:
    """120 x 120 with a disc, a diagonal band 16 px wide and a triangle: staircases to simplify
    (much thinner or smaller shapes move more than 1 % of their area, see the README)."""
    yy, xx = np.mgrid[0:120, 0:120]
    data = np.full((120, 120), 1, np.uint8)
    data[(yy - 40) ** 2 + (xx - 44) ** 2 < 28**2] = 3
    data[np.abs(yy - xx * 0.7 - 50) < 8] = 4
    data[(yy > 80) & (xx > 200 - yy)] = 0
    return data


@pytest.mark.parametrize("simplify_m", [None, 20.0])
def test_simplified_coverage_is_valid_and_keeps_class_areas(
    tmp_path: Path, simplify_m: float | None
) -> None:
    data = shapes_raster()
    tif = write_classes(tmp_path / "c.tif", data)
    raw = vectorize(tif, tmp_path / "raw.gpkg", simplify_m=0)
    simple = vectorize(tif, tmp_path / "simple.gpkg", simplify_m=simplify_m, block_rows=16)
    geoms_raw, _, _ = read_layer(tmp_path / "raw.gpkg")
    geoms, fields, _ = read_layer(tmp_path / "simple.gpkg")
    assert simple.features == raw.features
    assert simple.tolerance_px == (1.0 if simplify_m is None else 2.0)
    assert shapely.coverage_is_valid(geoms) and shapely.coverage_is_valid(geoms_raw)
    assert shapely.get_num_coordinates(geoms).sum() < shapely.get_num_coordinates(geoms_raw).sum()
    pixels = np.bincount(data.ravel(), minlength=5)
    hectares = np.bincount(fields["class_id"], weights=fields["area_ha"], minlength=5)
    present = pixels > 0
    np.testing.assert_allclose(hectares[present], pixels[present] * 0.01, rtol=0.01)
    assert shapely.union_all(geoms).equals(shapely.box(500000, 3998800, 501200, 4000000))


def test_strip_borders_do_not_cut_polygons(tmp_path: Path) -> None:
    data = np.zeros((12, 9), np.uint8)
    data[1:11, 1] = data[1:11, 7] = data[10, 1:8] = 5  # a U: its arms meet only at the bottom
    data[3:5, 3:6] = 2
    tif = write_classes(tmp_path / "u.tif", data)
    whole = vectorize(tif, tmp_path / "whole.gpkg", simplify_m=0)
    strips = vectorize(tif, tmp_path / "strips.gpkg", simplify_m=0, block_rows=2)
    a, fa, _ = read_layer(tmp_path / "whole.gpkg")
    b, fb, _ = read_layer(tmp_path / "strips.gpkg")
    assert whole.features == strips.features == 3
    assert (fb["class_id"] == 5).sum() == 1  # the U is one polygon, not one per arm and strip
    for cls in (0, 2, 5):
        assert b[fb["class_id"] == cls][0].equals(a[fa["class_id"] == cls][0])
    assert shapely.coverage_is_valid(b)
    simplified = vectorize(tif, tmp_path / "simplified.gpkg", block_rows=2)
    c, _, _ = read_layer(tmp_path / "simplified.gpkg")
    assert simplified.features == 3 and shapely.coverage_is_valid(c)


@pytest.mark.parametrize("seed", [0, 1])
def test_noisy_map_in_small_strips_is_gdal_polygonize_as_a_valid_coverage(
    tmp_path: Path, seed: int
) -> None:
    from rasterio.features import shapes

    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 4, (8, 10)).repeat(4, 0).repeat(4, 1)[:30, :37]
    data = np.where(rng.random((30, 37)) < 0.1, rng.integers(0, 4, (30, 37)), blocks)
    data[rng.random((30, 37)) < 0.03] = 255
    tif = write_classes(tmp_path / "r.tif", data.astype(np.uint8))
    expected = list(shapes(data.astype(np.uint8), mask=data != 255, connectivity=4))
    pixels = np.bincount(data[data != 255], minlength=4)
    for simplify in (0, None):
        out = tmp_path / f"r{simplify}.gpkg"
        result = vectorize(tif, out, simplify_m=simplify, block_rows=3)
        geoms, fields, _ = read_layer(out)
        assert result.features == len(expected)
        assert shapely.coverage_is_valid(geoms) and shapely.is_valid(geoms).all()
        assert fields["area_ha"].sum() == pytest.approx(pixels.sum() * 0.01)
    exact = np.bincount(fields["class_id"], minlength=4)  # the last run: simplified
    assert exact.tolist() == np.bincount([int(v) for _, v in expected], minlength=4).tolist()


def test_geojson_is_wgs84_longitude_latitude(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "g.tif", island())
    vectorize(tif, tmp_path / "g.geojson")
    vectorize(tif, tmp_path / "f.fgb")  # g.qml is the GeoJSON's style
    doc = json.loads((tmp_path / "g.geojson").read_text())
    assert "crs" not in doc  # RFC 7946: WGS84 implied
    lon, lat = np.array(doc["features"][0]["geometry"]["coordinates"][0]).T
    # UTM 33N easting 500 km is the central meridian, 15°E; northing 4000 km is about 36.1°N.
    assert np.all(np.abs(lon - 15.0) < 0.01) and np.all(np.abs(lat - 36.14) < 0.01)
    areas = sorted(f["properties"]["area_ha"] for f in doc["features"])
    assert areas == pytest.approx([0.12, 0.88])
    _, fields, meta = read_layer(tmp_path / "f.fgb")
    assert meta["crs"] == "EPSG:32633" and sorted(fields["area_ha"]) == pytest.approx(areas)


def test_geographic_raster_hectares_are_ground_hectares(tmp_path: Path) -> None:
    data = np.zeros((40, 30), np.uint8)
    data[5:25, 4:20] = 4
    transform = Affine(0.0005, 0.0, 10.0, 0.0, -0.0005, 60.0)  # ~28 x 56 m pixels at 60°N
    tif = write_classes(tmp_path / "geo.tif", data, crs="EPSG:4326", transform=transform)
    vectorize(tif, tmp_path / "geo.gpkg")
    geoms, fields, _ = read_layer(tmp_path / "geo.gpkg")
    areas = row_pixel_areas(rasterio.crs.CRS.from_epsg(4326), transform, 30, 40, 0, 40)
    expected = class_hectares(data, areas, 5)
    got = np.bincount(fields["class_id"], weights=fields["area_ha"], minlength=5)
    np.testing.assert_allclose(got[[0, 4]], expected[[0, 4]], rtol=1e-3)
    # The water rectangle's perimeter, measured in the local UTM zone (scale error < 0.1 %).
    from rasterio.warp import transform_geom

    water = geoms[fields["class_id"] == 4][0]
    utm = shapely.geometry.shape(transform_geom("EPSG:4326", "EPSG:32632", water.__geo_interface__))
    assert fields["perimeter_m"][fields["class_id"] == 4][0] == pytest.approx(utm.length, rel=2e-3)


def test_confidence_is_averaged_per_polygon(tmp_path: Path) -> None:
    data = island()
    conf = np.where(data == 0, 100, 200).astype(np.uint8)
    conf[:5] = np.where(data[:5] == 1, 250, conf[:5])  # agriculture: 42 px at 250, 46 at 200
    tif = write_classes(tmp_path / "s_classes.tif", data)
    write_classes(tmp_path / "s_confidence.tif", conf, nodata=0)
    result = vectorize(tif, tmp_path / "s.gpkg")  # found beside the class raster
    assert result.confidence == tmp_path / "s_confidence.tif"
    _, fields, _ = read_layer(tmp_path / "s.gpkg")
    order = np.argsort(fields["class_id"])
    expected = [100 / 255, (42 * 250 + 46 * 200) / 88 / 255]
    np.testing.assert_allclose(fields["confidence"][order], expected, atol=1e-4)


def test_confidence_on_another_grid_is_refused(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "a_classes.tif", island())
    other = write_classes(tmp_path / "other.tif", np.ones((5, 5), np.uint8))
    with pytest.raises(InputError, match="not on the class raster's grid"):
        vectorize(tif, tmp_path / "a.gpkg", confidence_tif=other)
    assert not (tmp_path / "a.gpkg").exists()


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_raster_without_georeferencing(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "plain.tif", island(), crs=None)
    with pytest.raises(InputError, match="--mmu needs ground areas"):
        vectorize(tif, tmp_path / "p.gpkg", mmu_ha=0.1)
    with pytest.raises(InputError, match="GeoJSON"):
        vectorize(tif, tmp_path / "p.geojson", gsd_m=2.0)
    vectorize(tif, tmp_path / "p.gpkg", gsd_m=2.0)
    geoms, fields, meta = read_layer(tmp_path / "p.gpkg")
    assert meta["crs"] is None
    urban = geoms[fields["class_id"] == 0][0]
    assert urban.equals(shapely.box(3, -6, 7, -3))  # x = column, y = -row (as QGIS shows it)
    assert fields["area_ha"][fields["class_id"] == 0][0] == pytest.approx(12 * 4.0 / 1e4)
    assert fields["perimeter_m"][fields["class_id"] == 0][0] == pytest.approx(14 * 2.0)


def test_map_of_a_plain_picture_takes_the_gsd_predict_recorded(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "photo_classes.tif", island(), crs=None)
    (tmp_path / "photo_areas.json").write_text(json.dumps({"gsd_m": 2.0}))
    vectorize(tif, tmp_path / "p.gpkg", mmu_ha=0.0001)
    _, fields, _ = read_layer(tmp_path / "p.gpkg")
    assert fields["area_ha"][fields["class_id"] == 0][0] == pytest.approx(12 * 4.0 / 1e4)


def test_outputs_are_not_overwritten_and_formats_checked(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "o.tif", island())
    vectorize(tif, tmp_path / "o.gpkg")
    with pytest.raises(LandcoverError, match="already exists"):
        vectorize(tif, tmp_path / "o.gpkg")
    vectorize(tif, tmp_path / "o.gpkg", overwrite=True, layer="landcover")
    assert pyogrio.list_layers(tmp_path / "o.gpkg")[0][0] == "landcover"
    with pytest.raises(InputError, match="unknown polygon format '.shp'"):
        vectorize(tif, tmp_path / "o.shp")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_missing_pyogrio_gives_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyogrio" else real(name, *a)
    )
    tif = write_classes(tmp_path / "x.tif", island())
    with pytest.raises(MissingDependencyError, match=r"pip install 'landcover\[gis\]'"):
        vectorize(tif, tmp_path / "x.gpkg")
    assert main(["vectorize", str(tif), "--out", str(tmp_path / "x.gpkg")]) == 2
    assert "pip install 'landcover[gis]'" in capsys.readouterr().err


def test_cli_prints_polygons_and_hectares(tmp_path: Path, capsys) -> None:
    tif = write_classes(tmp_path / "c_classes.tif", island())
    out = tmp_path / "c.gpkg"
    assert main(["-q", "vectorize", str(tif), "--out", str(out), "--simplify", "0"]) == 0
    text = capsys.readouterr().out
    assert "2 polygons" in text and "not simplified" in text
    assert "urban_land" in text and "0.12" in text and "agriculture_land" in text
    assert (tmp_path / "c.qml").is_file()
