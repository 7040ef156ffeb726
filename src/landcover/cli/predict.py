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
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders of images")
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
        choices=("fp32", "bf16", "auto"),
        default="fp32",
        help="torch backend: fp32, bf16 autocast, or auto (bf16 where the CPU has AMX or "
        "AVX512-BF16, and on CUDA)",
    )
    p.add_argument(
        "--gsd",
        type=float,
        metavar="M",
        help="input metres per pixel, when the image is not georeferenced (default: from the "
        "GeoTIFF, or tiles.csv beside the image; unknown = no resampling, no hectares)",
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
    predictor = load_predictor(args.model, backend=args.backend, precision=args.precision)
    result = predict_paths(
        predictor,
        args.inputs,
        args.out,
        overwrite=args.overwrite,
        progress=not args.quiet,
        gsd_m=args.gsd,
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
