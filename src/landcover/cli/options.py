"""Command-line options shared by the commands that read a dataset folder."""

from __future__ import annotations

import argparse

from landcover.data.pairs import Discovery, find_pairs
from landcover.schema import BUILTIN_SCHEMAS, ClassSchema, get_schema


def add_dataset_options(parser: argparse.ArgumentParser) -> None:
    """Add ``DIR``, ``--schema``, ``--image-glob`` and ``--mask-glob`` to ``parser``."""
    parser.add_argument(
        "dir",
        metavar="DIR",
        help="dataset folder: <name>_sat.jpg + <name>_mask.png files (searched recursively), "
        "or images/ + masks/ folders, or any layout with --image-glob/--mask-glob",
    )
    parser.add_argument(
        "--schema",
        default="deepglobe",
        help=f"class schema of the masks: {' or '.join(sorted(BUILTIN_SCHEMAS))}, "
        "or a YAML file (classes with name and color, ignore, match)",
    )
    parser.add_argument(
        "--image-glob",
        metavar="PATTERN",
        help="images relative to DIR, with one '*' (e.g. 'img/*.tif'); needs --mask-glob",
    )
    parser.add_argument(
        "--mask-glob",
        metavar="PATTERN",
        help="masks relative to DIR, with one '*' standing for the same text as in --image-glob",
    )


def dataset_from_args(args: argparse.Namespace) -> tuple[Discovery, ClassSchema]:
    """Find the pairs and load the schema named by :func:`add_dataset_options` options."""
    schema = get_schema(args.schema)
    return find_pairs(args.dir, args.image_glob, args.mask_glob), schema
