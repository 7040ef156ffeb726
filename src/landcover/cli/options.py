"""Command-line options shared by the commands that read a dataset folder."""

from __future__ import annotations

import argparse

from landcover.data.pairs import Discovery, find_pairs
from landcover.errors import LandcoverError
from landcover.io.bands import BandSpec, parse_band_list
from landcover.schema import BUILTIN_SCHEMAS, ClassSchema, get_schema


def parse_bands(text: str) -> list[BandSpec]:
    """Parse ``--bands``: 1-based band numbers or band names, e.g. ``3,2,1`` or ``red,nir``."""
    bands = parse_band_list(text)
    if not bands or any(isinstance(b, int) and b < 1 for b in bands):
        raise argparse.ArgumentTypeError(
            f"expected 1-based band numbers or names like 3,2,1 or red,green,blue, got {text!r}"
        )
    return bands


def parse_fraction(text: str) -> float:
    """Parse a fraction in [0, 1) for argparse, e.g. ``--overlap 0.25``; a percent is refused."""
    try:
        value = float(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected a fraction like 0.25, got {text!r}") from e
    if not 0.0 <= value < 1.0:
        hint = f" (a fraction, not a percent: {value / 100:g})" if 1 <= value < 100 else ""
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}{hint}")
    return value


def add_bands_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--bands``: the raster bands read, by 1-based number or by name."""
    parser.add_argument(
        "--bands",
        type=parse_bands,
        metavar="B,B,B",
        help="raster bands to read, by 1-based number (4,3,2) or by name matched "
        "case-insensitively against the band descriptions and colour interpretation "
        "(red,green,blue,nir): three, used as RGB (default, for more than 3 bands: the red, "
        "green and blue bands by their colour interpretation or descriptions, else 1,2,3 with "
        "a warning; required for 2 bands), or as many as a model of other bands reads (default: "
        "the bands it was trained on) or, for a scene list, as many as to train on",
    )


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
    """Find the pairs and load the schema named by :func:`add_dataset_options` options.

    Raises:
        LandcoverError: when the folder holds no image/mask pair.
    """
    schema = get_schema(args.schema)
    found = find_pairs(args.dir, args.image_glob, args.mask_glob)
    if not found.pairs:
        raise LandcoverError("no image/mask pairs found (see 'landcover check')", args.dir)
    return found, schema


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show an option's default unless it is None, False, or the help already names one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        if isinstance(action, argparse._StoreFalseAction):  # "--no-x": the default is "x on"
            return text
        return super()._get_help_string(action)
