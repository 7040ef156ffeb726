"""Options shared by ``predict`` and ``evaluate``: the model, the GSD and the windows.

Declared once here, so that both commands spell, check and explain them alike.
"""

from __future__ import annotations

import argparse

from landcover.cli.options import parse_fraction


def positive_metres(text: str) -> float:
    """A ground sampling distance in metres, > 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of metres, got {text}")
    return value


def add_model_options(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--backend``, ``--precision``."""
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


def add_gsd_options(p: argparse.ArgumentParser) -> None:
    """``--gsd`` and ``--no-estimate``."""
    p.add_argument(
        "--gsd",
        type=positive_metres,
        metavar="M",
        help="input metres per pixel. Default, in order: the GeoTIFF's georeferencing (any "
        "CRS, degrees included), tiles.csv beside the image, else estimated from the pixels "
        "(reported as 'estimated'). Inputs more than 2x coarser than the model's GSD are "
        "mapped at their own pixels with a warning",
    )
    p.add_argument(
        "--no-estimate",
        dest="estimate",
        action="store_false",
        help="do not estimate an unknown GSD: map at the image's own pixels (no hectares)",
    )


def add_window_options(p: argparse.ArgumentParser) -> None:
    """``--overlap`` and ``--tta``."""
    p.add_argument(
        "--overlap",
        type=parse_fraction,
        default=0.25,
        help="fraction of a window shared with its neighbours (blended)",
    )
    p.add_argument(
        "--tta", action="store_true", help="test-time augmentation: average flips and a rotation"
    )
