"""``landcover evaluate``: score a model on labelled images and write a report."""

from __future__ import annotations

import argparse
import sys

from landcover.cli.model_options import add_gsd_options, add_model_options, add_window_options
from landcover.cli.options import HelpFormatter, add_bands_option
from landcover.errors import LandcoverError
from landcover.evaluation.run import evaluate
from landcover.report import write_evaluation_report


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``evaluate`` sub-command."""
    p = sub.add_parser(
        "evaluate",
        help="score a model against masks: metrics, confusion matrix, galleries, label flags",
        description="Predict every image of a labelled dataset exactly as 'landcover predict' "
        "does (the same function: same GSD rules, argmax at the model's GSD), at the masks' "
        "full resolution, and score it with one confusion matrix over the whole set "
        "(DeepGlobe convention: mIoU over every class but the ignored one). Writes "
        "metrics.json, confusion.csv/.png, per_image.csv, flags.csv (areas where a confident "
        "model disagrees with the mask: labels worth reviewing) and PNG galleries of the "
        "worst, best, random and flagged images, and index.html, all of it on one page "
        "(see 'landcover report').",
        formatter_class=HelpFormatter,
    )
    _add_data_options(p)
    add_model_options(p)
    add_gsd_options(p)
    add_window_options(p)
    add_bands_option(p)
    _add_report_options(p)
    p.set_defaults(func=run)


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        required=True,
        metavar="DIR",
        help="dataset folder with image/mask pairs (<id>_sat.jpg + <id>_mask.png, "
        "or images/ and masks/), or a scene list (YAML/CSV) scored on the --subset blocks of "
        "its --split GeoPackage, each at its scene's GSD",
    )
    p.add_argument("--out", required=True, metavar="REPORT", help="report folder to write")
    p.add_argument(
        "--split",
        default=None,
        metavar="CSV",
        help="split CSV from 'landcover split' (scene lists: its GeoPackage of blocks); "
        "evaluate only its --subset",
    )
    p.add_argument(
        "--subset",
        default="test",
        choices=("train", "val", "test"),
        help="which part of --split to evaluate",
    )
    p.add_argument(
        "--schema",
        default=None,
        metavar="NAME|YAML",
        help="class schema of the masks (deepglobe, dubai or a YAML file); its classes are "
        "matched to the model's by name; default: the model's",
    )


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--gallery",
        type=int,
        default=4,
        metavar="N",
        help="images in each gallery (worst, best, random, flagged); 0 for none",
    )
    p.add_argument(
        "--flag-threshold",
        type=float,
        default=0.9,
        metavar="P",
        help="smallest model probability for a disagreement with the mask to be flagged",
    )
    p.add_argument(
        "--min-area",
        type=float,
        default=0.05,
        metavar="F",
        help="smallest flagged connected area, as a fraction of the image",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random gallery")
    p.add_argument("--overwrite", action="store_true", help="replace a report already in --out")


def run(args: argparse.Namespace) -> int:
    """Run the evaluation, print the summary; exit code 1 when some pairs were skipped."""
    if not 0.0 <= args.flag_threshold <= 1.0:
        raise LandcoverError(f"--flag-threshold {args.flag_threshold} must be in [0, 1]")
    if not 0.0 < args.min_area <= 1.0:
        raise LandcoverError(f"--min-area {args.min_area} must be in (0, 1]")
    if args.gallery < 0:
        raise LandcoverError(f"--gallery {args.gallery} must be 0 or more")
    result = evaluate(
        args.model,
        args.data,
        args.out,
        split=args.split,
        subset=args.subset,
        schema=args.schema,
        gsd_m=args.gsd,
        estimate=args.estimate,
        backend=args.backend,
        precision=args.precision,
        gallery=args.gallery,
        flag_threshold=args.flag_threshold,
        min_area=args.min_area,
        overlap=args.overlap,
        tta=args.tta,
        seed=args.seed,
        bands=args.bands,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(result.summary())
    flagged = len({f.image for f in result.flags})
    print(f"{flagged} images flagged for label review; report in {result.out}")
    page = write_evaluation_report(result.out, overwrite=args.overwrite)
    print(f"report: {page}")
    if result.failed:
        print(f"landcover evaluate: {len(result.failed)} pairs skipped:", file=sys.stderr)
        for _key, message in result.failed:
            print(f"  {message}", file=sys.stderr)
        return 1
    return 0
