"""``landcover predict``: map land cover for images or folders of images."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from landcover.batch.runner import RunResult, predict_many
from landcover.batch.scene import SceneResult
from landcover.batch.tasks import ModelSpec
from landcover.bundled import sample_scene
from landcover.cli.model_options import add_gsd_options, add_model_options, add_window_options
from landcover.cli.options import HelpFormatter, add_bands_option
from landcover.errors import LandcoverError, require_extra
from landcover.inference.cpu import cpu_class
from landcover.inference.gsd import estimate_note
from landcover.inference.options import PredictOptions
from landcover.inference.predictor import Predictor


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``predict`` sub-command."""
    p = subparsers.add_parser(
        "predict",
        help="map land cover for images (bundled model by default)",
        description="Predict a land-cover map for each image (JPEG, PNG, TIFF, GeoTIFF; folders "
        "are expanded) with sliding windows blended over their overlap, at the model's ground "
        "sampling distance (found from --gsd, the georeferencing or tiles.csv, else estimated "
        "from the pixels). Writes per image <stem>_classes.tif (uint8 classes, the input's "
        "size, CRS and transform, colour table, nodata kept; with <stem>_classes.qml and "
        "<stem>_classes.tif.aux.xml so that QGIS shows the class names), <stem>_color.png, "
        "<stem>_overlay.jpg and <stem>_areas.json, plus areas.csv for the run; class rasters "
        "are Cloud-Optimized GeoTIFFs, and a georeferenced run also gets a VRT mosaic per CRS "
        "and a STAC collection. Large GeoTIFFs are read and written block by block: memory "
        "does not grow with the raster. A run is resumable: the same command again skips the "
        "scenes already done (landcover status OUT lists them).",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="image files or folders of images; URLs of rasters (https://, s3://, gs://, "
        "az:// or GDAL /vsi... paths: read window by window with range requests, credentials "
        "from the environment); STAC Items, ItemCollections or catalogs (.json, path or URL) "
        "(none with --sample)",
    )
    p.add_argument(
        "--asset",
        metavar="KEY",
        help="the asset of STAC inputs' Items to map (default: the RGB 'visual' asset)",
    )
    p.add_argument(
        "--sample",
        action="store_true",
        help="map the small DeepGlobe sample scene shipped in the package (0.5 m, no GSD "
        "recorded in it, so it also shows the GSD being estimated)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    add_model_options(p)
    add_gsd_options(p)
    add_window_options(p)
    _add_output_options(p)
    add_bands_option(p)
    p.add_argument("--batch-size", type=int, default=4, help="windows per model call")
    _add_cluster_options(p)
    p.set_defaults(func=run)


def _add_cluster_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "many scenes (Dask distributed; pip install 'landcover[dask]')",
        "A run resumes by default: the same command again skips the scenes already done "
        "(see 'landcover status OUT'); another model or options into OUT is refused unless "
        "--overwrite. One run per OUT at a time: while a run works there (it holds "
        "OUT/.landcover.lock), another is refused.",
    )
    where = g.add_mutually_exclusive_group()
    where.add_argument(
        "--cluster",
        metavar="local:N",
        help="map the scenes on a Dask LocalCluster of N worker processes on this machine",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=os.environ.get("DASK_SCHEDULER_ADDRESS"),
        help="map the scenes on a running Dask cluster: its scheduler address "
        "(tcp://host:8786) or scheduler file (.json); default $DASK_SCHEDULER_ADDRESS",
    )


def executor_of(args: argparse.Namespace) -> str | None:
    """``--cluster`` or ``--scheduler`` (``None``: map in this process); the ``[dask]`` extra
    is checked before any work."""
    executor = args.cluster or args.scheduler or None
    if executor is not None:
        require_extra("distributed", "dask", "predict --cluster/--scheduler")
    return executor


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--probabilities",
        action="store_true",
        help="also write <stem>_probabilities.tif (one uint8 band per class, 255 = 1.0)",
    )
    p.add_argument(
        "--confidence",
        action="store_true",
        help="also write <stem>_confidence.tif: the probability of the class mapped at each "
        "pixel, uint8 with 255 = 1.0 (at least 1), 0 = nodata",
    )
    p.add_argument(
        "--vector",
        action="store_true",
        help="also write <stem>_polygons.gpkg: the map as polygons with class, area, perimeter "
        "and mean confidence (with --confidence), as 'landcover vectorize' (needs "
        "landcover[gis])",
    )
    p.add_argument(
        "--mmu",
        type=float,
        default=0.0,
        metavar="HA",
        help="with --vector: minimum mapping unit in hectares (smaller patches take their "
        "largest neighbour's class in the polygons; the class raster is unchanged)",
    )
    p.add_argument(
        "--alpha", type=float, default=0.5, help="opacity of the class colours in the overlay"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace results already in the output folder"
    )
    p.add_argument(
        "--report",
        action="store_true",
        help="also write OUT/index.html, the run's HTML report with a map viewer (opens by "
        "double-click, no network; the same as 'landcover report OUT'; rebuilt on every run), "
        "and print its path",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``predict``; 0 when every image was mapped, 1 when some failed."""
    options = options_of(args)
    inputs = list(args.inputs)
    if args.sample:
        inputs.append(str(sample_scene()))
    if not inputs:
        raise LandcoverError("give an image or folder to map (or --sample for the sample scene)")
    executor = executor_of(args)
    spec = ModelSpec(args.model, args.backend, args.precision)
    predictor = spec.load()
    log_model(predictor)
    result = predict_many(
        inputs,
        args.out,
        options,
        model=spec,
        predictor=predictor,
        executor=executor,
        overwrite=args.overwrite,
        progress=not args.quiet,
        asset=args.asset,
    )
    print(summary_table(result))
    if args.report and (result.scenes or any(Path(args.out).glob("*_classes.tif"))):
        # Lazy: the HTML report (and its plotting) loads only for --report.
        from landcover.report import write_run_report

        # The page is rebuilt from the folder's files on every run (a resumed one included).
        try:
            page = write_run_report(
                args.out, model=model_label(predictor), overwrite=True, progress=not args.quiet
            )
            print(f"report: {page}")
        except LandcoverError as e:  # an extra: the maps asked for stand without it
            logging.getLogger("landcover").warning("no report written: %s", e)
    if result.failures:
        print(
            f"{len(result.failures)} of {len(result.failures) + len(result.scenes)} inputs failed"
        )
        return 1
    return 0


def options_of(args: argparse.Namespace) -> PredictOptions:
    """The parsed arguments as :class:`PredictOptions` (validated there); ``--vector`` checks
    for its extra before any work."""
    if args.vector:
        require_extra("pyogrio", "gis", "predict --vector (writing GeoPackage files)")
    return PredictOptions(
        gsd_m=args.gsd,
        estimate=args.estimate,
        overlap=args.overlap,
        tta=args.tta,
        bands=args.bands,
        probabilities=args.probabilities,
        confidence=args.confidence,
        vector=args.vector,
        mmu_ha=args.mmu,
        alpha=args.alpha,
        batch_size=args.batch_size,
    )


def model_label(predictor: Predictor) -> str:
    """The model's file name and precision, as the run report names it."""
    name = predictor.path.name if predictor.path else "checkpoint"
    return f"{name} ({predictor.precision})"


def log_model(predictor: Predictor) -> None:
    """One line naming the model file and the precision it runs in."""
    logging.getLogger("landcover").info(
        "model %s (%s, CPU class %s)",
        predictor.path or "checkpoint",
        predictor.precision,
        cpu_class(),
    )


def summary_table(result: RunResult) -> str:
    """A plain-text table: one row per scene (output name, GSD used, hectares, main classes,
    time), a line on where the GSDs came from, then failures. ``~`` marks hectares that rest on
    an estimated GSD."""
    lines = [
        f"{'output':<32} {'GSD m':>8} {'from':<14} {'hectares':>11}  {'top classes':<40} {'s':>6}"
    ]
    for s in result.scenes:
        cls = sorted(s.areas["classes"], key=lambda c: -c["pixels"])[:3]
        top = ", ".join(f"{c['name']} {100 * c['fraction']:.0f}%" for c in cls if c["pixels"])
        ha = sum(c["hectares"] or 0.0 for c in s.areas["classes"])
        mark = "~" if s.areas.get("hectares_estimated") else " "
        ha_text = f"{mark}{ha:10.2f}" if s.gsd_m else f"{'-':>11}"
        gsd_text = f"{s.gsd_m:8.3g}" if s.gsd_m else f"{'-':>8}"
        name = s.stem or s.image.stem
        lines.append(
            f"{name[:32]:<32} {gsd_text} {s.gsd.source:<14} {ha_text}  {top[:40]:<40} "
            f"{s.seconds:6.2f}"
        )
    if result.scenes:
        lines.append(gsd_line(result.scenes))
    for f, msg in result.failures:
        lines.append(f"FAILED {f}: {msg}")
    return "\n".join(lines)


def gsd_line(scenes: Sequence[SceneResult]) -> str:
    """One line on the GSDs used: ``GSD: 3 estimated (0.48-0.52 m), 1 given (0.5 m)``."""
    by_source: dict[str, list[float | None]] = {}
    for s in scenes:
        by_source.setdefault(s.gsd.source, []).append(s.gsd.metres)
    parts = []
    for source, values in by_source.items():
        known = [v for v in values if v is not None]
        if not known:
            parts.append(f"{len(values)} unknown (no resampling, no hectares)")
            continue
        lo, hi = min(known), max(known)
        span = f"{lo:.3g} m" if lo == hi else f"{lo:.3g}-{hi:.3g} m"
        parts.append(f"{len(values)} {source} ({span})")
    return "GSD: " + ", ".join(parts) + estimate_note(s.areas for s in scenes)
