"""Train the small CNN that estimates an image's ground sampling distance (GSD) from its pixels.

Usage:
    .venv/bin/python scripts/train_gsd_estimator.py ../shared/data/deepglobe \
        --split configs/deepglobe_quadrants512_split.csv --out gsd.onnx [--minutes 20]

Sources with known GSDs: the training-split quadrants (1.195 m) and the 4.78 m thumbnails of
tiles that are neither among the 5 full tiles nor behind the unseen quadrants
(``configs/deepglobe_quadrants512_unseen.csv``), both scored on elsewhere. A sample is a crop
resampled to a random GSD between ``MIN_GSD`` and ``MAX_GSD`` (log-uniform; quadrants up to 2.4 m,
thumbnails above), padded by reflection where the source is too small, colour-jittered, flipped,
then seen through :func:`landcover.inference.gsd.canonical_view` exactly as at inference: the
low-pass view removes the sharpness and JPEG-grid shortcuts (upsampled fine samples are soft
and carry a stretched grid; real fine imagery is sharp with an 8-px grid). The net regresses
``log2(gsd)``; the ONNX file takes ``(N, 3, VIEW, VIEW)`` in 0..1 and needs no torch to run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

MIN_GSD, MAX_GSD = 0.3, 8.0
QUADRANT_GSD, THUMB_GSD = 1.195, 4.78
QUADRANT_MAX = 2.4  # coarser than this a 256-px crop no longer fits in a 512-px quadrant


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


def sample(sources: dict[float, list[np.ndarray]], rng: np.random.Generator) -> tuple:
    """One training view ``(3, VIEW, VIEW)`` float32 and its ``log2`` GSD."""
    from PIL import Image

    from landcover.inference.gsd import CROP, canonical_view

    target = float(np.exp(rng.uniform(np.log(MIN_GSD), np.log(MAX_GSD))))
    gsd = QUADRANT_GSD if target <= QUADRANT_MAX else THUMB_GSD
    images = sources[gsd]
    img = images[int(rng.integers(len(images)))]
    f = gsd / target
    h, w = img.shape[:2]
    side = min(h, w, int(np.ceil(CROP / f)))
    r, c = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    out = min(CROP, max(8, round(side * f)))
    im = Image.fromarray(img[r : r + side, c : c + side]).resize(
        (out, out), Image.Resampling.BILINEAR
    )
    a = np.asarray(im).astype(np.float32) * rng.uniform(0.75, 1.25, size=3).astype(np.float32)
    a = np.clip(a + np.float32(rng.uniform(-20, 20)), 0, 255).astype(np.uint8)
    if out < CROP:
        a = np.pad(a, ((0, CROP - out), (0, CROP - out), (0, 0)), mode="symmetric")
    if rng.random() < 0.5:
        a = a[:, ::-1]
    a = np.ascontiguousarray(np.rot90(a, int(rng.integers(4))))
    return canonical_view(a), np.log2(target)


def load_sources(data: Path, split: Path) -> dict[float, list[np.ndarray]]:
    """Training quadrants and the thumbnails of tiles not scored on."""
    import csv

    from landcover.data.pairs import find_pairs
    from landcover.data.split import read_split, select_split
    from landcover.io.images import read_rgb

    quads = select_split(find_pairs(data / "quadrants512").pairs, read_split(split), "train")
    with open(data / "tiles.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    unseen = Path(__file__).resolve().parents[1] / "configs" / "deepglobe_quadrants512_unseen.csv"
    with open(unseen, encoding="utf-8") as f:
        held = {r["file"] for r in csv.DictReader(f)}
    scored = {r["deepglobe_id"] for r in rows if r["form"] == "fullres"}
    scored |= {r["deepglobe_id"] for r in rows if Path(r["image"]).name in held}
    thumbs = [
        data / r["image"]
        for r in rows
        if r["form"] == "thumb256" and r["deepglobe_id"] not in scored
    ]
    print(f"{len(quads)} quadrants, {len(thumbs)} thumbnails ({len(scored)} tiles held out)")
    return {
        QUADRANT_GSD: [read_rgb(p.image) for p in quads],
        THUMB_GSD: [read_rgb(p) for p in thumbs],
    }


def main() -> None:
    """Train for ``--minutes`` and export ONNX."""
    import torch

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--init", type=Path, help="start from these weights (a .pt state dict)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    sources = load_sources(args.data, args.split)
    net = build_net()
    if args.init:
        net.load_state_dict(torch.load(args.init))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    end, step, t0 = time.time() + args.minutes * 60, 0, time.time()
    losses: list[float] = []
    while time.time() < end:
        xs, ys = zip(*(sample(sources, rng) for _ in range(args.batch)), strict=True)
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

    from landcover.inference.gsd import CROP, VIEW

    net.eval()
    torch.onnx.export(
        net,
        (torch.zeros(1, 3, VIEW, VIEW),),
        str(out),
        input_names=["input"],
        output_names=["log2_gsd"],
        dynamic_axes={"input": {0: "N"}, "log2_gsd": {0: "N"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(out))
    for key, value in {
        "crop": CROP,
        "view": VIEW,
        "min_gsd_m": MIN_GSD,
        "max_gsd_m": MAX_GSD,
    }.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(proto, str(out))


if __name__ == "__main__":
    main()
