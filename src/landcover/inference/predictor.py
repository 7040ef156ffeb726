"""Load a trained model as a :class:`Predictor`: normalised batches in, class probabilities out.

``.onnx`` files run on ONNX Runtime without importing torch; ``.ckpt``/``.pt``/``.pth``
checkpoints on PyTorch (imported lazily, needs the ``[train]`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from landcover.bundled import DEFAULT_MODEL, WEIGHTS_DIR, list_models, runtime_model_path
from landcover.errors import InputError, LandcoverError, LandcoverIOError
from landcover.inference.cpu import default_precision
from landcover.inference.onnx_backend import OnnxPredictor
from landcover.models.meta import ModelMeta

BACKENDS = ("auto", "onnx", "torch")
PRECISIONS = ("auto", "fp32", "int8", "bf16")
TORCH_SUFFIXES = {".ckpt", ".pt", ".pth"}


@runtime_checkable
class Predictor(Protocol):
    """A model ready to run.

    Attributes:
        meta: the model's contract (schema, normalisation, GSD, tile size).
        path: the model file (hashed into a run's fingerprint), or ``None`` for a model
            built in memory.
        precision: what it computes in: ``fp32``, ``int8`` or ``bf16``.
        flexible: it takes any input side (a multiple of 32), not only the tile size, so a
            small image costs its own pixels.
    """

    meta: ModelMeta

    @property
    def path(self) -> Path | None:
        """The model file, or ``None``."""
        ...

    @property
    def precision(self) -> str:
        """``fp32``, ``int8`` or ``bf16``."""
        ...

    @property
    def flexible(self) -> bool:
        """Whether any input side (a multiple of 32) is accepted."""
        ...

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        """Map ``(N, C, S, S)`` float32 normalised input to ``(N, K, S, S)`` float32 softmax."""
        ...


def load_predictor(
    model: str | Path | None = None,
    backend: str = "auto",
    threads: int | None = None,
    precision: str | None = None,
) -> Predictor:
    """Open a model file as a :class:`Predictor`.

    Args:
        model: an ``.onnx`` file, a checkpoint (``.ckpt``/``.pt``/``.pth``), the name of a
            bundled model (``landcover models``, e.g. ``deepglobe-fpn-lite0``), or ``None``
            for the bundled default model. The torch backend runs a bundled model's ``.pt``.
        backend, threads: ``auto`` (by file suffix), ``onnx`` or ``torch``; CPU threads.
        precision: bundled model: ``int8`` or ``fp32``, default int8 only on CPUs with VNNI or
            AMX (:mod:`~landcover.inference.cpu`); checkpoints: ``fp32`` (default), ``bf16`` or
            ``auto`` (bf16 with AMX/AVX512-BF16 or CUDA); an ONNX file runs as exported.

    Raises:
        LandcoverError: for a missing or unreadable model, an impossible backend, or a name
            that is neither a file nor a bundled model (listing the bundled names).
    """
    if precision is not None and precision not in PRECISIONS:
        raise LandcoverError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    if backend not in BACKENDS:
        raise LandcoverError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    name = _bundled_name(model)
    if name is not None and backend != "torch":
        return _bundled(precision, threads, name)
    path = _bundled_weights(name) if name is not None else Path(str(model))
    if not path.exists():
        raise LandcoverIOError("no such model file", path)
    if path.is_dir():
        raise LandcoverError("is a folder, not a model file", path)
    suffix = path.suffix.lower()
    if backend == "auto":
        backend = _backend_for(path)
    if backend == "onnx":
        if suffix != ".onnx":
            raise LandcoverError("the onnx backend needs an .onnx file ('landcover export')", path)
        if precision not in (None, "auto"):
            raise LandcoverError(
                f"--precision {precision}: an ONNX file runs in the precision it was exported in",
                path,
            )
        return OnnxPredictor(path, threads=threads)
    if suffix == ".onnx":
        raise LandcoverError("the torch backend needs a checkpoint, not an ONNX file", path)
    if precision == "int8":
        raise LandcoverError("--precision int8 is for ONNX models; checkpoints run fp32 or bf16")
    # [train] extra: lazy (torch_backend imports torch)
    from landcover.inference.torch_backend import TorchPredictor

    return TorchPredictor.from_checkpoint(path, threads=threads, precision=precision or "fp32")


def _bundled_name(model: str | Path | None) -> str | None:
    """The bundled model that ``model`` names (``None``: the default), or ``None`` for a path.

    An existing file wins over a bundled name. A string that is not a file, has no model-file
    suffix and no folder part is taken as a mistyped name.
    """
    if model is None:
        return DEFAULT_MODEL
    if not isinstance(model, str) or Path(model).exists():
        return None
    names = [m.name for m in list_models()]
    if model in names:
        return model
    suffix = Path(model).suffix.lower()
    if suffix not in {".onnx", *TORCH_SUFFIXES} and Path(model).name == model:
        raise InputError(
            f"unknown model {model!r}: not a file, nor a bundled model "
            f"({', '.join(names) or 'none installed'}; see 'landcover models')"
        )
    return None


def _bundled_weights(name: str) -> Path:
    """The torch weights (``.pt``) of bundled model ``name``, else its ``.onnx`` file."""
    weights = WEIGHTS_DIR / f"{name}.pt"
    return weights if weights.is_file() else WEIGHTS_DIR / f"{name}.onnx"


def _backend_for(path: Path) -> str:
    """``onnx`` or ``torch`` by the file's suffix; an error naming the file otherwise."""
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return "onnx"
    if suffix in TORCH_SUFFIXES:
        return "torch"
    raise LandcoverError(
        "unknown model file type: use .onnx or a checkpoint (.ckpt, .pt, .pth)", path
    )


def _bundled(precision: str | None, threads: int | None, name: str) -> Predictor:
    """Bundled model ``name`` in ``precision`` (default: the CPU's best, see ``inference.cpu``)."""
    if precision == "bf16":
        raise LandcoverError("--precision bf16 is for checkpoints; the bundled model is int8/fp32")
    chosen = default_precision() if precision in (None, "auto") else precision
    return OnnxPredictor(runtime_model_path(chosen, name), threads=threads)
