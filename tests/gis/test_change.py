"""Change between two class maps: known from-to matrices, statistics, change raster, grids."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from landcover.errors import InputError, LandcoverError
from landcover.gis import change as change_module
from landcover.gis.change import OUTPUTS, change_between
from landcover.gis.change_codes import change_dtype, change_legend
from landcover.gis.change_stats import change_stats
from landcover.io.ground import row_pixel_areas
from landcover.io.legend import Legend, read_legend

UTM = "EPSG:32633"
GRID = from_origin(500_000.0, 4_000_030.0, 10, 10)  # 10 m pixels: 100 m2 = 0.01 ha
TWO = ("forest", "field")
THREE = ("urban", "crops", "water")
COLORS = np.array([[200, 0, 0], [240, 220, 0], [0, 0, 255]], dtype=np.uint8)


def write_map(
    path: Path,
    labels: np.ndarray,
    names: Sequence[str] = THREE,
    crs: str | None = UTM,
    transform: rasterio.Affine = GRID,
) -> Path:
    """Write a class GeoTIFF with nodata 255 and a legend (tags), as ``predict`` does."""
    k = len(names)
    colors = COLORS[:k] if k <= 3 else np.arange(3 * k, dtype=np.uint8).reshape(k, 3)
    profile = dict(
        driver="GTiff",
        width=labels.shape[1],
        height=labels.shape[0],
        count=1,
        dtype="uint8",
        nodata=255,
    )
    if crs is not None:
        profile.update(crs=crs, transform=transform)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(labels.astype(np.uint8), 1)
        dst.update_tags(**Legend("test", tuple(names), colors, 255).tags())
    return path


# 3-class pair (3 x 4 px); 255 = nodata. Pixels valid in both: 10.
BEFORE3 = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 255]])
AFTER3 = np.array([[0, 1, 1, 1], [0, 0, 2, 1], [2, 0, 255, 2]])
# rows: before, columns: after (urban, crops, water)
MATRIX3 = np.array([[3, 1, 0], [0, 3, 1], [1, 0, 1]])


@pytest.fixture
def pair3(tmp_path: Path) -> tuple[Path, Path]:
    return write_map(tmp_path / "b.tif", BEFORE3), write_map(tmp_path / "a.tif", AFTER3)


def test_two_class_matrix_and_pontius_figures(tmp_path: Path) -> None:
    before = write_map(tmp_path / "b.tif", np.array([[0, 0, 0, 0], [0, 0, 1, 1]]), TWO)
    after = write_map(tmp_path / "a.tif", np.array([[0, 0, 1, 1], [1, 0, 0, 1]]), TWO)
    result = change_between(before, after, tmp_path / "out")
    np.testing.assert_array_equal(result.pixels, [[3, 3], [1, 1]])
    assert result.hectares == pytest.approx(np.array([[0.03, 0.03], [0.01, 0.01]]))
    s = result.stats  # forest: 6 -> 4 ha*100; field: 2 -> 4
    assert s.gain * 100 == pytest.approx([1, 3])
    assert s.loss * 100 == pytest.approx([3, 1])
    assert s.net * 100 == pytest.approx([-2, 2])
    assert s.swap * 100 == pytest.approx([2, 2])
    assert s.persistence * 100 == pytest.approx([3, 1])
    assert s.totals()["changed"] * 100 == pytest.approx(4)


def test_three_class_matrix_in_pixels_and_hectares(
    pair3: tuple[Path, Path], tmp_path: Path
) -> None:
    result = change_between(*pair3, tmp_path / "out")
    np.testing.assert_array_equal(result.pixels, MATRIX3)
    assert result.hectares == pytest.approx(MATRIX3 * 0.01)
    assert {p.name for p in result.files} == set(OUTPUTS)
    lines = (tmp_path / "out" / "matrix_pixels.csv").read_text().splitlines()
    assert lines == [
        "before \\ after,urban,crops,water",
        "urban,3,1,0",
        "crops,0,3,1",
        "water,1,0,1",
    ]
    ha = (tmp_path / "out" / "matrix_ha.csv").read_text().splitlines()
    assert ha[1] == "urban,0.03,0.01,0"
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    head = summary[0].split(",")
    crops = dict(zip(head, summary[2].split(","), strict=True))
    # crops: before 4, after 4, kept 3, gain 1 (from urban), loss 1 (to water), swap 2
    assert crops["gain_pixels"] == "1" and crops["loss_pixels"] == "1"
    assert crops["net_pixels"] == "0" and crops["swap_pixels"] == "2"
    assert crops["persistence_ha"] == "0.03"
    data = json.loads((tmp_path / "out" / "change.json").read_text())
    assert data["matrix_pixels"] == MATRIX3.tolist()
    assert data["per_class"]["water"]["net_pixels"] == 0  # 2 before, 2 after
    # every class keeps its total (net 0): all 3 changed pixels are swaps
    assert data["totals"]["pixels"] == {
        "total": 10,
        "unchanged": 7,
        "changed": 3,
        "net": 0,
        "swap": 3,
    }
    assert data["change_raster"]["code"] == "before * 3 + after"


def test_change_raster_codes_nodata_and_legend(pair3: tuple[Path, Path], tmp_path: Path) -> None:
    change_between(*pair3, tmp_path / "out")
    tif = tmp_path / "out" / "change.tif"
    with rasterio.open(tif) as src:
        codes = src.read(1)
        assert src.dtypes[0] == "uint8" and src.nodata == 255
        assert src.crs == rasterio.CRS.from_string(UTM) and src.transform == GRID
        cmap = src.colormap(1)
    expected = np.where((BEFORE3 == 255) | (AFTER3 == 255), 255, BEFORE3 * 3 + AFTER3)
    np.testing.assert_array_equal(codes, expected)
    legend = read_legend(tif)
    assert legend.names[1] == "urban → crops" and legend.names[8] == "water → water"
    assert cmap[1][:3] == (240, 220, 0)  # a change: the colour of the 'after' class
    assert max(cmap[0][:3]) - min(cmap[0][:3]) <= 64  # persistence: greyed
    assert cmap[255][3] == 0
    import xml.etree.ElementTree as ET

    entries = ET.parse(tmp_path / "out" / "change.qml").getroot().iter("paletteEntry")
    labels = {int(e.get("value", -1)): e.get("label") for e in entries}
    assert labels[1] == "urban → crops"  # opens in QGIS with the from-to names


def test_many_classes_use_uint16_codes(tmp_path: Path) -> None:
    names = [f"c{i}" for i in range(20)]
    before = write_map(tmp_path / "b.tif", np.array([[19, 0], [5, 255]]), names)
    after = write_map(tmp_path / "a.tif", np.array([[18, 0], [5, 3]]), names)
    change_between(before, after, tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "change.tif") as src:
        assert src.dtypes[0] == "uint16" and src.nodata == 65535
        np.testing.assert_array_equal(src.read(1), [[19 * 20 + 18, 0], [105, 65535]])
    assert change_dtype(15) == ("uint8", 255) and change_dtype(16) == ("uint16", 65535)
    assert len(change_legend(read_legend(before)).names) == 400


def test_blocks_stream_to_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    before = rng.integers(0, 3, (37, 29))
    after = np.where(rng.random((37, 29)) < 0.2, rng.integers(0, 3, (37, 29)), before)
    after[5:9, 3:7] = 255
    b, a = write_map(tmp_path / "b.tif", before), write_map(tmp_path / "a.tif", after)
    whole = change_between(b, a, tmp_path / "whole")
    monkeypatch.setattr(change_module, "BLOCK", 8)
    blocks = change_between(b, a, tmp_path / "blocks")
    np.testing.assert_array_equal(whole.pixels, blocks.pixels)
    valid = after != 255
    expected = np.zeros((3, 3), dtype=np.int64)
    np.add.at(expected, (before[valid], after[valid]), 1)
    np.testing.assert_array_equal(blocks.pixels, expected)
    with (
        rasterio.open(tmp_path / "whole" / "change.tif") as w,
        rasterio.open(tmp_path / "blocks" / "change.tif") as k,
    ):
        np.testing.assert_array_equal(w.read(1), k.read(1))


def test_geographic_maps_count_ground_hectares(tmp_path: Path) -> None:
    t = from_origin(10.0, 60.0, 0.001, 0.001)
    b = write_map(tmp_path / "b.tif", BEFORE3, crs="EPSG:4326", transform=t)
    a = write_map(tmp_path / "a.tif", AFTER3, crs="EPSG:4326", transform=t)
    result = change_between(b, a, tmp_path / "out")
    rows = row_pixel_areas(rasterio.CRS.from_epsg(4326), t, 4, 3, 0, 3) / 1e4
    expected = np.zeros((3, 3))
    for r in range(3):
        for c in range(4):
            if BEFORE3[r, c] != 255 and AFTER3[r, c] != 255:
                expected[BEFORE3[r, c], AFTER3[r, c]] += rows[r]
    assert result.hectares == pytest.approx(expected, rel=1e-12)


def test_maps_without_georeferencing_count_pixels_only(tmp_path: Path) -> None:
    b = write_map(tmp_path / "b.tif", BEFORE3, crs=None)
    a = write_map(tmp_path / "a.tif", AFTER3, crs=None)
    result = change_between(b, a, tmp_path / "out")
    assert result.hectares is None and result.unit == "pixels"
    np.testing.assert_array_equal(result.pixels, MATRIX3)
    assert not (tmp_path / "out" / "matrix_ha.csv").exists()
    assert (tmp_path / "out" / "change_flows.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("crs", "transform", "shape", "reason"),
    [
        ("EPSG:32634", GRID, (3, 4), "CRS EPSG:32633 vs EPSG:32634"),
        (UTM, GRID, (3, 5), "size 4x3 vs 5x3 px"),
        (UTM, from_origin(500_010.0, 4_000_030.0, 10, 10), (3, 4), "origin"),
        (UTM, from_origin(500_000.0, 4_000_030.0, 5, 5), (3, 4), "pixel size 10x10 vs 5x5"),
    ],
)
def test_different_grids_are_refused(
    tmp_path: Path, crs: str, transform: rasterio.Affine, shape: tuple[int, int], reason: str
) -> None:
    b = write_map(tmp_path / "b.tif", BEFORE3)
    a = write_map(tmp_path / "a.tif", np.zeros(shape), crs=crs, transform=transform)
    with pytest.raises(InputError) as e:
        change_between(b, a, tmp_path / "out")
    message = str(e.value)
    assert "\n" not in message and str(a) in message and str(b) in message
    assert reason in message and "--align" in message
    assert not (tmp_path / "out").exists()


def test_align_reprojects_after_onto_before(tmp_path: Path) -> None:
    # AFTER starts one pixel further east: its column c is BEFORE's column c + 1.
    shifted = from_origin(500_010.0, 4_000_030.0, 10, 10)
    after_on_before = np.array([[0, 1, 1, 1], [0, 0, 2, 1], [2, 0, 1, 2]])
    b = write_map(tmp_path / "b.tif", BEFORE3)
    a = write_map(tmp_path / "a.tif", after_on_before[:, 1:], transform=shifted)
    result = change_between(b, a, tmp_path / "out", align=True)
    assert result.aligned
    with rasterio.open(tmp_path / "out" / "change.tif") as src:
        codes = src.read(1)
    # Column 0 lies outside AFTER: nodata; the others are compared pixel for pixel.
    assert (codes[:, 0] == 255).all()
    expected = np.where(BEFORE3 == 255, 255, BEFORE3 * 3 + after_on_before)[:, 1:]
    np.testing.assert_array_equal(codes[:, 1:], expected)
    assert result.pixels.sum() == 8


def test_different_legends_are_refused(tmp_path: Path) -> None:
    b = write_map(tmp_path / "b.tif", BEFORE3)
    a = write_map(tmp_path / "a.tif", AFTER3, names=("urban", "crops", "lake"))
    with pytest.raises(InputError, match="classes differ.*lake"):
        change_between(b, a, tmp_path / "out")


def test_earlier_results_are_kept(pair3: tuple[Path, Path], tmp_path: Path) -> None:
    change_between(*pair3, tmp_path / "out")
    with pytest.raises(LandcoverError, match="--overwrite"):
        change_between(*pair3, tmp_path / "out")
    change_between(*pair3, tmp_path / "out", overwrite=True)


def test_change_stats_identities() -> None:
    m = np.array([[50.0, 5, 3], [2, 40, 8], [6, 1, 30]])
    s = change_stats(m)
    assert s.gain + s.loss == pytest.approx(np.abs(s.net) + s.swap)
    t = s.totals()
    assert t["changed"] == pytest.approx(t["net"] + t["swap"])
    assert t["total"] == pytest.approx(m.sum())
    assert s.gain == pytest.approx([8, 6, 11]) and s.loss == pytest.approx([8, 10, 7])


def test_figures_leave_out_absent_classes_and_survive_no_change() -> None:
    from landcover.viz.change import format_amount, plot_change_flows, present_classes

    m = np.array([[5.0, 0, 1], [0, 0, 0], [0, 0, 2]])
    assert present_classes(m) == [0, 2]
    assert present_classes(np.zeros((2, 2))) == [0, 1]
    assert [format_amount(v, "ha") for v in (1234.5, 12.34, 0.0123, 0)] == [
        "1,234",
        "12.3",
        "0.012",
        "0",
    ]
    assert format_amount(12.0, "pixels") == "12"
    fig = plot_change_flows(np.diag([3.0, 4.0]), TWO, COLORS[:2], "ha")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "nothing to show" in texts  # the changes-only panel of an unchanged map


def test_change_legend_lists_the_transitions_that_occur(
    pair3: tuple[Path, Path], tmp_path: Path
) -> None:
    import xml.etree.ElementTree as ET

    change_between(*pair3, tmp_path / "out")
    occurring = [0, 1, 4, 5, 6, 8]  # the non-zero cells of MATRIX3, by code b * 3 + a
    qml = ET.parse(tmp_path / "out" / "change.qml").getroot()
    assert [int(e.get("value", -1)) for e in qml.iter("paletteEntry")] == occurring
    aux = ET.parse(tmp_path / "out" / "change.tif.aux.xml").getroot()
    rows = aux.findall(".//GDALRasterAttributeTable/Row")
    assert [int(r.findall("F")[0].text or -1) for r in rows] == occurring
    assert [r.findall("F")[1].text for r in rows][:2] == ["urban → urban", "urban → crops"]
    assert len(aux.findall(".//CategoryNames/Category")) == 9  # every code stays named
    assert len(read_legend(tmp_path / "out" / "change.tif").names) == 9


def test_persistence_and_change_colours_are_distinct() -> None:
    from landcover.io.legend import legend_of_schema
    from landcover.schema import DEEPGLOBE

    codes = change_legend(legend_of_schema(DEEPGLOBE))
    k = DEEPGLOBE.num_classes
    colors = codes.colors.astype(float).reshape(k, k, 3)
    same = [colors[i, i] for i in range(k)]
    changed = [colors[b, a] for b in range(k) for a in range(k) if a != b]
    nearest = min(float(np.linalg.norm(p - c)) for p in same for c in changed)
    assert nearest > 100  # barren → barren is no longer near-white like "→ barren"
    barren = DEEPGLOBE.classes.index("barren_land")
    assert colors[barren, barren].tolist() != colors[0, barren].tolist()


def test_a_large_change_raster_has_overviews(tmp_path: Path) -> None:
    labels = np.zeros((600, 520), dtype=np.uint8)
    labels[:, 260:] = 1
    before = write_map(tmp_path / "b.tif", labels)
    after = write_map(tmp_path / "a.tif", np.ones_like(labels))
    change_between(before, after, tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "change.tif") as src:
        assert src.overviews(1) == [2]  # down to a 256-px shorter side
        half = src.read(1, out_shape=(300, 260))
    assert set(np.unique(half[:, :128])) == {1} and set(np.unique(half[:, 132:])) == {4}
