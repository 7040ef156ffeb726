"""The GSD estimator's network: pooled features of any crop size, compact ONNX weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

torch = pytest.importorskip("torch", reason="needs pip install 'landcover[train]'")
from torch import nn

from landcover.training.gsd_net import FEATURES, INT8_FROM, PooledFeatures, compact_weights


def test_pooled_features_take_any_crop_size() -> None:
    net = PooledFeatures()
    x = torch.rand(2, 3, 100, 72)
    with torch.no_grad():
        f = net(x)
    assert f.shape == (2, FEATURES) and torch.isfinite(f).all()
    assert not any(p.requires_grad for p in net.parameters())  # frozen


def test_compact_weights_shrink_the_file_and_keep_the_outputs(tmp_path: Path) -> None:
    torch.manual_seed(0)
    wide = nn.Conv2d(64, 128, 3, padding=1)  # 73,728 weights: stored int8
    net = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), wide).eval()
    assert wide.weight.numel() >= INT8_FROM > net[0].weight.numel()
    path = tmp_path / "net.onnx"
    torch.onnx.export(net, (torch.zeros(1, 3, 16, 16),), str(path), dynamo=False)
    proto = onnx.load(str(path))
    compact_weights(proto.graph)
    small = tmp_path / "small.onnx"
    onnx.save(proto, str(small))
    assert small.stat().st_size < 0.3 * path.stat().st_size
    x = np.random.default_rng(0).random((1, 3, 16, 16), dtype=np.float32)

    def run(p: Path) -> np.ndarray:
        session = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: x})[0]

    full, compact = run(path), run(small)
    assert np.abs(compact - full).max() < 0.01 * np.abs(full).max()
