"""Training throughput (images/s) and peak RSS per model and precision; prints a table.

Each configuration runs in its own subprocess (so that its peak RSS is its own): the project's
:class:`~landcover.training.module.SegmentationModule` (normalisation, loss, confusion matrix),
AdamW, gradient clipping, ``torch.autocast`` for bf16, channels-last; synthetic uint8 batches.
The first ``--warmup`` steps are not timed.

Defaults follow issue 3 (512 px, batch 8, seed-unet / unet-resnet34 / unet-lite0, fp32 and bf16,
CPU and CUDA when present). On a 2-core CPU a 512-px fp32 seed-unet step takes ~45 s; for a quick
look use e.g. ``--size 256 --steps 3``.

    python benchmarks/train_throughput.py [--size 512] [--batch 8] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def measure(
    model: str,
    precision: str,
    device: str,
    size: int,
    batch: int,
    steps: int,
    warmup: int,
    channels_last: bool,
) -> dict:
    """Train ``steps`` timed steps in this process; return img/s and peak RSS."""
    import os
    import resource

    import torch

    from landcover.models.meta import ModelMeta
    from landcover.schema import DEEPGLOBE
    from landcover.training.module import SegmentationModule

    if device == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    meta = ModelMeta(model, DEEPGLOBE, mean=(0.5,) * 3, std=(0.5,) * 3, tile_size=size)
    module = SegmentationModule(
        meta.to_dict(), {"lr": 1e-3, "loss": "ce", "channels_last": channels_last}
    ).to(device)
    opt = torch.optim.AdamW(module.parameters(), lr=1e-3)
    x = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8, device=device)
    y = torch.randint(0, 7, (batch, size, size), device=device)
    dtype = torch.bfloat16 if precision == "bf16" else None

    def step() -> None:
        with torch.autocast(device, dtype=dtype or torch.float32, enabled=dtype is not None):
            logits = module(x)
        loss = module.loss_fn(logits.float(), y)
        module.train_cm.update(logits.detach().argmax(1), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        opt.step()

    for _ in range(warmup):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"img_s": batch * steps / dt, "peak_rss_mb": rss_mb}


def main() -> None:
    """Run every configuration in a subprocess and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="seed-unet,unet-resnet34,unet-lite0")
    p.add_argument("--precisions", default="fp32,bf16")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--no-channels-last", action="store_true")
    p.add_argument("--one", help=argparse.SUPPRESS)  # internal: JSON of one configuration
    args = p.parse_args()
    if args.one:
        print(json.dumps(measure(**json.loads(args.one))))
        return
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"train throughput, {args.size} px, batch {args.batch}, {args.steps} timed steps")
    print(f"{'device':<6} {'model':<16} {'precision':<9} {'img/s':>8} {'peak RSS MB':>12}")
    for device in devices:
        for model in args.models.split(","):
            for precision in args.precisions.split(","):
                one = {
                    "model": model,
                    "precision": precision,
                    "device": device,
                    "size": args.size,
                    "batch": args.batch,
                    "steps": args.steps,
                    "warmup": args.warmup,
                    "channels_last": not args.no_channels_last,
                }
                out = subprocess.run(
                    [sys.executable, __file__, "--one", json.dumps(one)],
                    capture_output=True,
                    text=True,
                )
                if out.returncode:
                    print(
                        f"{device:<6} {model:<16} {precision:<9} failed: "
                        f"{out.stderr.strip().splitlines()[-1:]}"
                    )
                    continue
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"{device:<6} {model:<16} {precision:<9} {r['img_s']:>8.2f} "
                    f"{r['peak_rss_mb']:>12.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
