"""``landcover zonal``: land cover per region polygon (hectares and shares of each class)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from landcover.cli.options import HelpFormatter
from landcover.errors import InputError
from landcover.gis.regions import read_regions
from landcover.gis.zonal import zonal_table
from landcover.gis.zonal_output import write_zonal

SHOWN_ROWS = 20
PROGRESS_MIN_REGIONS = 50


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``zonal`` sub-command."""
    p = subparsers.add_parser(
        "zonal",
        help="land cover per region polygon: hectares and share of each class",
        description="Sum each class raster inside each region polygon with exact partial-pixel "
        "coverage (exactextract): a polygon covering half a pixel counts half of it. Areas are "
        "true ground hectares (per-row pixel areas on longitude/latitude grids). Regions in any "
        "CRS are reprojected to each raster's CRS. Per region: total_ha (its ground area), "
        "valid_ha and valid_fraction (the part covered by valid, non-nodata pixels of the "
        "raster), <class>_ha and <class>_share (share of the valid area). Regions off the "
        "raster are kept with valid_fraction 0 and named in a warning. Needs the [gis] extra.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="CLASSES.tif",
        help="one or more class rasters (from 'landcover predict'), then the regions file: "
        "GeoPackage, GeoJSON, Shapefile or any polygon layer GDAL reads",
    )
    p.add_argument(
        "--field",
        metavar="NAME",
        help="attribute that names each region (default: the feature id, column 'fid')",
    )
    p.add_argument("--layer", metavar="NAME", help="layer of the regions file (default: first)")
    p.add_argument(
        "--out",
        required=True,
        metavar="TABLE",
        help="table to write: .csv (one row per raster and region, the raster's path first) or "
        ".gpkg (one layer per raster: the region polygons with the table joined)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace TABLE if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``zonal``; 0 on success."""
    if len(args.inputs) < 2:
        raise InputError("give one or more class rasters, then the regions file")
    *rasters, regions_path = args.inputs
    regions = read_regions(regions_path, field=args.field, layer=args.layer)
    # exactextract's bar advances per region: worth showing for many regions only.
    progress = not args.quiet and len(regions) >= PROGRESS_MIN_REGIONS
    results = [zonal_table(r, regions, progress=progress) for r in rasters]
    out = write_zonal(results, args.out, overwrite=args.overwrite)
    for result in results:
        print(summary_table(str(result.raster), result.regions.key, result.rows()))
    print(f"wrote {out} ({len(regions)} regions x {len(results)} raster(s))")
    return 0


def summary_table(title: str, key: str, rows: Sequence[dict[str, Any]]) -> str:
    """A short text table: region, ground area, valid fraction and the largest class."""
    lines = [title, f"  {key:<20} {'total_ha':>12} {'valid':>7}  largest class"]
    for row in rows[:SHOWN_ROWS]:
        shares = {k[: -len("_share")]: v for k, v in row.items() if k.endswith("_share")}
        present = {k: v for k, v in shares.items() if v == v}  # NaN: no valid pixel
        top = max(present, key=lambda k: present[k]) if present else None
        largest = f"{top} ({present[top]:.1%})" if top else "-"
        name = str(row[key])[:20]
        lines.append(
            f"  {name:<20} {row['total_ha']:>12.2f} {row['valid_fraction']:>7.1%}  {largest}"
        )
    if len(rows) > SHOWN_ROWS:
        lines.append(f"  ... {len(rows) - SHOWN_ROWS} more regions in the table")
    return "\n".join(lines)
