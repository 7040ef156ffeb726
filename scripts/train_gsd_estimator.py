"""Train the small CNN that estimates an image's ground sampling distance (GSD) from its pixels.

Usage:
    .venv/bin/python scripts/train_gsd_estimator.py DATA --split SPLIT.csv --out gsd.onnx \
        [--minutes 15] [--threads 2]

Samples are training-split images (known GSD, ``--gsd``) resampled to a random GSD between
``MIN_GSD`` and ``MAX_GSD`` (log-uniform), blurred at random and colour-jittered, then cut to
``CROP`` pixels.

Known limit (model card): every source here has one native GSD, so samples finer than it are
upsampled (soft, with a stretched JPEG block grid). The net reads imagery made like its samples
well (DeepGlobe quadrants at 1.195 m and resampled from them: median error 10 %), but native fine
imagery, sharp with an 8-px JPEG grid, looks to it like its own native GSD: the 0.5 m full tiles
read as about 1.2 m. Two other recipes were tried and measured worse (the card): JPEG re-encoding
of every sample, and a canonical low-pass view with 4.78 m thumbnails added.

The net regresses ``log2(gsd)``. The ONNX file takes ``(N, 3, CROP, CROP)`` pixels scaled to
0..1 and returns ``(N, 1)`` log2 metres per pixel; it needs no torch to run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

CROP = 128
MIN_GSD, MAX_GSD = 0.2, 6.0


def build_net():  # noqa: ANN201 - torch is imported lazily
    """A plain strided CNN (about 0.2 M parameters) with global average pooling."""
    import torch.nn as nn

    def block(cin: int, cout: int) -> list:
        return [
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        ]

    layers = block(3, 16) + block(16, 32) + block(32, 48) + block(48, 64) + block(64, 96)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, 1))


def sample(images: list[np.ndarray], gsd: float, rng: np.random.Generator) -> tuple:
    """One training crop ``(3, CROP, CROP)`` float32 in 0..1 and its ``log2`` GSD."""
    from PIL import Image, ImageFilter

    img = images[int(rng.integers(len(images)))]
    target = float(np.exp(rng.uniform(np.log(MIN_GSD), np.log(MAX_GSD))))
    f = gsd / target
    h, w = img.shape[:2]
    # Cut first (only what the crop needs), then resample.
    side = min(h, w, int(np.ceil(CROP / f)) + 2)
    r, c = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    im = Image.fromarray(img[r : r + side, c : c + side])
    out = max(CROP, round(side * f))
    im = im.resize((out, out), Image.Resampling.BILINEAR)
    if rng.random() < 0.5:
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.5))))
    a = np.asarray(im, dtype=np.float32)[:CROP, :CROP] / 255.0
    if a.shape[0] < CROP or a.shape[1] < CROP:
        a = np.pad(a, ((0, CROP - a.shape[0]), (0, CROP - a.shape[1]), (0, 0)), mode="reflect")
    a = a * rng.uniform(0.7, 1.3, size=3).astype(np.float32) + np.float32(rng.uniform(-0.1, 0.1))
    if rng.random() < 0.5:
        a = a[:, ::-1]
    a = np.rot90(a, int(rng.integers(4)))
    return np.ascontiguousarray(np.clip(a, 0, 1).transpose(2, 0, 1), dtype=np.float32), np.log2(
        target
    )


def main() -> None:
    """Train for ``--minutes`` and export ONNX."""
    import torch

    from landcover.data.pairs import find_pairs
    from landcover.data.split import read_split, select_split
    from landcover.io.images import read_rgb

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--gsd", type=float, default=1.195, help="GSD of the training images")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=48)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    pairs = select_split(find_pairs(args.data).pairs, read_split(args.split), "train")
    images = [read_rgb(p.image) for p in pairs]
    net = build_net()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    end, step, t0 = time.time() + args.minutes * 60, 0, time.time()
    losses: list[float] = []
    while time.time() < end:
        xs, ys = zip(*(sample(images, args.gsd, rng) for _ in range(args.batch)), strict=True)
        x, y = torch.from_numpy(np.stack(xs)), torch.tensor(ys, dtype=torch.float32)[:, None]
        frac = (time.time() - t0) / (args.minutes * 60)
        for g in opt.param_groups:
            g["lr"] = 2e-3 * 0.5 * (1 + np.cos(np.pi * min(1.0, frac)))
        loss = torch.nn.functional.smooth_l1_loss(net(x), y, beta=0.25)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        step += 1
        if step % 50 == 0:
            print(
                f"step {step} loss {np.mean(losses[-50:]):.4f} {time.time() - t0:.0f}s", flush=True
            )
            torch.save(net.state_dict(), args.out.with_suffix(".pt"))
    export(net, args.out)
    print(f"wrote {args.out} after {step} steps")


def export(net, out: Path) -> None:  # noqa: ANN001
    """Write ``net`` as ONNX (opset 17, dynamic batch) with its crop size in the metadata."""
    import json

    import onnx
    import torch

    net.eval()
    torch.onnx.export(
        net,
        (torch.zeros(1, 3, CROP, CROP),),
        str(out),
        input_names=["input"],
        output_names=["log2_gsd"],
        dynamic_axes={"input": {0: "N"}, "log2_gsd": {0: "N"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(out))
    for key, value in {"crop": CROP, "min_gsd_m": MIN_GSD, "max_gsd_m": MAX_GSD}.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(proto, str(out))


if __name__ == "__main__":
    main()
