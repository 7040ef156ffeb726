"""The bundled default model shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from landcover.errors import LandcoverError

WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_MODEL = "deepglobe-unet-lite0"


def default_model_path() -> Path:
    """Path of the bundled default ONNX model; a clear error if the package lacks it."""
    path = WEIGHTS_DIR / f"{DEFAULT_MODEL}.onnx"
    if not path.is_file():
        raise LandcoverError(
            "the bundled default model is missing from this installation; pass --model", path
        )
    return path
