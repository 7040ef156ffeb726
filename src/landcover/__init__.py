"""landcover: satellite imagery to land-cover maps.

The functions most users need are reachable from here (imported lazily, so that
``import landcover`` stays fast and never imports torch)::

    import landcover
    predictor = landcover.load_predictor()            # the bundled model, ONNX Runtime
    probs = landcover.predict_array(predictor, rgb, gsd_m=0.5)   # (K, H, W) float32
    landcover.predict_paths(predictor, ["scene.tif"], "out/")    # files, like the CLI
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "load_predictor": "landcover.inference.predictor",
    "predict_array": "landcover.inference.engine",
    "predict_file": "landcover.inference.predict",
    "predict_paths": "landcover.inference.predict",
    "get_schema": "landcover.schema",
    "find_pairs": "landcover.data.pairs",
    "check_dataset": "landcover.data.check",
    "compute_stats": "landcover.data.stats",
    "split_pairs": "landcover.data.split",
    "evaluate": "landcover.evaluation.evaluate",
    "list_models": "landcover.bundled",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'landcover' has no attribute {name!r}")
