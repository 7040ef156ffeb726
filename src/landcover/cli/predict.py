"""``landcover predict``: map land cover for images or folders of images."""

from __future__ import annotations

import argparse

from landcover.cli.options import HelpFormatter, add_bands_option
from landcover.errors import LandcoverError


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of metres, got {text}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``predict`` sub-command."""
    p = subparsers.add_parser(
        "predict",
        help="map land cover for images (bundled model by default)",
        description="Predict a land-cover map for each image (JPEG, PNG, TIFF, GeoTIFF; folders "
        "are expanded) with sliding windows blended over their overlap, at the model's ground "
        "sampling distance. Writes per image <stem>_classes.tif (uint8 classes, the input's "
        "size, CRS and transform, colour table, nodata kept), <stem>_color.png, "
        "<stem>_overlay.jpg and <stem>_areas.json, plus areas.csv for the run. Large GeoTIFFs "
        "are read and written block by block: memory does not grow with the raster.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="image files or folders of images (none with --sample)",
    )
    p.add_argument(
        "--sample",
        action="store_true",
        help="map the small DeepGlobe sample scene shipped in the package (0.5 m, no GSD "
        "recorded in it, so it also shows the GSD being estimated)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument(
        "--model",
        metavar="CKPT|ONNX",
        help="model file: .onnx (ONNX Runtime, no torch) or a checkpoint .ckpt/.pt "
        "(needs landcover[train]); default: the bundled model",
    )
    p.add_argument(
        "--backend",
        choices=("auto", "onnx", "torch"),
        default="auto",
        help="inference backend; auto picks by the model file's type",
    )
    p.add_argument(
        "--precision",
        choices=("auto", "int8", "fp32", "bf16"),
        default=None,
        help="bundled model: int8 or fp32; default auto = int8 where the CPU has VNNI or AMX "
        "(faster, as exact), fp32 elsewhere (AVX2-only CPUs, where int8 is slower and less "
        "exact). Checkpoints: fp32 (default), bf16 autocast, or auto (bf16 with AMX or "
        "AVX512-BF16, and on CUDA). An ONNX file runs as exported",
    )
    p.add_argument(
        "--gsd",
        type=_positive,
        metavar="M",
        help="input metres per pixel. Default, in order: the GeoTIFF's georeferencing (any "
        "CRS, degrees included), tiles.csv beside the image, else estimated from the pixels "
        "(reported as 'estimated' in the summary and <stem>_areas.json). Inputs more than 2x "
        "coarser than the model's GSD are mapped at their own pixels with a warning",
    )
    p.add_argument(
        "--no-estimate",
        dest="estimate",
        action="store_false",
        help="do not estimate an unknown GSD: map at the image's own pixels, no hectares",
    )
    p.add_argument(
        "--overlap",
        type=_fraction,
        default=0.25,
        help="fraction of a window shared with its neighbours (blended)",
    )
    p.add_argument(
        "--tta", action="store_true", help="test-time augmentation: average flips and a rotation"
    )
    p.add_argument(
        "--probabilities",
        action="store_true",
        help="also write <stem>_probabilities.tif (one uint8 band per class, 255 = 1.0)",
    )
    p.add_argument(
        "--alpha", type=float, default=0.5, help="opacity of the class colours in the overlay"
    )
    add_bands_option(p)
    p.add_argument("--batch-size", type=int, default=4, help="windows per model call")
    p.add_argument(
        "--overwrite", action="store_true", help="replace results already in the output folder"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``predict``; 0 when every image was mapped, 1 when some failed."""
    from landcover.inference.predict import predict_paths, summary_table
    from landcover.inference.predictor import load_predictor

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
    predictor = load_predictor(args.model, backend=args.backend, precision=args.precision)
    log_model(predictor)
    result = predict_paths(
        predictor,
        inputs,
        args.out,
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
    )
    print(summary_table(result))
    if result.failures:
        print(
            f"{len(result.failures)} of {len(result.failures) + len(result.scenes)} inputs failed"
        )
        return 1
    return 0


def log_model(predictor: object) -> None:
    """One line naming the model file and the precision it runs in."""
    import logging

    from landcover.inference.cpu import cpu_class

    path = getattr(predictor, "path", None)
    precision = getattr(predictor, "precision", "")
    logging.getLogger("landcover").info(
        "model %s (%s, CPU class %s)", path or "checkpoint", precision, cpu_class()
    )
