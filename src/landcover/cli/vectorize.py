"""``landcover vectorize``: polygons of a class raster (GeoPackage, GeoJSON, FlatGeobuf)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from landcover.cli.options import HelpFormatter
from landcover.gis.vectorize import vectorize

if TYPE_CHECKING:
    from landcover.gis.vectorize import VectorResult


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``vectorize`` sub-command."""
    p = subparsers.add_parser(
        "vectorize",
        help="polygons of a class raster, with areas and a QGIS style (needs landcover[gis])",
        description="Turn a class raster (e.g. predict's <stem>_classes.tif) into polygons: one "
        "per 4-connected patch of a class (diagonal pixels are two polygons; every class is "
        "kept, nodata is not). Fields: class_id, class_name, area_ha (true ground area, in "
        "any CRS), perimeter_m, and confidence (mean model confidence, 0-1) when a confidence "
        "raster is found. Shared borders stay shared after simplification (no gaps or "
        "overlaps). The suffix of --out picks the format; a QGIS style <stem>.qml is written "
        "beside it (and stored in the GeoPackage). Reads the raster in strips: memory does not "
        "grow with its size.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("raster", metavar="CLASSES.tif", help="class raster (integer GeoTIFF)")
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="polygon file: .gpkg (GeoPackage), .geojson (WGS84 longitude/latitude, RFC 7946) "
        "or .fgb (FlatGeobuf), in the raster's CRS except GeoJSON",
    )
    p.add_argument(
        "--mmu",
        type=float,
        default=0.0,
        metavar="HA",
        help="minimum mapping unit in hectares: patches smaller than this take the class of "
        "their largest neighbour before polygonizing, so no hole is left (GDAL's sieve rule; "
        "0: keep every patch)",
    )
    p.add_argument(
        "--simplify",
        type=float,
        metavar="METRES",
        help="simplification tolerance in ground metres (0: none, polygons follow pixel edges; "
        "default: one pixel of the map, i.e. of the model that made it when coarser, as "
        "recorded by predict)",
    )
    p.add_argument(
        "--confidence",
        metavar="CONF.tif",
        help="confidence raster on the same grid (uint8, 255 = 1.0; predict --confidence) "
        "averaged per polygon (default: <stem>_confidence.tif beside <stem>_classes.tif)",
    )
    p.add_argument(
        "--gsd",
        type=float,
        metavar="METRES",
        help="metres per pixel of a raster without georeferencing (for areas, --mmu, "
        "--simplify); such polygons are placed at x = column, y = -row, as QGIS shows it",
    )
    p.add_argument("--layer", help="layer name (default: the file's stem)")
    p.add_argument("--overwrite", action="store_true", help="replace FILE and its .qml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``vectorize``; prints what was written and the hectares per class."""
    result = vectorize(
        args.raster,
        args.out,
        mmu_ha=args.mmu,
        simplify_m=args.simplify,
        confidence_tif=args.confidence,
        gsd_m=args.gsd,
        layer=args.layer,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(summary(result))
    return 0


def summary(result: VectorResult) -> str:
    """What :func:`~landcover.gis.vectorize.vectorize` wrote, as a short table."""
    how = []
    if result.merged_patches:
        how.append(f"{result.merged_patches} patches under the MMU merged")
    if result.tolerance_px:
        metres = f"{result.tolerance_m:.3g} m" if result.tolerance_m else "-"
        how.append(f"simplified at {metres} ({result.tolerance_px:.3g} px)")
    else:
        how.append("not simplified")
    if result.confidence:
        how.append(f"confidence from {result.confidence.name}")
    lines = [
        f"{result.path} (layer {result.layer}): {result.features} polygons in "
        f"{result.seconds:.1f} s; {', '.join(how)}",
        f"{'class':<20} {'polygons':>9} {'hectares':>12}",
    ]
    for c in result.classes:
        ha = f"{c['hectares']:12.2f}" if c["hectares"] == c["hectares"] else f"{'-':>12}"
        lines.append(f"{c['name'][:20]:<20} {c['polygons']:9d} {ha}")
    lines.append("style: " + ", ".join(str(p) for p in result.styles))
    return "\n".join(lines)
