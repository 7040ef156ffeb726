"""int8 export: calibration tiles, metadata and graph kept, predictions close to float."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.cli import main
from landcover.errors import LandcoverError
from landcover.export.quantize import calibration_tiles, pick_images, quantize_onnx
from landcover.inference.engine import normalise, predict_array
from landcover.inference.predictor import load_predictor
from tests.inference.conftest import TINY_META, K

onnx = pytest.importorskip("onnx")
pytest.importorskip("torch")


def scene(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth image with blobs: structured input, unlike noise, as imagery is."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    out = np.zeros((height, width, 3), np.float64)
    for c in range(3):
        for _ in range(4):
            cy, cx, r = rng.random(3) * (1, 1, 0.3) + (0, 0, 0.1)
            out[..., c] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / r**2)
    return np.clip(out / out.max() * 255, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def calib_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("calib")
    for i in range(5):
        Image.fromarray(scene(48, 40, i)).save(folder / f"s{i}_sat.png")
    Image.fromarray(np.zeros((48, 40, 3), np.uint8)).save(folder / "s0_mask.png")
    return folder


@pytest.fixture(scope="module")
def int8_model(tiny_checkpoint: Path, calib_dir: Path) -> Path:
    out = tiny_checkpoint.parent / "tiny int8.onnx"
    rc = main(
        [
            "export",
            str(tiny_checkpoint),
            "--onnx",
            str(out),
            "--int8",
            str(calib_dir),
            "--calibration-count",
            "4",
        ]
    )
    assert rc == 0
    return out


def test_pick_images_skips_masks_and_draws_count(calib_dir: Path) -> None:
    picked = pick_images([calib_dir], count=3)
    assert len(picked) == 3 and all(p.name.endswith("_sat.png") for p in picked)
    assert picked == pick_images([calib_dir], count=3)  # seeded
    assert len(pick_images([calib_dir], count=50)) == 5
    with pytest.raises(LandcoverError, match="at least 1"):
        pick_images([calib_dir], count=0)


def test_calibration_tiles_resample_then_crop_or_pad(tmp_path: Path) -> None:
    image = scene(96, 40, 1)
    path = tmp_path / "a.png"
    Image.fromarray(image).save(path)
    # 0.6 m -> the model's 1.2 m: 48 x 20, cropped to 32 rows, padded to 32 columns.
    (tile,) = calibration_tiles([path], TINY_META, gsd_m=0.6)
    assert tile.shape == (1, 3, 32, 32) and tile.dtype == np.float32
    assert tile.min() >= -1.0 and tile.max() <= 1.0  # mean = std = 0.5
    # At the model's GSD and exactly a tile: the tile is the normalised image itself.
    exact = tmp_path / "b.png"
    Image.fromarray(image[:32, :32]).save(exact)
    (tile,) = calibration_tiles([exact], TINY_META, gsd_m=1.2)
    np.testing.assert_array_equal(tile[0], normalise(image[:32, :32], TINY_META))


def test_int8_keeps_metadata_names_and_opset(int8_model: Path, tiny_checkpoint: Path) -> None:
    q = onnx.load(str(int8_model))
    fp32_path = tiny_checkpoint.parent / "fp32.onnx"
    assert main(["export", str(tiny_checkpoint), "--onnx", str(fp32_path), "--overwrite"]) == 0
    f = onnx.load(str(fp32_path))
    assert {p.key: p.value for p in q.metadata_props} == {p.key: p.value for p in f.metadata_props}
    assert json.loads({p.key: p.value for p in q.metadata_props}["model_type"]) == "Segmentor"
    assert [(o.domain, o.version) for o in q.opset_import] == [("", 17)]
    assert q.ir_version <= 8 and {n.domain for n in q.graph.node} == {""}
    assert [i.name for i in q.graph.input] == [i.name for i in f.graph.input]
    assert [o.name for o in q.graph.output] == [o.name for o in f.graph.output]
    ops = {n.op_type for n in q.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    int8_weights = [t for t in q.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert int8_weights  # weights stored as int8


def test_int8_predicts_like_float(int8_model: Path, tiny_checkpoint: Path) -> None:
    image = scene(64, 80, seed=11)
    p_float = predict_array(load_predictor(tiny_checkpoint), image)
    p_int8 = predict_array(load_predictor(int8_model), image)
    assert p_int8.shape == (K, 64, 80)
    np.testing.assert_allclose(p_int8.sum(axis=0), 1.0, atol=1e-3)
    assert (p_float.argmax(0) == p_int8.argmax(0)).mean() >= 0.9
    assert np.abs(p_float - p_int8).mean() < 0.02


def test_quantize_refusals(tiny_checkpoint: Path, int8_model: Path, tmp_path: Path) -> None:
    with pytest.raises(LandcoverError, match="already exists"):
        quantize_onnx(int8_model, int8_model, [tmp_path])
    with pytest.raises(LandcoverError, match="no calibration images"):
        quantize_onnx(int8_model, tmp_path / "x.onnx", [])
    with pytest.raises(LandcoverError, match="is a folder"):
        quantize_onnx(int8_model, tmp_path, [tmp_path])
    with pytest.raises(LandcoverError, match="output folder does not exist"):
        quantize_onnx(int8_model, tmp_path / "nope" / "x.onnx", [tmp_path])
