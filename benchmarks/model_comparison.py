"""Compare training recipes at equal training time with ``landcover train``; prints a table.

Each variant changes one thing from the bundled model's recipe
(``configs/bundled_unet_lite0.yaml``) and trains for the same wall-clock budget on
``quadrants512`` with the project's split; short epochs (``--limit-train-batches``) so that
validation (on a fixed subset of the val split) runs several times inside the budget.

    .venv/bin/python benchmarks/model_comparison.py --minutes 4 [--only baseline fpn-lite0]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "deepglobe" / "quadrants512"
SPLIT = ROOT / "configs" / "deepglobe_quadrants512_split.csv"
CONFIG = ROOT / "configs" / "bundled_unet_lite0.yaml"

VARIANTS: dict[str, list[str]] = {
    "baseline (unet-lite0, imagenet, ce+dice, 256)": [],
    "fpn-lite0": ["--model", "fpn-lite0"],
    "unet-lite2": ["--model", "unet-lite2"],
    "random init": ["--encoder-weights", "null"],
    "ce only": ["--loss", "ce"],
    "crop 384": ["--crop-size", "384", "--batch-size", "4"],
    "unet-lite1": ["--model", "unet-lite1"],
}


def run(name: str, extra: list[str], minutes: float, out: Path) -> dict[str, str]:
    """Train one variant; return its best validation row."""
    cmd = [
        str(ROOT / ".venv" / "bin" / "landcover"),
        "-q",
        "train",
        "--data",
        str(DATA),
        "--split",
        str(SPLIT),
        "--config",
        str(CONFIG),
        "--out",
        str(out),
        "--overwrite",
        "--max-time",
        str(minutes),
        "--epochs",
        "1000",
        "--limit-train-batches",
        "40",
        "--limit-val-batches",
        "30",
        "--no-cache",
        "--checkpoint-minutes",
        "0",
        *extra,
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    with open(out / "metrics.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("val_miou")]
    best = max(rows, key=lambda r: float(r["val_miou"]))
    return {
        "variant": name,
        "epochs": str(len(rows)),
        "best_val_miou": best["val_miou"],
        "val_acc": best["val_acc"],
        "wall_s": f"{wall:.0f}",
    }


def main() -> None:
    """Run the variants and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=4.0, help="training budget per variant")
    ap.add_argument("--only", nargs="*", help="variant name prefixes to run")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "comparison")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs {DATA}")
    results = []
    for i, (name, extra) in enumerate(VARIANTS.items()):
        if args.only and not any(name.startswith(p) for p in args.only):
            continue
        results.append(run(name, extra, args.minutes, args.out / f"v{i}"))
        print(results[-1], flush=True)
    print(f"\nequal training time: {args.minutes:g} min each, val mIoU on 120 val images\n")
    print(f"| {'variant':<46} | epochs | val mIoU | val acc | wall s |")
    print(f"|{'-' * 48}|--------|----------|---------|--------|")
    for r in results:
        print(
            f"| {r['variant']:<46} | {r['epochs']:>6} | {float(r['best_val_miou']):8.3f} "
            f"| {float(r['val_acc']):7.3f} | {r['wall_s']:>6} |"
        )


if __name__ == "__main__":
    main()
