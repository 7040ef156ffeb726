"""``landcover split DIR --out split.csv``: reproducible train/val/test split keeping groups."""

from __future__ import annotations

import argparse
from pathlib import Path

from landcover.cli.options import HelpFormatter, add_dataset_options, dataset_from_args
from landcover.data.pairs import usable_pairs
from landcover.data.scenes import is_scene_list
from landcover.data.split import read_groups, split_counts, split_pairs, write_split
from landcover.errors import LandcoverError, LandcoverIOError, require_extra
from landcover.schema import get_schema


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``split`` sub-command."""
    p = subparsers.add_parser(
        "split",
        help="train/val/test split keeping tiles together",
        description="Split the pairs of DIR into train, val and test (fractions counted in "
        "images), reproducibly for a given seed, keeping every group in one split. Writes a "
        "CSV with the header 'file,split' (file = image path relative to DIR). Pairs with a "
        "missing, empty, unopenable or folder-named image or mask are left out and listed at "
        "the end, with exit code 1 ('landcover check' also decodes every file). DIR may also be a "
        "scene list (YAML/CSV of rasters with polygon or raster labels): the split is then by "
        "square blocks of --block-size metres, written as a GeoPackage (--out NAME.gpkg) that "
        "opens in QGIS and that 'train --split' reads.",
        formatter_class=HelpFormatter,
    )
    add_dataset_options(p)
    p.add_argument("--out", required=True, metavar="CSV", help="split file to write")
    p.add_argument("--val", type=float, default=0.15, help="fraction of images for validation")
    p.add_argument("--test", type=float, default=0.15, help="fraction of images for testing")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "--groups",
        metavar="CSV:COLUMN",
        help="keep images with the same COLUMN value of CSV in one split, e.g. "
        "tiles.csv:deepglobe_id (the CSV's 'image' column is relative to the CSV; it is "
        "looked up as given, then in DIR and its parent; images without a value are a group "
        "of their own)",
    )
    p.add_argument(
        "--block-size",
        type=float,
        default=500.0,
        metavar="M",
        help="scene lists: side in metres of the square blocks dealt to the splits",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing split file")
    p.set_defaults(func=run)


def run_scenes(args: argparse.Namespace) -> int:
    """Split a scene list by geographic blocks into a GeoPackage; prints the blocks per split."""
    require_extra("pyogrio", "gis", "scene lists")
    # Lazy: pyogrio (vector labels, the GeoPackage) is the optional [gis] extra.
    from landcover.data.scene_split import SUBSETS, split_scene_list

    blocks = split_scene_list(
        args.dir, get_schema(args.schema), args.out, args.block_size, args.val, args.test,
        args.seed, args.overwrite,
    )  # fmt: skip
    for name in SUBSETS:
        c = sum(b.split == name for b in blocks)
        print(f"{name:<5}  {c:>6}  {100 * c / len(blocks):5.1f}%")
    print(f"{len(blocks)} labelled blocks of {args.block_size:g} m; wrote {args.out}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``split``; prints the number of images per split; 1 when some pairs were left out."""
    if is_scene_list(args.dir):
        return run_scenes(args)
    found, _ = dataset_from_args(args)
    pairs, bad = usable_pairs(found.pairs)
    if not pairs:
        raise LandcoverError(
            f"none of the {len(found.pairs)} pairs can be used (first: {bad[0][0]}: {bad[0][1]})",
            args.dir,
        )
    out = Path(args.out)
    if out.is_dir():
        raise LandcoverIOError("is a folder; --out names the split CSV file", out)
    if out.exists() and not args.overwrite:
        raise LandcoverError("already exists; use --overwrite to replace it", out)
    groups = read_groups(args.groups, pairs, args.dir) if args.groups else None
    mapping = split_pairs(pairs, args.val, args.test, args.seed, groups)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LandcoverIOError(f"cannot create folder ({e.strerror})", out.parent) from e
    write_split(out, mapping)
    counts = split_counts(mapping)
    n = len(mapping)
    for name, c in counts.items():
        print(f"{name:<5}  {c:>6}  {100 * c / n:5.1f}%")
    grouped = f", {len(set(groups.values()))} groups from {args.groups}" if groups else ""
    print(f"{n} images{grouped}; wrote {out}")
    if bad:
        print(f"{len(bad)} files left out of the split:")
        for path, problem in bad:
            print(f"  {path}: {problem}")
        return 1
    return 0
