"""Inputs as users have them (issue 16): no GSD, degrees, coarse scenes, chips, same names,
single bands, decompression bombs, CPU classes. Everything is made here by code."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

from landcover.batch.runner import predict_paths
from landcover.batch.scene import predict_file
from landcover.cli import main
from landcover.inference.cpu import cpu_class, default_precision, int8_is_fast
from landcover.inference.engine import predict_model_grid
from landcover.inference.gsd import Gsd
from landcover.inference.options import PredictOptions
from landcover.inference.predict import output_stems
from tests.inference.conftest import IdentityPredictor, K, coded_image, write_geotiff

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

ZEN2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
ZEN4 = ZEN2 | {"avx512f", "avx512bw", "avx512_vnni", "avx512_bf16"}
SAPPHIRE = ZEN4 | {"amx_tile", "amx_int8", "amx_bf16"}
ALDER = ZEN2 | {"avx_vnni"}


class FlexiblePredictor(IdentityPredictor):
    """The identity model with a graph that takes any input side (like the runtime files)."""

    flexible = True

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        assert x.shape[2] % 32 == 0 and x.shape[3] % 32 == 0, x.shape
        self.calls.append(x.shape)
        labels = np.rint(x[:, 0] * 255.0).astype(np.int64) % K
        return np.ascontiguousarray(np.moveaxis(np.eye(K, dtype=np.float32)[labels], -1, 1))


@pytest.mark.parametrize(
    ("flags", "name", "precision"),
    [
        (ZEN2, "avx2", "fp32"),
        (ZEN4, "avx512-vnni", "int8"),
        (SAPPHIRE, "amx", "int8"),
        (ALDER, "avx-vnni", "int8"),
        (frozenset(), "other", "fp32"),
    ],
)
def test_int8_only_where_the_cpu_has_vnni_or_amx(flags, name, precision, monkeypatch) -> None:
    monkeypatch.delenv("LANDCOVER_PRECISION", raising=False)
    assert cpu_class(flags) == name
    assert int8_is_fast(flags) is (precision == "int8")
    assert default_precision(flags) == precision
    monkeypatch.setenv("LANDCOVER_PRECISION", "fp32")
    assert default_precision(SAPPHIRE) == "fp32"


def test_bundled_precision_choice_and_errors(tmp_path: Path) -> None:
    from landcover.errors import LandcoverError
    from landcover.inference.predictor import load_predictor
    from tests.inference.conftest import make_onnx

    assert load_predictor(precision="fp32").path.name == "deepglobe-fpn-lite0-fp32.onnx"
    assert load_predictor(precision="int8").path.name == "deepglobe-fpn-lite0-int8.onnx"
    with pytest.raises(LandcoverError, match="bf16 is for checkpoints"):
        load_predictor(precision="bf16")
    with pytest.raises(LandcoverError, match="runs in the precision it was exported in"):
        load_predictor(make_onnx(tmp_path / "m.onnx"), precision="int8")


def test_small_image_costs_its_own_pixels_on_a_flexible_graph() -> None:
    image = coded_image(500, 300)
    flexible, fixed = FlexiblePredictor(tile_size=1024), IdentityPredictor(tile_size=1024)
    for predictor in (flexible, fixed):
        probs = predict_model_grid(predictor, image)
        np.testing.assert_array_equal(probs.argmax(0), image[..., 0] % K)
    assert flexible.calls == [(1, 3, 512, 320)]  # rounded up to 32, not padded to 1024
    assert fixed.calls == [(1, 3, 1024, 1024)]


def test_image_slightly_over_a_tile_is_one_window_on_a_flexible_graph() -> None:
    # 1118 px (a 2448² tile at an estimated 0.546 m for a 1.195 m model): one 1120² window;
    # 1281 px (over 1.25 tiles): the blended 1024² windows.
    for side, calls in ((1118, [(1, 3, 1120, 1120)]), (1281, [(1, 3, 1024, 1024)] * 4)):
        predictor = FlexiblePredictor(tile_size=1024)
        image = coded_image(side, side)
        probs = predict_model_grid(predictor, image)
        np.testing.assert_array_equal(probs.argmax(0), image[..., 0] % K)
        assert predictor.calls == calls


def test_same_file_names_from_two_folders_keep_distinct_outputs(tmp_path: Path) -> None:
    files = []
    for folder, seed in (("a", 0), ("b", 1)):
        (tmp_path / folder).mkdir()
        files.append(tmp_path / folder / "scene.png")
        Image.fromarray(coded_image(40, 40, seed)).save(files[-1])
    other = tmp_path / "a" / "scene.jpg"
    Image.fromarray(coded_image(40, 40, 2)).save(other)
    assert output_stems([*files, other]) == {
        files[0]: "a_scene_png",
        files[1]: "b_scene",
        other: "a_scene_jpg",
    }
    out = tmp_path / "out"
    options = PredictOptions(estimate=False)
    result = predict_paths(IdentityPredictor(), [*files, other], out, options, progress=False)
    assert not result.failures
    for stem, src in (("a_scene_png", files[0]), ("b_scene", files[1])):
        with rasterio.open(out / f"{stem}_classes.tif") as f:
            np.testing.assert_array_equal(f.read(1), np.asarray(Image.open(src))[..., 0] % K)
    with open(out / "areas.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["output"] for r in rows} == {"a_scene_png", "b_scene", "a_scene_jpg"}
    assert {r["image"] for r in rows} == {str(files[0]), str(files[1]), str(other)}
    assert len(rows) == 3 * K


def _degrees_tiff(path: Path, lat: float, pixel_deg: float, size: int = 64) -> Path:
    data = np.moveaxis(coded_image(size, size), -1, 0)
    return write_geotiff(
        path, data, crs="EPSG:4326", transform=from_origin(10.0, lat, pixel_deg, pixel_deg)
    )


def test_geographic_crs_gives_ground_gsd_and_true_hectares(tmp_path: Path) -> None:
    pixel = 1e-5  # degrees; the scene spans 60.0 N down to 59.99936 N
    src = _degrees_tiff(tmp_path / "deg.tif", 60.0, pixel)
    scene = predict_file(IdentityPredictor(gsd_m=1.0), src, tmp_path, progress=False)
    # By hand, WGS84 at 60 N: a degree of latitude is 111.412 km, of longitude 55.800 km.
    assert scene.gsd.source == "georeferencing"
    assert scene.gsd_m == pytest.approx((111_412 + 55_800) / 2 * pixel, rel=2e-3)
    area_m2 = 111_412 * pixel * 55_800 * pixel  # one pixel, about 0.62 m2
    ha = sum(c["hectares"] for c in scene.areas["classes"])
    assert ha == pytest.approx(64 * 64 * area_m2 / 10_000, rel=2e-3)
    assert "georeferencing" in scene.areas["hectares_from"]
    equator = predict_file(
        IdentityPredictor(gsd_m=1.0),
        _degrees_tiff(tmp_path / "eq.tif", 0.0, pixel),
        tmp_path,
        progress=False,
    )
    ratio = ha / sum(c["hectares"] for c in equator.areas["classes"])
    # Degrees of longitude shrink (55.800 / 111.320 km), of latitude grow (111.412 / 110.574).
    assert ratio == pytest.approx(55_800 * 111_412 / (111_320 * 110_574), rel=1e-3)


def test_coarse_scene_warns_and_is_not_upsampled(tmp_path: Path, caplog) -> None:
    from rasterio import Affine

    data = np.moveaxis(coded_image(64, 96), -1, 0)
    src = write_geotiff(tmp_path / "s2.tif", data, transform=Affine(10, 0, 5e5, 0, -10, 4e6))
    predictor = IdentityPredictor(gsd_m=1.2)
    with caplog.at_level(logging.WARNING):
        scene = predict_file(predictor, src, tmp_path, progress=False)
    assert f"{src} (georeferencing GSD): its GSD, 10 m, is 8.3x coarser" in caplog.text
    pixels_seen = sum(n * h * w for n, _, h, w in predictor.calls)
    assert pixels_seen <= 4 * 64 * 96  # windows over its own pixels, not 70x as many
    with rasterio.open(tmp_path / "s2_classes.tif") as f:
        np.testing.assert_array_equal(f.read(1), data[0] % K)
    assert scene.areas["classes"][0]["hectares"] is not None


def test_fine_input_is_still_downsampled(tmp_path: Path) -> None:
    from rasterio import Affine

    data = np.moveaxis(coded_image(320, 320), -1, 0)
    src = write_geotiff(tmp_path / "drone.tif", data, transform=Affine(0.1, 0, 5e5, 0, -0.1, 4e6))
    predictor = FlexiblePredictor(gsd_m=1.0, tile_size=64)
    predict_file(predictor, src, tmp_path, progress=False)
    assert predictor.calls == [(1, 3, 32, 32)]  # 320 px at 0.1 m is 32 px at 1 m


def test_single_band_raster_warns_naming_the_file(tmp_path: Path, caplog) -> None:
    src = write_geotiff(tmp_path / "pan.tif", coded_image(40, 40)[None, ..., 0])
    with caplog.at_level(logging.WARNING):
        predict_file(
            IdentityPredictor(), src, tmp_path, PredictOptions(estimate=False), progress=False
        )
    assert f"{src}: single band (greyscale): the model expects RGB" in caplog.text


def _bomb(path: Path, side: int = 60000) -> Path:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = side.to_bytes(2, "big") * 2  # header claims side x side
    path.write_bytes(bytes(data))
    return path


def test_decompression_bomb_is_a_one_line_error(tmp_path: Path, capsys, tiny_onnx) -> None:
    bomb = _bomb(tmp_path / "huge.jpg")
    out = tmp_path / "out"
    assert main(["-q", "predict", "--model", str(tiny_onnx), str(bomb), "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert f"{bomb}: picture of 3600000000 pixels is too large to decode whole" in printed.out
    assert "Traceback" not in printed.err + printed.out


def test_sample_scene_maps_and_its_gsd_is_estimated(tmp_path: Path, tiny_onnx, capsys) -> None:
    out = tmp_path / "out"
    assert main(["-q", "predict", "--model", str(tiny_onnx), "--sample", "--out", str(out)]) == 0
    areas = json.loads((out / "deepglobe_sample_areas.json").read_text())
    assert areas["gsd_source"] == "estimated" and areas["hectares_estimated"] is True
    assert areas["valid_pixels"] == 1224 * 1224
    assert main(["-q", "predict", "--model", str(tiny_onnx), "--out", str(tmp_path / "x")]) == 2
    assert "give an image or folder to map (or --sample" in capsys.readouterr().err


def test_given_gsd_must_be_positive(tmp_path: Path, tiny_onnx, capsys) -> None:
    img = tmp_path / "a.png"
    Image.fromarray(coded_image(20, 20)).save(img)
    with pytest.raises(SystemExit):
        main(["predict", "--model", str(tiny_onnx), str(img), "--out", "o", "--gsd", "0"])
    assert "must be a positive number of metres" in capsys.readouterr().err


def test_evaluate_scores_exactly_the_labels_predict_writes(tmp_path: Path) -> None:
    """One prediction path: at 0.5 m for a 1 m model both resample; the matrices are equal."""
    from landcover.data.pairs import find_pairs
    from landcover.evaluation.evaluate import evaluate_pairs
    from landcover.evaluation.metrics import confusion_matrix
    from landcover.schema import DEEPGLOBE

    data = tmp_path / "data"
    data.mkdir()
    image = coded_image(90, 70, seed=3)
    Image.fromarray(image).save(data / "x_sat.png")
    truth = (np.arange(90 * 70).reshape(90, 70) // 7 % 6).astype(np.uint8)
    Image.fromarray(DEEPGLOBE.palette[truth]).save(data / "x_mask.png")
    predictor = FlexiblePredictor(gsd_m=1.0, tile_size=64)
    (tmp_path / "p").mkdir()
    predict_file(
        predictor, data / "x_sat.png", tmp_path / "p", PredictOptions(gsd_m=0.5), progress=False
    )
    with rasterio.open(tmp_path / "p" / "x_sat_classes.tif") as f:
        written = f.read(1)
    assert not np.array_equal(written, image[..., 0] % K)  # resampled: not the identity
    result = evaluate_pairs(
        predictor, find_pairs(data).pairs, tmp_path / "e", gsd_m=0.5, gallery=0, progress=False
    )
    expected = confusion_matrix(truth, written, K, DEEPGLOBE.ignore_index)
    np.testing.assert_array_equal(result.confusion, expected)


def test_predict_array_takes_channels_first_as_rasterio_reads_them() -> None:
    from landcover.errors import InputError
    from landcover.inference.engine import predict_array

    image = coded_image(40, 50)
    predictor = FlexiblePredictor()
    hwc = predict_array(predictor, image)
    np.testing.assert_array_equal(predict_array(predictor, np.moveaxis(image, -1, 0)), hwc)
    with pytest.raises(InputError, match=r"expected an \(H, W, 3\) or \(3, H, W\) uint8"):
        predict_array(predictor, image[..., :2])


def test_an_estimated_gsd_never_upsamples(tmp_path: Path, monkeypatch) -> None:
    """Upsampling costs the square of the factor, and an estimate can be 2x off."""
    import landcover.inference.predict as predict_module

    estimate = Gsd(1.8, "estimated", (1.5, 2.2))
    monkeypatch.setattr(predict_module, "estimate_scene_gsd", lambda name, read, h, w: estimate)
    img = tmp_path / "plain.png"
    Image.fromarray(coded_image(64, 64)).save(img)
    predictor = FlexiblePredictor(gsd_m=1.0, tile_size=256)
    scene = predict_file(predictor, img, tmp_path, progress=False)
    assert scene.gsd.source == "estimated" and scene.gsd_m == 1.8
    assert predictor.calls == [(1, 3, 64, 64)]  # its own pixels, not 1.8x as many a side
    areas = json.loads((tmp_path / "plain_areas.json").read_text())
    assert (areas["gsd_m"], areas["gsd_source"]) == (1.8, "estimated")
    assert areas["gsd_interval_m"] == [1.5, 2.2] and areas["hectares_estimated"]
    given = FlexiblePredictor(gsd_m=1.0, tile_size=256)
    predict_file(given, img, tmp_path, PredictOptions(gsd_m=1.8), progress=False, stem="g")
    assert given.calls == [(1, 3, 128, 128)]  # a given GSD is trusted: 115 px, rounded to 32
