"""landcover: satellite imagery to land-cover maps.

The functions most users need are reachable from here (imported lazily, so that
``import landcover`` stays fast and never imports torch)::

    import landcover
    predictor = landcover.load_predictor()            # the bundled model, ONNX Runtime
    probs = landcover.predict_array(predictor, rgb, gsd_m=0.5)   # (K, H, W) float32
    options = landcover.PredictOptions(gsd_m=0.5, confidence=True)  # as the CLI's options
    landcover.predict_paths(predictor, ["scene.tif"], "out/", options)  # the CLI's files

Errors are :class:`LandcoverError`; its subclasses are also ``ValueError`` (:class:`InputError`),
``OSError`` (:class:`LandcoverIOError`) or ``ImportError`` (:class:`MissingDependencyError`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module defining it; imported on first use (see ``__getattr__``).
_API = {
    "load_predictor": "landcover.inference.predictor",
    "predict_array": "landcover.inference.engine",
    "PredictOptions": "landcover.inference.options",
    "predict_file": "landcover.batch.scene",
    "predict_paths": "landcover.batch.runner",
    "get_schema": "landcover.schema",
    "find_pairs": "landcover.data.pairs",
    "check_dataset": "landcover.data.check",
    "compute_stats": "landcover.data.stats",
    "split_pairs": "landcover.data.split",
    "evaluate": "landcover.evaluation.run",
    "list_models": "landcover.bundled",
    "LandcoverError": "landcover.errors",
    "InputError": "landcover.errors",
    "LandcoverIOError": "landcover.errors",
    "MissingDependencyError": "landcover.errors",
}

if TYPE_CHECKING:  # what IDEs and type checkers see; kept in step with _API by a test
    from landcover.batch.runner import predict_paths as predict_paths
    from landcover.batch.scene import predict_file as predict_file
    from landcover.bundled import list_models as list_models
    from landcover.data.check import check_dataset as check_dataset
    from landcover.data.pairs import find_pairs as find_pairs
    from landcover.data.split import split_pairs as split_pairs
    from landcover.data.stats import compute_stats as compute_stats
    from landcover.errors import InputError as InputError
    from landcover.errors import LandcoverError as LandcoverError
    from landcover.errors import LandcoverIOError as LandcoverIOError
    from landcover.errors import MissingDependencyError as MissingDependencyError
    from landcover.evaluation.run import evaluate as evaluate
    from landcover.inference.engine import predict_array as predict_array
    from landcover.inference.options import PredictOptions as PredictOptions
    from landcover.inference.predictor import load_predictor as load_predictor
    from landcover.schema import get_schema as get_schema

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'landcover' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
