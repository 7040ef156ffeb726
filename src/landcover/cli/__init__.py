"""Command-line entry point: argument parsing only; every command calls a library function.

Each command lives in its own module ``landcover.cli.<command>`` exposing
``add_parser(subparsers)``, which registers the sub-command and sets ``func`` to a callable
taking the parsed arguments and returning an exit code. Command modules must not import torch
at module level.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from landcover import __version__
from landcover.cli.console import configure_logging
from landcover.errors import LandcoverError

COMMANDS = (
    "check",
    "stats",
    "split",
    "train",
    "evaluate",
    "predict",
    "vectorize",
    "status",
    "export",
    "models",
    "sample",
    "assess",
    "zonal",
    "change",
    "report",
)

EPILOG = """\
typical workflow:
  landcover check DATA                              validate image/mask pairs
  landcover stats DATA --out OUT                    class distribution (JSON, CSV, chart)
  landcover split DATA --out split.csv              train/val/test split keeping tiles together
  landcover train --data DATA --out RUN             train a model (needs landcover[train])
  landcover evaluate --data DATA --out REPORT       score a model on labelled images
  landcover predict IMAGE... --out DIR              map land cover (bundled model by default)
  landcover status DIR                              done / failed / pending scenes of a predict run
  landcover report DIR                              HTML report with a map viewer (DIR/index.html)
  landcover vectorize MAP.tif --out map.gpkg        polygons with areas and a QGIS style
  landcover zonal MAP.tif REGIONS.gpkg --out t.csv  hectares of each class per region
  landcover change BEFORE.tif AFTER.tif --out DIR   from-to matrix, gains/losses, change map
  landcover sample MAP... --out points.gpkg         stratified sample to label (accuracy)
  landcover assess points.gpkg --out REPORT         accuracy and error-adjusted areas

Run 'landcover COMMAND --help' for the options of each command.
"""


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """Build the top-level parser with the given (by default every) sub-command."""
    parser = argparse.ArgumentParser(
        prog="landcover",
        description="Turn satellite imagery into land-cover maps.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"landcover {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks instead of one-line errors"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only print warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands:
        try:
            module = importlib.import_module(f"landcover.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"landcover.cli.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``landcover`` command; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Import only the command being run (start-up time matters for 'predict'); all for help.
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser([command] if command in COMMANDS else COMMANDS)
    args = parser.parse_args(argv)
    configure_logging(args.quiet, args.debug)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LandcoverError as e:
        if args.debug:
            raise
        print(f"landcover {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"landcover {args.command}: interrupted; finished outputs are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
