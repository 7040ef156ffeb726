"""``landcover stats DIR --out OUT``: class distribution of a dataset (JSON, CSV, chart)."""

from __future__ import annotations

import argparse
from pathlib import Path

from landcover.cli.options import HelpFormatter, add_dataset_options, dataset_from_args
from landcover.data.scenes import is_scene_list
from landcover.data.stats import (
    CHART_PNG,
    PER_IMAGE_CSV,
    STATS_JSON,
    DatasetStats,
    compute_stats,
    write_per_image_csv,
    write_stats_json,
)
from landcover.errors import LandcoverError, require_extra
from landcover.io.atomic import prepare_output_dir
from landcover.schema import get_schema
from landcover.viz.distribution import plot_class_distribution


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``stats`` sub-command."""
    p = subparsers.add_parser(
        "stats",
        help="class distribution (JSON, CSV, chart)",
        description=f"Count the pixels of each class over all masks and write OUT/{STATS_JSON} "
        f"(classes, pixel_counts, fractions, images), OUT/{PER_IMAGE_CSV} (class fractions and "
        f"presence per image) and OUT/{CHART_PNG} (bar chart in the class colours). A mask "
        "that cannot be read is listed at the end and makes the exit code 1. DIR may also be a "
        "scene list: each scene's labels are counted on its own grid (unlabelled pixels in "
        "the ignored class).",
        formatter_class=HelpFormatter,
    )
    add_dataset_options(p)
    p.add_argument("--out", required=True, metavar="OUT", help="output folder (created if needed)")
    p.add_argument("--overwrite", action="store_true", help="replace results already in OUT")
    p.set_defaults(func=run)


def _scene_stats(args: argparse.Namespace) -> DatasetStats:
    """Stats of a scene list: each scene's labels counted on its own grid."""
    require_extra("pyogrio", "gis", "scene lists")
    # Lazy: pyogrio (vector labels) is the optional [gis] extra.
    from landcover.data.scene_stats import scene_stats

    prepare_output_dir(args.out, [STATS_JSON, PER_IMAGE_CSV, CHART_PNG], args.overwrite)
    return scene_stats(args.dir, get_schema(args.schema))


def run(args: argparse.Namespace) -> int:
    """Run ``stats``; returns 0 when every mask was counted, 1 otherwise."""
    stats = _scene_stats(args) if is_scene_list(args.dir) else None
    if stats is None:
        found, schema = dataset_from_args(args)
        out = prepare_output_dir(args.out, [STATS_JSON, PER_IMAGE_CSV, CHART_PNG], args.overwrite)
        stats = compute_stats(found.pairs, schema, progress=not args.quiet)
    schema, out = stats.schema, Path(args.out)
    if not stats.images:
        what = "scenes" if is_scene_list(args.dir) else "masks"
        raise LandcoverError(f"none of the {len(stats.failures)} {what} could be read", args.dir)
    write_stats_json(stats, out / STATS_JSON)
    write_per_image_csv(stats, out / PER_IMAGE_CSV)
    plot_class_distribution(
        schema.classes,
        stats.fractions.tolist(),
        schema.colors,
        out / CHART_PNG,
        title=f"Class distribution ({len(stats.images)} masks, schema {schema.name})",
        ignored=schema.ignore_index,
    )
    counts, fractions = stats.pixel_counts, stats.fractions
    width = max(len(n) for n in schema.classes)
    print(f"{'class':<{width}}  {'pixels':>14}  {'share':>7}")
    for name, n, f in zip(schema.classes, counts, fractions, strict=True):
        print(f"{name:<{width}}  {int(n):>14,}  {100 * f:>6.2f}%")
    off = [m for m in stats.images if m.off_palette]
    if off:
        print(
            f"warning: {stats.off_palette} off-palette pixels in {len(off)} masks "
            "(counted as ignored; see 'landcover check')"
        )
    print(
        f"{len(stats.images)} masks counted; wrote {STATS_JSON}, {PER_IMAGE_CSV}, "
        f"{CHART_PNG} in {out}"
    )
    if stats.failures:
        print(f"{len(stats.failures)} masks could not be read:")
        for path, problem in stats.failures:
            print(f"  {path}: {problem}")
        return 1
    return 0
