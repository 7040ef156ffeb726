"""``landcover check DIR``: validate image/mask pairs before training or scoring."""

from __future__ import annotations

import argparse
import json

from landcover.cli.options import HelpFormatter, add_bands_option, add_dataset_options
from landcover.data.check import check_dataset, format_report
from landcover.data.scenes import is_scene_list
from landcover.errors import require_extra
from landcover.schema import get_schema


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``check`` sub-command."""
    p = subparsers.add_parser(
        "check",
        help="validate image/mask pairs",
        description="Find image/mask pairs and report, in one table: pairs, unpaired files, "
        "unreadable or truncated files, image/mask size mismatches, and masks with off-palette "
        "colours (count and colours; a warning: those pixels are ignored). Exit code 0 when "
        "there is no error, 1 otherwise. DIR may also be a scene list (YAML/CSV of rasters with "
        "polygon or raster labels): each scene is opened and its labels read, one line each.",
        formatter_class=HelpFormatter,
    )
    add_dataset_options(p)
    add_bands_option(p)
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"pairs": N, "errors": [...], "warnings": [...]} instead of the table',
    )
    p.add_argument(
        "--limit",
        type=int,
        default=20,
        help="most files listed per row of the table (--json lists all)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``check``; returns 0 when there is no error, 1 otherwise."""
    if is_scene_list(args.dir):
        return run_scenes(args)
    report = check_dataset(
        args.dir,
        get_schema(args.schema),
        args.image_glob,
        args.mask_glob,
        progress=not (args.quiet or args.json),
        bands=args.bands,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_report(report, limit=args.limit))
    return 0 if report.ok else 1


def run_scenes(args: argparse.Namespace) -> int:
    """``check`` of a scene list: one line per scene or problem; 1 when any scene is unusable."""
    require_extra("pyogrio", "gis", "scene lists")
    # Lazy: pyogrio (vector labels) is the optional [gis] extra.
    from landcover.data.scene_check import check_scenes, format_scene_report

    report = check_scenes(args.dir, get_schema(args.schema), args.bands)
    print(format_scene_report(report, args.dir))
    return 0 if report.ok else 1
