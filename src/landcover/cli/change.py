"""``landcover change``: change between two class maps of the same place."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from landcover.cli.options import HelpFormatter
from landcover.gis.change import change_between

if TYPE_CHECKING:
    from landcover.gis.change_stats import ChangeResult


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``change`` sub-command."""
    p = subparsers.add_parser(
        "change",
        help="change between two class maps: from-to matrix, gains/losses, change raster",
        description="Compare two class rasters of the same place (two dates), block by block "
        "(memory does not grow with the rasters). Writes into DIR: matrix_pixels.csv and "
        "matrix_ha.csv (from-to matrices, rows: before, columns: after, true ground "
        "hectares), summary.csv and change.json (per class: before, after, persistence, gain, "
        "loss, net = gain - loss, swap = 2 min(gain, loss)), change.tif (code = before * K + "
        "after, nodata where either map is nodata, colour table, a legend naming each code "
        "'from -> to'), change_matrix.png (heat map) and change_flows.png (flows between "
        "classes). Both maps must name the same classes. Comparing two classified maps "
        "compounds their errors: part of the apparent change is classification error.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("before", metavar="BEFORE.tif", help="class raster of the first date")
    p.add_argument(
        "after",
        metavar="AFTER.tif",
        help="class raster of the second date, same classes (and grid, unless --align)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument(
        "--align",
        action="store_true",
        help="reproject AFTER onto the grid (CRS, transform, size) of BEFORE with nearest "
        "neighbour resampling; without it rasters on different grids are refused",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace results already in the output folder"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``change``; 0 on success."""
    result = change_between(
        args.before,
        args.after,
        args.out,
        align=args.align,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(summary_table(result))
    print(f"wrote {len(result.files)} files to {result.out_dir}")
    return 0


def summary_table(result: ChangeResult) -> str:
    """Per class: before, after, gain, loss, net and swap, then the whole-map totals."""
    s, unit = result.stats, result.unit
    heads = ("before", "after", "gain", "loss", "net", "swap")
    lines = [f"{'class (' + unit + ')':<20}" + "".join(f"{h:>12}" for h in heads)]
    for k, name in enumerate(result.legend.names):
        if s.before[k] == 0 and s.after[k] == 0:
            continue
        values = (s.before[k], s.after[k], s.gain[k], s.loss[k], s.net[k], s.swap[k])
        lines.append(f"{name:<20}" + "".join(f"{v:>12.2f}" for v in values))
    t = s.totals()
    share = t["changed"] / t["total"] if t["total"] else 0.0
    lines.append(
        f"changed {t['changed']:.2f} of {t['total']:.2f} {unit} ({share:.1%}): "
        f"net (quantity) {t['net']:.2f}, swap (exchange) {t['swap']:.2f}"
    )
    return "\n".join(lines)
