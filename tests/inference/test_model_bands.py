"""A model of 4 bands maps a 4-band input: its bands read, each normalised with its own mean/std."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcover.batch.scene import predict_file
from landcover.errors import InputError
from landcover.inference.engine import resize_image
from landcover.inference.onnx_meta import OPSET, deepness_metadata
from landcover.inference.options import PredictOptions
from landcover.inference.predictor import load_predictor
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE
from tests.helpers import require_onnx
from tests.inference.conftest import K, write_geotiff

FOUR = ModelMeta(
    "nir-picker",
    DEEPGLOBE,
    mean=(0.0, 0.0, 0.0, 0.5),
    std=(1.0, 1.0, 1.0, 0.5),
    gsd_m=2.0,
    tile_size=32,
    in_channels=4,
    bands=(1, 2, 3, 4),
)


def nir_onnx(path: Path) -> Path:
    """A 1x1 conv reading band 4 only: class 6 where it is 255, class 0 where it is 0."""
    onnx = require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    w = np.zeros((K, 4, 1, 1), dtype=np.float32)
    w[:, 3, 0, 0] = np.arange(K) - 3.0  # band 4 normalised to +1 -> class 6, -1 -> class 0
    s = FOUR.tile_size
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "nir",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4, s, s])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", K, s, s])],
        [numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    helper.set_model_props(model, deepness_metadata(FOUR))
    onnx.save(model, str(path))
    return path


def four_band_scene(path: Path, bands: int = 4) -> Path:
    """A 64 x 80 scene whose RGB is noise and whose band 4 is 255 left of column 40, else 0."""
    data = np.random.default_rng(0).integers(0, 256, (bands, 64, 80), dtype=np.uint8)
    if bands == 4:
        data[3] = 0
        data[3, :, :40] = 255
    return write_geotiff(path, data)


def test_a_four_band_model_maps_a_four_band_scene_from_its_fourth_band(tmp_path: Path) -> None:
    predictor = load_predictor(nir_onnx(tmp_path / "nir.onnx"))
    assert (predictor.meta.in_channels, predictor.meta.bands) == (4, (1, 2, 3, 4))
    scene = four_band_scene(tmp_path / "scene.tif")
    result = predict_file(predictor, scene, tmp_path, progress=False)
    with rasterio.open(tmp_path / "scene_classes.tif") as src:
        classes = src.read(1)
    expected = np.where(np.arange(80) < 40, 6, 0).astype(np.uint8)
    np.testing.assert_array_equal(classes, np.broadcast_to(expected, (64, 80)))
    assert (tmp_path / "scene_overlay.jpg") in result.outputs


def test_bands_by_name_pick_the_model_s_bands_in_another_order(tmp_path: Path) -> None:
    predictor = load_predictor(nir_onnx(tmp_path / "nir.onnx"))
    scene = four_band_scene(tmp_path / "scene.tif")
    with rasterio.open(scene, "r+") as dst:
        dst.descriptions = ("NIR", "Red", "Green", "Blue")
        nir = dst.read(4)
        dst.write(dst.read(1), 4)
        dst.write(nir, 1)
    options = PredictOptions(bands=("red", "GREEN", "blue", "nir"))
    predict_file(predictor, scene, tmp_path, options, progress=False)
    with rasterio.open(tmp_path / "scene_classes.tif") as src:
        assert (src.read(1)[:, :40] == 6).all() and (src.read(1)[:, 40:] == 0).all()


def test_a_three_band_input_is_refused_by_a_four_band_model(tmp_path: Path) -> None:
    predictor = load_predictor(nir_onnx(tmp_path / "nir.onnx"))
    rgb = four_band_scene(tmp_path / "rgb.tif", bands=3)
    with pytest.raises(InputError) as info:
        predict_file(predictor, rgb, tmp_path, progress=False)
    assert str(info.value) == (
        f"{rgb}: the model was trained on bands [1, 2, 3, 4] but the input has 3 band(s)"
    )
    assert not list(tmp_path.glob("rgb_*"))
    with pytest.raises(InputError, match=r"rgb.tif: --bands \[1, 2, 3\] does not name 4 of its"):
        predict_file(predictor, rgb, tmp_path, PredictOptions(bands=(1, 2, 3)), progress=False)


def test_four_bands_are_resized_band_by_band() -> None:
    image = np.zeros((4, 4, 4), dtype=np.uint8)
    image[..., 3] = 0  # a fourth band of 0 must not act as alpha and blank the others
    image[..., :3] = 200
    small = resize_image(image, 2, 2)
    assert small.shape == (2, 2, 4)
    assert (small[..., :3] == 200).all() and (small[..., 3] == 0).all()


def test_predict_array_takes_the_model_s_four_bands_as_rasterio_holds_them(tmp_path: Path) -> None:
    from landcover.inference.engine import predict_array

    predictor = load_predictor(nir_onnx(tmp_path / "nir.onnx"))
    image = np.zeros((4, 40, 40), dtype=np.uint8)
    image[3, :20] = 255
    labels = predict_array(predictor, image).argmax(axis=0)
    assert (labels[:20] == 6).all() and (labels[20:] == 0).all()
    with pytest.raises(InputError, match=r"expected an \(H, W, 4\) or \(4, H, W\) uint8 image"):
        predict_array(predictor, np.zeros((40, 40, 3), dtype=np.uint8))


def test_the_gsd_of_an_unreferenced_four_band_scene_is_estimated_from_its_rgb(
    tmp_path: Path,
) -> None:
    predictor = load_predictor(nir_onnx(tmp_path / "nir.onnx"))
    data = np.random.default_rng(0).integers(0, 256, (4, 64, 80), dtype=np.uint8)
    scene = write_geotiff(tmp_path / "plain.tif", data, crs=None)
    result = predict_file(predictor, scene, tmp_path, progress=False)
    assert result.gsd.source == "estimated"


def test_int8_calibration_reads_the_model_s_four_bands(tmp_path: Path) -> None:
    from landcover.export.quantize import calibration_tiles

    scene = four_band_scene(tmp_path / "scene.tif")
    (tile,) = calibration_tiles([scene], FOUR)
    assert tile.shape == (1, 4, 32, 32)
    assert set(np.unique(tile[0, 3])) <= {-1.0, 1.0}  # band 4 (0 or 255), its own mean/std


def test_evaluate_of_pairs_refuses_a_four_band_model_in_one_line(tmp_path: Path) -> None:
    from landcover.data.pairs import Pair
    from landcover.errors import LandcoverError
    from landcover.evaluation.evaluate import evaluate_pairs

    predictor = load_predictor(nir_onnx(tmp_path / "nir.onnx"))
    pair = Pair(tmp_path / "a.tif", tmp_path / "a.png", "a")
    with pytest.raises(LandcoverError) as info:
        evaluate_pairs(predictor, [pair], tmp_path / "out", model_name="nir.onnx")
    assert str(info.value) == (
        "nir.onnx reads 4 bands; image/mask pairs are read as RGB: evaluate it on a scene list"
    )


def test_cli_predict_takes_a_four_band_model_and_bands_by_name(tmp_path: Path, capsys) -> None:
    from landcover.cli import main

    model = str(nir_onnx(tmp_path / "nir.onnx"))
    scene = str(four_band_scene(tmp_path / "scene.tif"))
    with rasterio.open(scene, "r+") as dst:
        dst.descriptions = ("Red", "Green", "Blue", "NIR")
    args = ["predict", scene, "--model", model, "--bands"]
    assert main([*args, "red,green,blue,nir", "--out", str(tmp_path / "out")]) == 0
    with rasterio.open(tmp_path / "out" / "scene_classes.tif") as src:
        assert (src.read(1)[:, :40] == 6).all() and (src.read(1)[:, 40:] == 0).all()
    assert main([*args, "red,green,swir,nir", "--out", str(tmp_path / "bad")]) == 1
    assert (
        f"{scene}: --bands: no single band named 'swir'; its bands: 1 'Red', 2 'Green', "
        "3 'Blue', 4 'NIR'"
    ) in capsys.readouterr().out
