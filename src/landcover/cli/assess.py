"""``landcover assess points.gpkg --out REPORT``: accuracy and error-adjusted areas."""

from __future__ import annotations

import argparse
import logging

from landcover.accuracy.assess import assess
from landcover.accuracy.report import assessment_record, markdown, write_report
from landcover.cli.options import HelpFormatter


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``assess`` sub-command."""
    p = subparsers.add_parser(
        "assess",
        help="accuracy and error-adjusted areas from labelled sample points",
        description="Estimate the accuracy of a map and its areas corrected for its errors, "
        "from the points of 'landcover sample' once their 'reference' column is filled in "
        "(class name or index; empty = not labelled, left out), following Olofsson et al. "
        "(2014) and Stehman (2014): the error matrix in estimated area proportions; overall, "
        "user's and producer's accuracy and error-adjusted hectares, each with a 95 % "
        "confidence interval; quantity and allocation disagreement instead of kappa. Writes "
        "REPORT/accuracy.json, areas.csv, error_matrix.csv, areas.png, report.md and "
        "report.html.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("points", metavar="POINTS", help="points.gpkg or points.csv, labelled")
    p.add_argument("--out", required=True, metavar="REPORT", help="report folder (created)")
    p.add_argument(
        "--map", nargs="+", metavar="MAP", dest="maps",
        help="the class rasters sampled (default: those recorded in <points>_design.json)",
    )  # fmt: skip
    p.add_argument(
        "--strata", nargs="+", metavar="RASTER", help="stratum rasters, if sampled by them"
    )
    p.add_argument(
        "--reference", nargs="+", metavar="MASK",
        help="read the reference class from label masks (one per map, same grid, in the same "
        "order) instead of the 'reference' column: a quick check against ground truth",
    )  # fmt: skip
    p.add_argument("--schema", help="class schema of the --reference masks (default: the maps')")
    p.add_argument(
        "--gsd", type=float, metavar="M", help="metres per pixel of maps that are not georeferenced"
    )
    p.add_argument("--overwrite", action="store_true", help="replace a report already in REPORT")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``assess``; prints the summary table."""
    a = assess(
        args.points, args.maps, strata=args.strata, reference_masks=args.reference,
        schema=args.schema, gsd_m=args.gsd,
    )  # fmt: skip
    for w in a.result.warnings:
        logging.getLogger("landcover").warning(w)
    files = write_report(a, args.out, args.overwrite)
    md = markdown(assessment_record(a))
    print("\n".join(line for line in md.splitlines()[2:] if line and not line.startswith("!")))
    print(f"report: {files[-1]}")
    return 0
