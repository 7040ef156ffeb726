"""``sample`` and ``assess`` on hand-made class rasters with known areas and known truth."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

from landcover.accuracy.assess import assess
from landcover.accuracy.design import draw_sample
from landcover.accuracy.report import write_report
from landcover.cli import main
from landcover.errors import InputError, MissingDependencyError
from landcover.io.legend import legend_of_schema
from landcover.io.raster import class_colormap
from landcover.schema import DEEPGLOBE


def write_map(path: Path, labels: np.ndarray, crs: str = "EPSG:32633", px: float = 10.0) -> Path:
    """A class raster as ``predict`` writes it: legend tags, colour table, nodata 255."""
    h, w = labels.shape
    profile = {
        "driver": "GTiff", "width": w, "height": h, "count": 1, "dtype": "uint8",
        "crs": crs, "transform": from_origin(500_000, 6_000_000, px, px), "nodata": 255,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(labels, 1)
        dst.write_colormap(1, class_colormap(DEEPGLOBE.palette))
        dst.update_tags(**legend_of_schema(DEEPGLOBE).tags())
    return path


def two_class_map() -> np.ndarray:
    """600 x 500: left 300 columns agriculture (1), right 200 urban (0), a water square (4),
    the last 20 rows nodata."""
    lab = np.ones((600, 500), np.uint8)
    lab[:, 300:] = 0
    lab[:50, :50] = 4
    lab[-20:] = 255
    return lab


def test_sample_counts_places_and_records(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio", reason="GeoPackage points need pip install 'landcover[gis]'")
    lab = two_class_map()
    m = write_map(tmp_path / "a_classes.tif", lab)
    res = draw_sample([m], tmp_path / "pts.gpkg", total=300, minimum=40, seed=3)
    assert [p.name for p in res.files] == ["pts.gpkg", "pts.csv", "pts_design.json"]
    rows = list(csv.DictReader((tmp_path / "pts.csv").open()))
    assert len(rows) == sum(res.sizes) == 300
    strata = [int(r["stratum"]) for r in rows]
    assert np.bincount(strata, minlength=7).tolist() == res.sizes
    assert res.sizes[4] == 40  # the rare class gets the minimum
    for r in rows:
        assert lab[int(r["row"]), int(r["col"])] == int(r["map_class"]) == int(r["stratum"])
        assert r["reference"] == ""
        assert float(r["x"]) == 500_000 + 10 * (int(r["col"]) + 0.5)
    design = json.loads((tmp_path / "pts_design.json").read_text())
    urban = design["strata"][0]
    assert urban["pixels"] == 200 * 580 and urban["hectares"] == pytest.approx(200 * 580 * 0.01)
    import pyogrio

    info = pyogrio.read_info(tmp_path / "pts.gpkg")
    assert info["features"] == 300 and info["crs"] == "EPSG:32633"


def test_sample_is_reproducible_and_seed_dependent(tmp_path: Path) -> None:
    m = write_map(tmp_path / "a_classes.tif", two_class_map())
    draw_sample([m], tmp_path / "a.csv", total=200, seed=1)
    draw_sample([m], tmp_path / "b.csv", total=200, seed=1)
    draw_sample([m], tmp_path / "c.csv", total=200, seed=2)
    a, b, c = ((tmp_path / f"{n}.csv").read_text() for n in "abc")
    assert a == b and a != c


def test_many_maps_share_points_by_area_and_never_nodata(tmp_path: Path) -> None:
    big = write_map(tmp_path / "big_classes.tif", np.ones((400, 400), np.uint8))
    small = np.full((100, 400), 255, np.uint8)
    small[:, :200] = 1
    small_p = write_map(tmp_path / "small_classes.tif", small)
    res = draw_sample([big, small_p], tmp_path / "p.csv", total=500, minimum=10, seed=0)
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    on_small = [r for r in rows if r["map"].endswith("small_classes.tif")]
    assert res.sizes[1] == 500
    # 20000 of 180000 class-1 pixels lie in the small map: about 56 of 500 points.
    assert 30 < len(on_small) < 85
    assert all(int(r["col"]) < 200 for r in on_small)


def test_degrees_give_true_ground_hectares(tmp_path: Path) -> None:
    from landcover.io.ground import row_pixel_areas

    m = write_map(tmp_path / "g_classes.tif", np.ones((50, 40), np.uint8), "EPSG:4326", 1e-4)
    res = draw_sample([m], tmp_path / "p.csv", total=60, seed=0)
    with rasterio.open(m) as src:
        expected = row_pixel_areas(src.crs, src.transform, 40, 50, 0, 50).sum() * 40 / 1e4
    assert res.table.hectares[0, 1] == pytest.approx(expected, rel=1e-9)


def _truth(lab: np.ndarray) -> np.ndarray:
    """A 'true' map: part of the agriculture is really rangeland (2), a strip of urban is water."""
    truth = lab.copy()
    truth[100:400, 100:250] = 2
    truth[:, 450:] = 4
    truth[truth == 255] = 6
    return truth


def _mask_png(path: Path, labels: np.ndarray) -> Path:
    Image.fromarray(DEEPGLOBE.decode(labels)).save(path)
    return path


def test_assess_against_masks_covers_the_true_areas(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio", reason="GeoPackage points need pip install 'landcover[gis]'")
    lab = two_class_map()
    m = write_map(tmp_path / "a_classes.tif", lab)
    truth = _truth(lab)
    mask = _mask_png(tmp_path / "a_mask.png", truth)
    draw_sample([m], tmp_path / "p.gpkg", total=600, seed=5)
    a = assess(tmp_path / "p.gpkg", reference_masks=[mask])
    true_ha = [float((truth[:580] == c).sum()) * 0.01 for c in range(6)]
    for c, (value, se) in enumerate(a.adjusted_ha()[:6]):
        assert value - 3 * se <= true_ha[c] <= value + 3 * se, (c, value, se, true_ha[c])
    assert a.total_ha == pytest.approx(580 * 500 * 0.01)
    assert a.mapped_ha[1] == pytest.approx((lab == 1).sum() * 0.01)
    assert a.counts.sum() == a.units_used == 600
    files = write_report(a, tmp_path / "report")
    record = json.loads(files[0].read_text())
    assert (
        record["classes"][2]["mapped_ha"] == 0.0
        and record["classes"][2]["users_accuracy"]["value"] is None
    )
    assert "| rangeland | 0.0 |" in (tmp_path / "report" / "report.md").read_text()
    assert (tmp_path / "report" / "areas.png").stat().st_size > 10_000


def test_a_perfect_map_is_exact(tmp_path: Path) -> None:
    lab = two_class_map()
    m = write_map(tmp_path / "a_classes.tif", lab)
    draw_sample([m], tmp_path / "p.csv", total=200, seed=0)
    truth = lab.copy()
    truth[truth == 255] = 6
    a = assess(tmp_path / "p.csv", reference_masks=[_mask_png(tmp_path / "t.png", truth)])
    assert a.result.overall.value == 1.0 and a.result.overall.se == 0.0
    for c in (0, 1, 4):
        assert a.adjusted_ha()[c] == pytest.approx((a.mapped_ha[c], 0.0))


def _label(path: Path, fill: dict[int, str]) -> None:
    rows = list(csv.DictReader(path.open()))
    for i, r in enumerate(rows):
        r["reference"] = fill.get(i, r["map_class_name"])
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_assess_reads_labels_by_name_and_leaves_out_empty_ones(tmp_path: Path) -> None:
    m = write_map(tmp_path / "a_classes.tif", two_class_map())
    draw_sample([m], tmp_path / "p.csv", total=150, seed=0)
    _label(tmp_path / "p.csv", {0: "", 1: "", 2: "unknown"})
    a = assess(tmp_path / "p.csv")
    assert a.units_used == 147
    assert a.left_out == {"no reference": 2, "ignored class": 1}
    assert a.result.overall.value == 1.0


def test_assess_refuses_unknown_labels_and_changed_maps(tmp_path: Path) -> None:
    lab = two_class_map()
    m = write_map(tmp_path / "a_classes.tif", lab)
    draw_sample([m], tmp_path / "p.csv", total=150, seed=0)
    _label(tmp_path / "p.csv", {0: "jungle"})
    with pytest.raises(InputError, match=r"p\.csv: point 1: reference 'jungle' is no class"):
        assess(tmp_path / "p.csv")
    write_map(m, np.where(lab == 1, 0, lab).astype(np.uint8))
    _label(tmp_path / "p.csv", {})
    with pytest.raises(InputError, match="the map changed since sampling"):
        assess(tmp_path / "p.csv")


def test_stratum_rasters_other_than_the_classes(tmp_path: Path) -> None:
    lab = two_class_map()
    m = write_map(tmp_path / "a_classes.tif", lab)
    zones = np.zeros_like(lab)
    zones[300:] = 1
    zones[lab == 255] = 255
    z = write_map(tmp_path / "zones.tif", zones)
    res = draw_sample([m], tmp_path / "p.csv", strata=[z], total=100, minimum=10, seed=0)
    assert res.table.stratum_names == ("stratum_0", "stratum_1")
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert all(zones[int(r["row"]), int(r["col"])] == int(r["stratum"]) for r in rows)
    _label(tmp_path / "p.csv", {})
    a = assess(tmp_path / "p.csv")  # the strata rasters are found in p_design.json
    assert a.result.overall.value == 1.0
    assert a.mapped_ha[0] == pytest.approx((lab == 0).sum() * 0.01)


def test_geopackage_needs_the_gis_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    m = write_map(tmp_path / "a_classes.tif", two_class_map())
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "pyogrio" else real(n, *a)
    )
    with pytest.raises(MissingDependencyError, match=r"pip install 'landcover\[gis\]'"):
        draw_sample([m], tmp_path / "p.gpkg", total=100, seed=0)


def test_cli_sample_then_assess(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyogrio", reason="GeoPackage points need pip install 'landcover[gis]'")
    lab = two_class_map()
    m = write_map(tmp_path / "a_classes.tif", lab)
    truth = _truth(lab)
    mask = _mask_png(tmp_path / "a_mask.png", truth)
    pts = str(tmp_path / "p.gpkg")
    assert main(["sample", str(m), "--out", pts, "--target-se", "0.02", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "points: " in out and "urban_land" in out
    assert main(["sample", str(m), "--out", pts]) == 2  # never overwritten silently
    assert "already exists" in capsys.readouterr().err
    report = str(tmp_path / "r")
    assert main(["assess", pts, "--reference", str(mask), "--out", report]) == 0
    assert "Overall accuracy" in capsys.readouterr().out
    assert sorted(p.name for p in Path(report).iterdir()) == [
        "accuracy.json", "areas.csv", "areas.png", "error_matrix.csv", "report.html", "report.md",
    ]  # fmt: skip
    matrix = list(csv.reader((Path(report) / "error_matrix.csv").open()))
    assert matrix[0][1] == "urban_land" and float(matrix[-1][-1]) == 1.0
