"""``landcover predict``: map land cover for images or folders of images."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from landcover.cli.model_options import add_gsd_options, add_model_options, add_window_options
from landcover.cli.options import HelpFormatter, add_bands_option
from landcover.errors import LandcoverError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
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
        "--overwrite.",
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
        from landcover.errors import require_extra

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
    from landcover.batch.runner import ModelSpec, predict_many
    from landcover.inference.predict import summary_table

    if args.batch_size < 1:
        raise LandcoverError("--batch-size must be at least 1")
    if not 0.0 <= args.alpha <= 1.0:
        raise LandcoverError(f"--alpha must be between 0 and 1, got {args.alpha}")
    inputs = list(args.inputs)
    if args.sample:
        from landcover.bundled import sample_scene

        inputs.append(str(sample_scene()))
    if not inputs:
        raise LandcoverError("give an image or folder to map (or --sample for the sample scene)")
    gis = gis_options(args)
    executor = executor_of(args)
    spec = ModelSpec(args.model, args.backend, args.precision)
    predictor = spec.load()
    log_model(predictor)
    result = predict_many(
        inputs,
        args.out,
        model=spec,
        predictor=predictor,
        executor=executor,
        overwrite=args.overwrite,
        progress=not args.quiet,
        gsd_m=args.gsd,
        estimate=args.estimate,
        overlap=args.overlap,
        tta=args.tta,
        bands=args.bands,
        probabilities=args.probabilities,
        alpha=args.alpha,
        batch_size=args.batch_size,
        asset=args.asset,
        **gis,
    )
    print(summary_table(result))
    if args.report and (result.scenes or any(Path(args.out).glob("*_classes.tif"))):
        from landcover.report import write_run_report

        # The page is rebuilt from the folder's files on every run (a resumed one included).
        page = write_run_report(
            args.out, model=model_label(predictor), overwrite=True, progress=not args.quiet
        )
        print(f"report: {page}")
    if result.failures:
        print(
            f"{len(result.failures)} of {len(result.failures) + len(result.scenes)} inputs failed"
        )
        return 1
    return 0


def gis_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--confidence``, ``--vector`` and ``--mmu`` as predict_file options, only those set
    (so that a run's fingerprint, and resuming it, do not change when they are not used)."""
    if args.mmu < 0 or (args.mmu and not args.vector):
        raise LandcoverError("--mmu takes hectares >= 0 and applies to --vector polygons")
    if args.vector:
        from landcover.errors import require_extra

        require_extra("pyogrio", "gis", "predict --vector (writing GeoPackage files)")
    options = {"confidence": args.confidence, "vector": args.vector, "mmu_ha": args.mmu}
    return {k: v for k, v in options.items() if v}


def model_label(predictor: object) -> str:
    """The model's file name and precision, as the run report names it."""
    path = getattr(predictor, "path", None)
    precision = getattr(predictor, "precision", "")
    name = Path(path).name if path else "checkpoint"
    return f"{name} ({precision})" if precision else name


def log_model(predictor: object) -> None:
    """One line naming the model file and the precision it runs in."""
    import logging

    from landcover.inference.cpu import cpu_class

    path = getattr(predictor, "path", None)
    precision = getattr(predictor, "precision", "")
    logging.getLogger("landcover").info(
        "model %s (%s, CPU class %s)", path or "checkpoint", precision, cpu_class()
    )
