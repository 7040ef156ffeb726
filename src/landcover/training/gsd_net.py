"""The GSD estimator's network: frozen ImageNet EfficientNet-Lite0 features and a small head.

Features: the mean and the standard deviation of each of the encoder's five levels (strides
2 to 32), 1024 numbers per crop of any size, so a head learns the scale from texture statistics
at several scales without the backbone being retrained (it trains in seconds on precomputed
features). The head regresses ``log2`` metres per pixel and a log-variance (Gaussian NLL).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import timm
import torch
from torch import nn

from landcover.models.pretrained import HEAD_PREFIXES, lite_weights_file, map_efficientnet_pytorch

FEATURES = 1024
#: Convolution kernels of at least this many values are stored as int8 (:func:`compact_weights`).
INT8_FROM = 40_000


class PooledFeatures(nn.Module):
    """ImageNet EfficientNet-Lite0, frozen: per level mean and std over the pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = timm.create_model("efficientnet_lite0", features_only=True, pretrained=False)
        own = self.encoder.state_dict()
        state = torch.load(lite_weights_file("tu-efficientnet_lite0"), weights_only=True)
        state = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIXES)}
        self.encoder.load_state_dict(map_efficientnet_pytorch(state, own))
        self.eval().requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` RGB in 0..1 -> ``(N, 1024)`` pooled features."""
        out = []
        for level in self.encoder((x - 0.5) / 0.5):
            flat = level.flatten(2)
            out += [flat.mean(-1), (flat.var(-1, unbiased=False) + 1e-6).sqrt()]
        return torch.cat(out, 1)


class Head(nn.Module):
    """Standardised features -> ``log2`` GSD and log-variance."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, hidden: int = 256) -> None:
        super().__init__()
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.net = nn.Sequential(
            nn.Linear(FEATURES, hidden), nn.GELU(), nn.Dropout(0.3), nn.Linear(hidden, 2)
        )

    def forward(self, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, 1024)`` -> ``(N, 1)`` log2 metres per pixel, ``(N, 1)`` log-variance."""
        out = self.net((f - self.mean) / self.std)
        return out[:, :1], out[:, 1:].clamp(-8, 4)


def fit_head(
    x: np.ndarray, y: np.ndarray, steps: int = 3000, seed: int = 0, batch: int = 256
) -> Head:
    """Train a :class:`Head` on features ``x`` ``(N, 1024)`` and ``log2`` GSDs ``y`` ``(N,)``."""
    torch.manual_seed(seed)
    head = Head(x.mean(0), x.std(0) + 1e-3)
    xt, yt = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
    opt = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    head.train()
    for _ in range(steps):
        idx = torch.randint(len(xt), (batch,), generator=gen)
        mu, log_var = head(xt[idx])
        err = mu[:, 0] - yt[idx]
        # NLL for the variance; a plain L1 term keeps the mean from ignoring hard views
        loss = (0.5 * (err**2 * torch.exp(-log_var[:, 0]) + log_var[:, 0])).mean()
        loss = loss + err.abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return head.eval()


class GsdNet(nn.Module):
    """Features and head in one graph, as exported to ONNX."""

    def __init__(self, features: PooledFeatures, head: Head) -> None:
        super().__init__()
        self.features, self.head = features, head

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, 3, H, W)`` in 0..1 -> log2 GSD ``(N, 1)``, log-variance ``(N, 1)``."""
        log2_gsd, log_var = self.head(self.features(x))
        return log2_gsd, log_var


def export_onnx(net: GsdNet, out: Path, metadata: dict[str, object]) -> None:
    """Write ``net`` as ONNX (opset 17; batch, height and width dynamic) with ``metadata``."""
    tmp = out.with_suffix(".tmp.onnx")
    torch.onnx.export(
        net.eval(),
        (torch.zeros(1, 3, 224, 224),),
        str(tmp),
        input_names=["input"],
        output_names=["log2_gsd", "log_var"],
        dynamic_axes={"input": {0: "N", 2: "H", 3: "W"}, "log2_gsd": {0: "N"}, "log_var": {0: "N"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(tmp))
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    compact_weights(proto.graph)
    onnx.save(proto, str(tmp))
    tmp.replace(out)


def compact_weights(graph: onnx.GraphProto, int8_from: int = INT8_FROM) -> None:
    """Store ``graph``'s float32 weights smaller, in place, computed in float32 as before:
    convolution kernels of at least ``int8_from`` values (the late, wide layers: most of the
    size) as int8 per output channel behind ``DequantizeLinear``, the other weights of 256 or
    more values as float16 behind ``Cast``. 12.9 MB -> 4.0 MB; estimates move by under 6 %
    (int8 everywhere moved them by up to 22 %, the early layers' statistics being sensitive)."""
    from onnx import TensorProto, helper, numpy_helper  # [train] extra: lazy

    nodes = []
    for init in list(graph.initializer):
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.size < 256:
            continue
        graph.initializer.remove(init)
        name = init.name
        if w.ndim == 4 and w.size >= int8_from:
            scale = np.maximum(np.abs(w).reshape(len(w), -1).max(1), 1e-12) / 127.0
            q = np.clip(np.round(w / scale[:, None, None, None]), -127, 127).astype(np.int8)
            graph.initializer.extend(
                [
                    numpy_helper.from_array(q, f"{name}_int8"),
                    numpy_helper.from_array(scale.astype(np.float32), f"{name}_scale"),
                    numpy_helper.from_array(np.zeros(len(w), np.int8), f"{name}_zero"),
                ]
            )
            inputs = [f"{name}_int8", f"{name}_scale", f"{name}_zero"]
            nodes.append(helper.make_node("DequantizeLinear", inputs, [name], axis=0))
        else:
            graph.initializer.append(numpy_helper.from_array(w.astype(np.float16), f"{name}_fp16"))
            nodes.append(helper.make_node("Cast", [f"{name}_fp16"], [name], to=TensorProto.FLOAT))
    rest = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + rest)
