"""Is fine-tuning the bundled model worth it? Dubai tiles, equal CPU budgets, three starts.

Data: ``../shared/data/dubai`` (72 pairs in 8 tiles, 6 classes, another sensor and region than
DeepGlobe). Split by tile, never mixed: the test tiles (``--test-tiles``, default 2 and 4: every
class present, 20 % of the images) are never seen in training; the 6 others train, the first
part of each (``tile<N>_part001``) validating (it chooses ``best.ckpt``).

Each start trains the bundled model's architecture (``fpn-lite0``) with the bundled model's
recipe (``configs/bundled_fpn_lite0.yaml``: 256-px crops, AdamW 1e-3, cosine over the budget,
CE + Dice) for the same wall-clock budget (``max_time``), then its ``best.ckpt`` is scored on the
test tiles by :func:`landcover.evaluation.evaluate` (what ``landcover evaluate`` runs):

- ``bundled``: ``init_checkpoint`` = the bundled ``deepglobe-fpn-lite0.pt`` (encoder and decoder
  kept, new 6-class head, its normalisation);
- ``imagenet``: ``encoder_weights: imagenet`` (EfficientNet-Lite0, offline; 0.5/0.5);
- ``scratch``: ``encoder_weights: null`` (random; the data's statistics).

Every run has its folder ``WORK/<start>-<minutes>min``: a finished one (``result.json``) is
skipped, an interrupted one resumes from its ``last.ckpt``, so the benchmark can be stopped and
run again. Prints one Markdown table (test mIoU per start and budget), then per-class IoU.

    .venv/bin/python benchmarks/finetune_dubai.py --minutes 5 15 30 --work runs/finetune_dubai
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "dubai"
CONFIG = ROOT / "configs" / "bundled_fpn_lite0.yaml"
STARTS = ("bundled", "imagenet", "scratch")


def start_options(start: str) -> dict[str, Any]:
    """The options that make each start (everything else is the same)."""
    from landcover.bundled import DEFAULT_MODEL, WEIGHTS_DIR

    if start == "bundled":
        return {
            "init_checkpoint": str(WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt"),
            "encoder_weights": None,
        }
    return {"encoder_weights": "imagenet" if start == "imagenet" else None}


def write_split(path: Path, test_tiles: list[int]) -> dict[str, int]:
    """Write the tile split (refusing to change the one of an earlier run); counts per split."""
    from landcover.data.pairs import find_pairs

    rows = ["file,split"]
    for pair in find_pairs(DATA).pairs:
        tile = int(re.match(r"tile(\d+)_", pair.key).group(1))  # type: ignore[union-attr]
        first = pair.key.endswith("_part001_sat.jpg")
        rows.append(f"{pair.key},{'test' if tile in test_tiles else 'val' if first else 'train'}")
    text = "\n".join(rows) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") != text:
        sys.exit(f"{path} holds another split (other --test-tiles?): use another --work folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    splits = [r.rsplit(",", 1)[1] for r in rows[1:]]
    return {s: splits.count(s) for s in ("train", "val", "test")}


def train_once(start: str, minutes: float, out: Path, split: Path, args: argparse.Namespace):
    """Train one start for ``minutes`` in ``out`` (resuming an interrupted run); its best.ckpt."""
    from landcover.models.checkpoint import read_checkpoint
    from landcover.training.config import load_config
    from landcover.training.run import train

    _, bundled = read_checkpoint(start_options("bundled")["init_checkpoint"])
    overrides: dict[str, Any] = {
        "data": str(DATA),
        "split": str(split),
        "schema": "dubai",
        "model": bundled.arch,  # the same architecture for every start
        "max_time": minutes,
        "epochs": 100_000,  # the budget ends every run
        "val_batch_size": 1,  # whole images of several sizes: no padding to the largest
        "threads": args.threads,
        "seed": args.seed,
        **start_options(start),
        **dict(kv.split("=", 1) for kv in args.set),
    }
    cfg = load_config(CONFIG, overrides)
    done = out / "trained.json"
    if done.is_file():
        return Path(json.loads(done.read_text(encoding="utf-8"))["best"])
    resume = (out / "checkpoints" / "last.ckpt").is_file()
    print(f"{out.name}: {'resuming' if resume else 'training'}", flush=True)
    with contextlib.redirect_stdout(sys.stderr):  # progress bars: stdout keeps the tables
        best = train(cfg, out, resume=resume, overwrite=not resume)
    done.write_text(json.dumps({"best": str(best)}), encoding="utf-8")
    return best


def score(best: Path, out: Path, split: Path) -> dict[str, Any]:
    """Test-tile scores of ``best`` and the run's history (epochs, training time)."""
    from landcover.evaluation.run import evaluate

    result = evaluate(
        best,
        DATA,
        out / "test",
        split=split,
        subset="test",
        backend="torch",
        gallery=0,
        estimate=False,  # the model has no GSD (Dubai's is not recorded): no rescaling
        progress=False,
        overwrite=True,
    )
    with open(out / "metrics.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    s = result.scores
    schema = result.schema
    return {
        "miou": float(s.miou),
        "pixel_accuracy": float(s.pixel_accuracy),
        "iou": {
            n: float(s.iou[i]) for i, n in enumerate(schema.classes) if i != schema.ignore_index
        },
        "epochs": len(rows),
        "train_s": float(rows[-1]["elapsed_s"]) if rows else math.nan,
        "best_val_miou": max((float(r["val_miou"]) for r in rows if r["val_miou"]), default=0),
    }


def run_one(start: str, minutes: float, work: Path, split: Path, args: argparse.Namespace):
    """One start at one budget: its result, computed once (``result.json``)."""
    out = work / f"{start}-{minutes:g}min"
    result_file = out / "result.json"
    if result_file.is_file():
        return json.loads(result_file.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    best = train_once(start, minutes, out, split, args)
    result = {"start": start, "minutes": minutes, **score(best, out, split)}
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    result_file.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def print_tables(results: list[dict[str, Any]], budgets: list[float], counts: dict) -> None:
    """The mIoU table (start x budget), then per-class IoU of every run."""
    by = {(r["start"], r["minutes"]): r for r in results}
    starts = [s for s in STARTS if any(k[0] == s for k in by)]
    print(
        f"\nDubai, test tiles never seen in training ({counts['test']} images); "
        f"{counts['train']} training + {counts['val']} validation images; fpn-lite0\n"
    )
    print("| start | " + " | ".join(f"{m:g} min" for m in budgets) + " |")
    print("|---|" + "---:|" * len(budgets))
    for s in starts:
        cells = [by.get((s, m)) for m in budgets]
        text = [f"{c['miou']:.3f} ({c['epochs']} ep)" if c else "-" for c in cells]
        print(f"| {s} | " + " | ".join(text) + " |")
    classes = list(results[0]["iou"]) if results else []
    print("\n| start | budget | mIoU | pixel acc | " + " | ".join(classes) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(classes))
    for r in sorted(results, key=lambda r: (STARTS.index(r["start"]), r["minutes"])):
        ious = " | ".join(f"{r['iou'][c]:.3f}" for c in classes)
        print(
            f"| {r['start']} | {r['minutes']:g} min | {r['miou']:.3f} | "
            f"{r['pixel_accuracy']:.3f} | {ious} |"
        )


def main() -> None:
    """Run every start at every budget (skipping finished runs) and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, nargs="+", default=[5, 15, 30], help="budgets")
    ap.add_argument("--starts", nargs="+", choices=STARTS, default=list(STARTS))
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "finetune_dubai")
    ap.add_argument("--test-tiles", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE", help="other training options"
    )
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs the Dubai data in {DATA}")
    split = args.work / "split.csv"
    counts = write_split(split, args.test_tiles)
    results = []
    for minutes in args.minutes:
        for start in args.starts:
            results.append(run_one(start, minutes, args.work, split, args))
            r = results[-1]
            print(f"{start} {minutes:g} min: test mIoU {r['miou']:.3f}", flush=True)
    print_tables(results, args.minutes, counts)


if __name__ == "__main__":
    main()
