"""VRT mosaics: one per CRS, the union of the scenes, each scene's pixels at its place."""

from __future__ import annotations

import logging
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from landcover.batch.mosaic import build_vrt, find_class_rasters
from landcover.errors import LandcoverError
from landcover.io.legend import read_legend
from landcover.schema import DEEPGLOBE
from tests.batch.class_rasters import UTM, make_run, pattern, write_class_raster


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    folder = tmp_path / "run"
    return folder, make_run(folder)


def test_one_mosaic_per_crs_and_rasters_without_crs_left_out(
    run: tuple[Path, dict[str, np.ndarray]], caplog: pytest.LogCaptureFixture
) -> None:
    folder, _ = run
    with caplog.at_level(logging.WARNING):
        vrts = build_vrt(folder)
    assert [v.name for v in vrts] == ["mosaic_32633.vrt", "mosaic_4326.vrt"]
    assert "nocrs_classes.tif: no CRS; left out of the mosaics" in caplog.text
    assert "nocrs_classes.tif" not in "".join(v.read_text() for v in vrts)


def test_utm_mosaic_is_the_union_with_each_scene_in_place(
    run: tuple[Path, dict[str, np.ndarray]],
) -> None:
    folder, labels = run
    vrt = build_vrt(folder)[0]
    with rasterio.open(vrt) as src:
        assert src.crs == UTM
        assert (src.width, src.height) == (70, 35)  # a: cols 0-39, rows 0-29; b: 50-69, 10-34
        assert src.transform == from_origin(500000, 5000400, 10, 10)
        assert src.nodata == 255 and src.dtypes[0] == "uint8"
        assert src.colorinterp[0] == rasterio.enums.ColorInterp.palette
        assert src.colormap(1)[0] == (*map(int, DEEPGLOBE.palette[0]), 255)
        mosaic = src.read(1)
    expected = np.full((35, 70), 255, np.uint8)
    expected[0:30, 0:40] = labels["a"]
    expected[10:35, 50:70] = labels["b"]
    assert np.array_equal(mosaic, expected)
    legend = read_legend(vrt)  # the legend travels in the VRT's tags
    assert legend.schema == "deepglobe" and legend.names == DEEPGLOBE.classes


def test_geographic_mosaic_and_relative_paths(
    run: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    folder, labels = run
    build_vrt(folder)
    moved = tmp_path / "moved"
    shutil.copytree(folder, moved)  # relative source paths: the folder can move
    shutil.rmtree(folder)
    with rasterio.open(moved / "mosaic_4326.vrt") as src:
        assert src.crs == "EPSG:4326"
        assert src.transform.almost_equals(from_origin(15.0, 45.0, 0.0001, 0.0001))
        assert np.array_equal(src.read(1), labels["c"])
    names = ET.parse(moved / "mosaic_32633.vrt").getroot().iter("SourceFilename")
    assert [(n.text, n.get("relativeToVRT")) for n in names] == [
        ("a_classes.tif", "1"),
        ("b_classes.tif", "1"),
    ]


def test_overlap_keeps_classes_under_nodata(tmp_path: Path) -> None:
    under = np.full((4, 4), 3, np.uint8)
    over = np.full((4, 4), 5, np.uint8)
    over[:, :2] = 255  # the left half of the later raster is nodata: the earlier shows through
    write_class_raster(tmp_path / "a_classes.tif", under, UTM, from_origin(0, 40, 10, 10))
    write_class_raster(tmp_path / "b_classes.tif", over, UTM, from_origin(0, 40, 10, 10))
    out = tmp_path / "out"
    out.mkdir()
    vrt = build_vrt(find_class_rasters(tmp_path), out)[0]
    with rasterio.open(vrt) as src:
        got = src.read(1)
    assert got[:, :2].tolist() == [[3, 3]] * 4 and got[:, 2:].tolist() == [[5, 5]] * 4
    assert '"1">../a_classes.tif<' in vrt.read_text()  # relative to the VRT's folder


def test_pixel_sizes_differing_give_one_mosaic_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_class_raster(
        tmp_path / "a_classes.tif", pattern(4, 4, 0), UTM, from_origin(0, 40, 10, 10)
    )
    write_class_raster(tmp_path / "b_classes.tif", pattern(4, 4, 1), UTM, from_origin(0, 40, 5, 5))
    with caplog.at_level(logging.WARNING):
        vrts = build_vrt(tmp_path)
    assert [v.name for v in vrts] == ["mosaic_32633_10x10.vrt", "mosaic_32633_5x5.vrt"]
    assert "2 pixel sizes" in caplog.text
    with rasterio.open(vrts[1]) as src:
        assert src.res == (5.0, 5.0) and np.array_equal(src.read(1), pattern(4, 4, 1))


def test_refusals(run: tuple[Path, dict[str, np.ndarray]], tmp_path: Path) -> None:
    folder, _ = run
    build_vrt(folder)
    with pytest.raises(LandcoverError, match="already exists"):
        build_vrt(folder)
    build_vrt(folder, overwrite=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LandcoverError, match="no class rasters"):
        build_vrt(empty)
    with pytest.raises(LandcoverError, match="none of the class rasters"):
        build_vrt([folder / "nocrs_classes.tif"], empty)


def test_the_mosaic_colour_table_holds_the_classes_only_and_gets_a_qml(
    run: tuple[Path, dict[str, np.ndarray]],
) -> None:
    folder, _ = run
    vrt = build_vrt(folder)[0]
    entries = ET.parse(vrt).getroot().findall("./VRTRasterBand/ColorTable/Entry")
    assert len(entries) == len(DEEPGLOBE.classes) == 7  # not 256 legend rows in QGIS
    assert [int(entries[1].get(c)) for c in ("c1", "c2", "c3")] == list(DEEPGLOBE.palette[1])
    qml = ET.parse(vrt.with_suffix(".qml")).getroot()
    palette = qml.findall(".//rasterrenderer[@type='paletted']/colorPalette/paletteEntry")
    assert [e.get("label") for e in palette] == list(DEEPGLOBE.classes)
    assert [e.get("value") for e in palette] == [str(v) for v in range(7)]
    with rasterio.open(vrt) as src:
        assert src.colormap(1)[6] == (*map(int, DEEPGLOBE.palette[6]), 255)
