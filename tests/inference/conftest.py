"""Fixtures for prediction tests: an identity "model", a tiny ONNX file, GeoTIFF writers.

Everything is made here by code: the identity predictor returns the one-hot of the class
encoded in each pixel's red value (``red % K``), so any correct windowing, blending and
reassembly reproduces ``red % K`` exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from landcover.inference.onnx_meta import OPSET, deepness_metadata
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE
from tests.helpers import require_onnx

K = DEEPGLOBE.num_classes


class IdentityPredictor:
    """Returns one-hot of ``round(red * 255) % K`` (input normalised with mean 0, std 1)."""

    path: Path | None = None
    precision = "fp32"
    flexible = False

    def __init__(self, tile_size: int = 32, gsd_m: float | None = None) -> None:
        self.meta = ModelMeta(
            "identity",
            DEEPGLOBE,
            mean=(0.0, 0.0, 0.0),
            std=(1.0, 1.0, 1.0),
            gsd_m=gsd_m,
            tile_size=tile_size,
        )
        self.calls: list[tuple[int, ...]] = []

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        assert x.dtype == np.float32 and x.shape[1:] == (
            3,
            self.meta.tile_size,
            self.meta.tile_size,
        )
        self.calls.append(x.shape)
        labels = np.rint(x[:, 0] * 255.0).astype(np.int64) % K
        return np.ascontiguousarray(np.moveaxis(np.eye(K, dtype=np.float32)[labels], -1, 1))


TINY_META = ModelMeta(
    "seed-unet",
    DEEPGLOBE,
    mean=(0.5, 0.5, 0.5),
    std=(0.5, 0.5, 0.5),
    gsd_m=1.2,
    tile_size=32,
    arch_kwargs={"width": 4},
)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny seed U-Net (width 4, random weights) saved with its metadata (needs torch)."""
    torch = pytest.importorskip("torch")
    from landcover.models.checkpoint import build_model, save_weights

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_weights(path, build_model(TINY_META), TINY_META)
    return path


@pytest.fixture
def identity() -> IdentityPredictor:
    """Identity predictor with 32-px windows and no GSD."""
    return IdentityPredictor()


def coded_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Random ``(H, W, 3)`` uint8 image; its expected classes are ``image[..., 0] % K``."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def make_onnx(path: Path, meta: ModelMeta | None = None, with_meta: bool = True) -> Path:
    """Write a tiny ONNX segmenter (1x1 conv + softmax) built with onnx.helper (no torch)."""
    onnx = require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    meta = meta or ModelMeta("tiny", DEEPGLOBE, gsd_m=None, tile_size=32)
    s = meta.tile_size
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((K, 3, 1, 1)).astype(np.float32), "w")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, s, s])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", K, s, s])],
        [w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    if with_meta:
        helper.set_model_props(model, deepness_metadata(meta))
    onnx.save(model, str(path))
    return path


@pytest.fixture
def tiny_onnx(tmp_path: Path) -> Path:
    """A tiny ONNX model with our metadata, 32-px tiles, no GSD."""
    return make_onnx(tmp_path / "tiny.onnx")


def write_geotiff(
    path: Path,
    data: np.ndarray,
    *,
    crs: str | None = "EPSG:32633",
    transform: Any = None,
    nodata: float | None = None,
) -> Path:
    """Write ``(C, H, W)`` ``data`` as a GeoTIFF (default: UTM, 2 m pixels)."""
    import rasterio
    from rasterio import Affine

    transform = transform or Affine(2.0, 0.0, 500000.0, 0.0, -2.0, 4000000.0)
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": data.shape[2],
        "height": data.shape[1],
        "count": data.shape[0],
        "dtype": str(data.dtype),
        "transform": transform,
    }
    if crs:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path
