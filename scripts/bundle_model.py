"""Ship a trained run as the bundled model: ONNX (for predict, no torch) + fp16 torch weights.

Usage:
    .venv/bin/python scripts/bundle_model.py RUN --name deepglobe-fpn-lite0 --tile-size 1024 \
        [--int8 DATA --split SPLIT.csv] [--facts facts.json]

Writes ``src/landcover/weights/<name>.onnx`` (int8 with ``--int8``, calibrated on training images
of the split, else float32; fixed input side, for Deepness), ``runtime/<name>-int8.onnx`` (the
same graph, any input size) and ``runtime/<name>-fp32.onnx`` (float32, any input size),
``<name>.pt`` (weights in float16 to halve the size;
``load_checkpoint`` casts them back) and ``<name>.json`` (card facts listed by ``landcover
models``), merging ``--facts`` (scores and speed measured separately) into the JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from landcover.bundled import RUNTIME_DIR, WEIGHTS_DIR
from landcover.data.pairs import find_pairs
from landcover.data.split import read_split, select_split
from landcover.export.onnx_export import dynamic_size_copy, export_onnx
from landcover.export.quantize import pick_images
from landcover.io.atomic import write_text_atomic
from landcover.models.checkpoint import load_checkpoint, save_weights


def write_runtime_copies(model, meta, onnx_path: Path, name: str, tile_size: int) -> None:  # noqa: ANN001
    """``runtime/<name>-int8.onnx`` and ``-fp32.onnx``: any input size, for ``predict``."""
    RUNTIME_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(model, meta, Path(tmp) / "fp32.onnx", tile_size=tile_size)
        dynamic_size_copy(fp32, RUNTIME_DIR / f"{name}-fp32.onnx")
    dynamic_size_copy(onnx_path, RUNTIME_DIR / f"{name}-int8.onnx")


def main() -> None:
    """Export the run's best checkpoint into the package."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("run", type=Path, help="run folder of 'landcover train'")
    ap.add_argument("--name", required=True, help="bundled model name")
    ap.add_argument("--tile-size", type=int, default=1024, help="ONNX input side")
    ap.add_argument("--int8", type=Path, metavar="DATA", help="quantise, calibrating on DATA")
    ap.add_argument("--split", type=Path, help="split CSV: calibrate on its training images only")
    ap.add_argument("--calibration-count", type=int, default=24, help="calibration images")
    ap.add_argument("--facts", type=Path, help="JSON of extra card facts to merge")
    args = ap.parse_args()

    model, meta = load_checkpoint(args.run / "checkpoints" / "best.ckpt")
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    onnx_path = WEIGHTS_DIR / f"{args.name}.onnx"
    calibration = None
    if args.int8:
        images: list[Path] = [args.int8]
        if args.split:
            pairs = find_pairs(args.int8).pairs
            images = [p.image for p in select_split(pairs, read_split(args.split), "train")]
        calibration = pick_images(images, args.calibration_count)
    export_onnx(model, meta, onnx_path, tile_size=args.tile_size, calibration=calibration)
    write_runtime_copies(model, meta, onnx_path, args.name, args.tile_size)
    save_weights(WEIGHTS_DIR / f"{args.name}.pt", model, meta, half=True)
    facts = {
        "architecture": meta.arch,
        "classes": list(meta.schema.classes),
        "ignored_class": meta.schema.classes[meta.schema.ignore_index]
        if meta.schema.ignore_index is not None
        else None,
        "gsd_m": meta.gsd_m,
        "tile_size": args.tile_size,
        "mean": list(meta.mean),
        "std": list(meta.std),
    }
    if args.facts:
        facts.update(json.loads(args.facts.read_text(encoding="utf-8")))
    write_text_atomic(WEIGHTS_DIR / f"{args.name}.json", json.dumps(facts, indent=2) + "\n")
    for p in sorted([*WEIGHTS_DIR.glob(f"{args.name}.*"), *RUNTIME_DIR.glob(f"{args.name}-*")]):
        print(f"{p}  {p.stat().st_size / 1e6:.1f} MB")
    print(f"wrote {onnx_path}")


if __name__ == "__main__":
    main()
