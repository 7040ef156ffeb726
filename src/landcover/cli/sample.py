"""``landcover sample MAP.tif... --out points.gpkg``: a stratified random sample to label."""

from __future__ import annotations

import argparse

from landcover.accuracy.design import draw_sample
from landcover.cli.options import HelpFormatter, parse_fraction
from landcover.errors import InputError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``sample`` sub-command."""
    p = subparsers.add_parser(
        "sample",
        help="draw a stratified random sample of points to label (accuracy assessment)",
        description="Draw a stratified random sample of pixels from class rasters (the maps of "
        "a 'predict' run, taken together as one map; nodata excluded), following Olofsson et "
        "al. (2014): strata are the map classes (or --strata rasters), the sample size meets "
        "a target standard error of overall accuracy, rare classes get a minimum. Writes the "
        "points (GeoPackage, plus a CSV beside it) with an empty 'reference' column to fill "
        "in (class name or index) in QGIS or a spreadsheet, and <name>_design.json with the "
        "strata areas. Then run 'landcover assess'.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("maps", nargs="+", metavar="MAP", help="class rasters (<stem>_classes.tif)")
    p.add_argument(
        "--out", required=True, metavar="FILE", help="points.gpkg (and points.csv) or points.csv"
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--size", type=int, metavar="N", help="total points (default: from --target-se)"
    )
    size.add_argument(
        "--target-se", type=parse_fraction, default=0.01, metavar="SE",
        help="target standard error of overall accuracy (Olofsson et al. 2014, eq. 13)",
    )  # fmt: skip
    p.add_argument(
        "--users-accuracy", metavar="U[,U...]", default=None,
        help="anticipated user's accuracy: one value for all strata, or one per stratum "
        "(default 0.8)",
    )  # fmt: skip
    p.add_argument(
        "--min-per-class", type=int, default=50, metavar="N", help="points at least per stratum"
    )
    p.add_argument("--strata", nargs="+", metavar="RASTER", help="stratum rasters, one per map")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same points)")
    p.add_argument(
        "--gsd", type=float, metavar="M", help="metres per pixel of maps that are not georeferenced"
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing point files")
    p.set_defaults(func=run)


def _users_accuracy(text: str | None) -> list[float] | None:
    if text is None:
        return None
    return [parse_fraction(v) for v in text.split(",")]


def run(args: argparse.Namespace) -> int:
    """Run ``sample``; prints the points per stratum."""
    ua = _users_accuracy(args.users_accuracy)
    if args.size and ua:
        raise InputError("--users-accuracy sets the size with --target-se: drop --size")
    result = draw_sample(
        args.maps, args.out, strata=args.strata, total=args.size,
        target_se=None if args.size else args.target_se, users_accuracy=ua,
        minimum=args.min_per_class, seed=args.seed, gsd_m=args.gsd, overwrite=args.overwrite,
    )  # fmt: skip
    t = result.table
    width = max(len(n) for n in t.stratum_names)
    print(f"{'stratum':<{width}}  {'hectares':>12}  {'points':>6}")
    for h, name in enumerate(t.stratum_names):
        print(f"{name:<{width}}  {t.hectares[:, h].sum():>12,.1f}  {result.sizes[h]:>6}")
    print(f"{sum(result.sizes)} points: " + ", ".join(str(f) for f in result.files))
    return 0
