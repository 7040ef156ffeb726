"""The run report's files, without a browser: what the map viewer is given must be right.

The run folder is :mod:`tests.report.synthetic`'s (known blocks, hectares and confidence).
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from landcover.errors import InputError, LandcoverError, LandcoverIOError
from landcover.report import layers, write_report, write_run_report
from landcover.report.assets import ASSETS_DIR
from landcover.report.html import url
from landcover.schema import DEEPGLOBE
from tests.report.synthetic import GSD, ORIGIN, PLAIN, geo_labels, plain_labels, write_run


def report_data(run: Path) -> dict[str, Any]:
    """``window.LANDCOVER_REPORT`` as written in ``report-data.js``."""
    text = (run / ASSETS_DIR / "report-data.js").read_text(encoding="utf-8")
    prefix = "window.LANDCOVER_REPORT = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix) : -2])


def scene_data(run: Path, index: int) -> dict[str, Any]:
    """The argument given to ``landcoverSceneData`` in ``scene-NNN.js``."""
    text = (run / ASSETS_DIR / f"scene-{index:03d}.js").read_text(encoding="utf-8")
    prefix = f"window.landcoverSceneData({index}, "
    assert text.startswith(prefix) and text.endswith(");\n")
    return json.loads(text[len(prefix) : -3])


def decode(raster: dict[str, Any]) -> np.ndarray:
    """An embedded raster back to its array (what the page's decodeRaster does)."""
    raw = zlib.decompress(base64.b64decode(raster["data"]))
    return np.frombuffer(raw, np.uint8).reshape(raster["height"], raster["width"])


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return write_run(tmp_path)


def test_page_assets_and_scene_grids(run: Path) -> None:
    page = write_run_report(run, model="tiny.onnx (fp32)", progress=False)
    assert page == run / "index.html"
    for name in ("report.js", "report.css", "LICENSE-openlayers.txt", "report-data.js"):
        assert (run / ASSETS_DIR / name).is_file()
    geo, plain = report_data(run)["scenes"]
    assert geo["crs"]["code"] == "EPSG:32633" and geo["crs"]["units"] == "m"
    assert geo["extent"] == [ORIGIN[0], ORIGIN[1] - 20 * GSD, ORIGIN[0] + 40 * GSD, ORIGIN[1]]
    assert geo["preview"] == [40, 20] and geo["step"] == 1
    assert geo["classes_url"] == "geo_color.png" and geo["image_url"].endswith("-image.jpg")
    assert plain["crs"]["units"] == "pixels" and plain["extent"] == [0.0, -16.0, 30.0, 0.0]
    assert (
        plain["classes_url"] == url(f"{PLAIN}_color.png") == "plain%20sc%C3%A8ne%20%232_color.png"
    )
    html = page.read_text(encoding="utf-8")
    assert "tiny.onnx (fp32)" in html and "2 (1 georeferenced)" in html


def test_embedded_rasters_are_the_class_map_and_confidence(run: Path) -> None:
    write_run_report(run, progress=False)
    geo, plain = scene_data(run, 0), scene_data(run, 1)
    np.testing.assert_array_equal(decode(geo["labels"]), geo_labels())
    np.testing.assert_array_equal(decode(plain["labels"]), plain_labels())
    conf = decode(geo["confidence"])
    assert (conf[:, :20] == 230).all() and (conf[:, 20:] == 120).all()
    assert plain["confidence"] is None and plain["polygons"] is None
    doubt = np.asarray(Image.open(run / ASSETS_DIR / "scene-000-doubt.png"))
    assert doubt[0, 0, 3] == 255 - 230 and doubt[0, 39, 3] == 255 - 120


def test_legend_and_totals_carry_the_area_tables(run: Path) -> None:
    write_run_report(run, progress=False)
    geo = report_data(run)["scenes"][0]
    legend = {e["name"]: e for e in geo["legend"]}
    assert [e["name"] for e in geo["legend"]] == list(DEEPGLOBE.classes)
    assert legend["agriculture_land"]["hectares"] == pytest.approx(2.4)
    assert legend["forest_land"]["hectares"] == pytest.approx(1.6)
    assert legend["water"]["color"] == [0, 0, 255] and legend["water"]["pixels"] == 400
    html = (run / "index.html").read_text(encoding="utf-8")
    # totals over the run: 8 ha in geo; the plain scene has no GSD, so only its pixels count
    assert "8.00 ha (not counting 1 scene with no known GSD)" in html
    assert 'data-sort="4.0">4.00</td>' in html  # water's hectares in the totals table
    assert "Class shares of the pixels" in html


def test_polygons_in_the_scene_crs(run: Path) -> None:
    pytest.importorskip("pyogrio")
    write_run_report(run, progress=False)
    polygons = scene_data(run, 0)["polygons"]
    assert [f["properties"]["_class"] for f in polygons["features"]] == [1, 3, 4]
    assert [f["properties"]["_ha"] for f in polygons["features"]] == [2.4, 1.6, 4.0]
    ring = np.array(polygons["features"][2]["geometry"]["coordinates"][0])
    assert ring[:, 0].min() == ORIGIN[0] + 200 and ring[:, 1].max() == ORIGIN[1]
    assert report_data(run)["scenes"][0]["has_polygons"] is True


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_polygons_of_a_raster_without_georeferencing_are_flipped(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio")
    import pyogrio.raw
    import shapely

    run = write_run(tmp_path, extras=False)
    box = shapely.box(2, 8, 30, 16)  # the barren block in (column, row), as GDAL gives it
    geoms = shapely.to_wkb(np.array([box], dtype=object))
    fields = [np.array(["barren_land"], dtype=object)]
    path = run / f"{PLAIN}_polygons.gpkg"
    pyogrio.raw.write(path, geoms, fields, ["class_name"], driver="GPKG", geometry_type="Polygon")
    write_run_report(run, progress=False)
    feature = scene_data(run, 1)["polygons"]["features"][0]
    ring = np.array(feature["geometry"]["coordinates"][0])
    assert feature["properties"]["_class"] == 5
    assert ring[:, 1].min() == -16 and ring[:, 1].max() == -8


def test_overlay_is_the_base_when_the_input_image_is_gone(run: Path) -> None:
    (run.parent / "geo_input.png").unlink()
    write_run_report(run, progress=False)
    geo = report_data(run)["scenes"][0]
    assert geo["image_url"] == "geo_overlay.jpg" and "overlay" in geo["base_note"]


def test_class_layer_drawn_from_the_raster_when_the_png_is_missing(run: Path) -> None:
    (run / "geo_color.png").unlink()
    write_run_report(run, progress=False)
    geo = report_data(run)["scenes"][0]
    assert geo["classes_url"] == f"{ASSETS_DIR}/scene-000-classes.png"
    drawn = np.asarray(Image.open(run / ASSETS_DIR / "scene-000-classes.png").convert("RGB"))
    np.testing.assert_array_equal(drawn, DEEPGLOBE.decode(geo_labels()))


def test_large_rasters_are_decimated_as_predict_does(run: Path, monkeypatch) -> None:
    monkeypatch.setattr(layers, "PREVIEW_MAX", 16)  # a 40-px raster then takes every 3rd pixel
    monkeypatch.setattr(layers, "STRIP_ROWS", 4)  # and is read in strips of 3 rows
    write_run_report(run, progress=False)
    geo = report_data(run)["scenes"][0]
    assert geo["step"] == 3 and geo["preview"] == [14, 7]
    assert geo["extent"] == [ORIGIN[0], ORIGIN[1] - 21 * GSD, ORIGIN[0] + 42 * GSD, ORIGIN[1]]
    np.testing.assert_array_equal(decode(scene_data(run, 0)["labels"]), geo_labels()[::3, ::3])
    assert decode(scene_data(run, 0)["confidence"]).shape == (7, 14)


def test_confidence_on_another_grid_is_left_out(run: Path, caplog) -> None:
    from tests.report.synthetic import write_tif

    write_tif(run / "geo_confidence.tif", np.zeros((5, 5), np.uint8), georef=True, classes=False)
    with caplog.at_level(logging.WARNING):
        write_run_report(run, progress=False)
    assert scene_data(run, 0)["confidence"] is None and "confidence not shown" in caplog.text


def test_refusals(run: Path, tmp_path: Path) -> None:
    write_run_report(run, progress=False)
    with pytest.raises(LandcoverError, match="--overwrite"):
        write_run_report(run, progress=False)
    assert write_report(run, overwrite=True, progress=False) == run / "index.html"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="not a 'landcover predict' output folder"):
        write_run_report(empty)
    gone = tmp_path / "missing"
    with pytest.raises(LandcoverIOError, match="no such folder") as missing:
        write_run_report(gone)
    assert isinstance(missing.value, OSError) and missing.value.filename == str(gone)


def test_scenes_of_an_earlier_run_in_the_folder_are_left_out(tmp_path: Path) -> None:
    import shutil

    run = write_run(tmp_path, extras=False)
    shutil.copy(run / "geo_classes.tif", run / "old_classes.tif")  # not in areas.csv
    write_run_report(run, progress=False)
    assert [s["stem"] for s in report_data(run)["scenes"]] == ["geo", PLAIN]
    (run / "areas.csv").unlink()  # without the run's table: every class raster
    write_run_report(run, overwrite=True, progress=False)
    assert [s["stem"] for s in report_data(run)["scenes"]] == ["geo", "old", PLAIN]


def test_model_recorded_by_a_resumable_run_is_named(tmp_path: Path) -> None:
    import json

    from landcover.report.run_report import recorded_model

    assert recorded_model(tmp_path) is None
    (tmp_path / ".landcover").mkdir()
    fp = {"model_file": "m.onnx", "options": {"precision": "fp32"}}
    (tmp_path / ".landcover" / "run.json").write_text(json.dumps({"fingerprint": fp}))
    assert recorded_model(tmp_path) == "m.onnx (fp32)"


def test_one_scene_is_said_in_the_singular(run: Path) -> None:
    for path in run.glob(f"{PLAIN}_*"):
        path.unlink()
    html = write_run_report(run, progress=False).read_text(encoding="utf-8")
    assert "1 scene mapped by landcover" in html and "1 scenes" not in html
