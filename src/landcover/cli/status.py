"""``landcover status DIR``: done, failed and pending scenes of a ``predict`` run."""

from __future__ import annotations

import argparse

from landcover.batch.records import run_status
from landcover.cli.options import HelpFormatter
from landcover.wording import plural


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``status`` sub-command."""
    p = subparsers.add_parser(
        "status",
        help="done / failed / pending scenes of a predict run",
        description="List the scenes of the 'predict' run in DIR: done (outputs in place), "
        "failed (with the one-line reason) and pending (not mapped yet: run the same predict "
        "command again to finish them). Exit code 0 when all are done, 1 otherwise.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("dir", metavar="DIR", help="the --out folder of a predict run")
    p.add_argument("--list", action="store_true", help="name every scene, not only the counts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the run's status; 0 when every scene is done."""
    st = run_status(args.dir)
    total = len(st.done) + len(st.failed) + len(st.pending)
    print(f"{args.dir}: {len(st.done)} done, {len(st.failed)} failed, {len(st.pending)} pending "
          f"of {plural(total, 'scene')}")  # fmt: skip
    for stem, reason in st.failed.items():
        print(f"failed   {stem}: {reason}")
    if args.list:
        for stem in st.pending:
            print(f"pending  {stem}")
        for stem in st.done:
            print(f"done     {stem}")
    return 0 if len(st.done) == total else 1
