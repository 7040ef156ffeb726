"""``landcover report``: write the HTML report of a ``predict`` run or an ``evaluate`` report."""

from __future__ import annotations

import argparse

from landcover.cli.options import HelpFormatter
from landcover.report import write_report


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``report`` sub-command."""
    p = subparsers.add_parser(
        "report",
        help="write an HTML report (map viewer, summary, tables) of a predict or evaluate folder",
        description="Write DIR/index.html, one page that opens by double-click (file://, no "
        "network, no server) with its files in DIR/report_assets/. For a 'landcover predict' "
        "folder: the run's summary (GSD used, scenes, hectares per class from areas.csv, a "
        "chart of class shares), a map viewer (OpenLayers) showing each scene in its own CRS "
        "with its image, class map (opacity, swipe), legend with hectares, a click that tells "
        "the class and confidence, and the polygons of --vector, and a sortable table of the "
        "scenes. For a 'landcover evaluate' folder (it holds metrics.json): the scores, IoU "
        "per class, the confusion matrix, the galleries and the per-image and flag tables.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "folder",
        metavar="DIR",
        help="output folder of 'landcover predict' (holds *_classes.tif) or of "
        "'landcover evaluate' (holds metrics.json)",
    )
    p.add_argument(
        "--model-name",
        default=None,
        metavar="TEXT",
        help="the model to name in a run's summary (a predict folder does not record it; "
        "'predict --report' fills it in)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an index.html already in DIR")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the report and print the path of its page."""
    page = write_report(
        args.folder, model=args.model_name, overwrite=args.overwrite, progress=not args.quiet
    )
    print(f"report: {page}")
    return 0
