"""``landcover export``: write a checkpoint as an ONNX model that ``predict`` and QGIS read."""

from __future__ import annotations

import argparse

from landcover.cli.options import HelpFormatter, parse_fraction
from landcover.export.onnx_export import export_checkpoint
from landcover.export.quantize import pick_images


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``export`` sub-command."""
    p = subparsers.add_parser(
        "export",
        help="export a checkpoint to ONNX (for predict without torch, and QGIS Deepness)",
        description="Export a checkpoint to ONNX: one input [N,3,S,S] float32 (N dynamic, S "
        "fixed), output [N,K,S,S] softmax probabilities, opset 17, with the model's metadata "
        "(Deepness keys and landcover_meta) so that 'landcover predict' and QGIS's Deepness "
        "plugin use it as it is. Needs landcover[train].",
        formatter_class=HelpFormatter,
    )
    p.add_argument("checkpoint", metavar="CKPT", help="checkpoint (.ckpt from train, or .pt)")
    p.add_argument("--onnx", required=True, metavar="FILE", help="ONNX file to write")
    p.add_argument(
        "--tile-size",
        type=int,
        metavar="S",
        help="fixed input side of the graph, a multiple of 32 (default: the checkpoint's "
        "tile size); larger tiles mean fewer windows per image",
    )
    p.add_argument(
        "--overlap",
        type=parse_fraction,
        default=0.25,
        metavar="FRACTION",
        help="fraction of a window shared with its neighbours, as in predict and evaluate; "
        "advertised to Deepness (written in percent, as its tiles_overlap)",
    )
    p.add_argument(
        "--int8",
        nargs="+",
        metavar="IMAGES",
        help="quantise to int8 (about 1.4x faster on CPUs with VNNI/AMX, a quarter of the size), "
        "calibrating on images like those you will map: files or folders, of which "
        "--calibration-count are drawn at random",
    )
    p.add_argument(
        "--calibration-count",
        type=int,
        default=16,
        metavar="N",
        help="calibration images used by --int8",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing ONNX file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``export``; returns 0."""
    calibration = None
    if args.int8:
        calibration = pick_images(args.int8, args.calibration_count)
    out = export_checkpoint(
        args.checkpoint,
        args.onnx,
        tile_size=args.tile_size,
        overlap_percent=round(args.overlap * 100),
        overwrite=args.overwrite,
        calibration=calibration,
    )
    print(f"wrote {out}")
    return 0
