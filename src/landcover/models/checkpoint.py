"""Save and load models with their :class:`~landcover.models.meta.ModelMeta`.

Two file forms are read:
- Lightning checkpoints written by ``landcover train`` (``state_dict`` keys prefixed
  ``model.``, metadata in ``hyper_parameters["meta"]``);
- plain weight files from :func:`save_weights` (``{"meta": ..., "state_dict": ...}``).

Both are read with ``torch.load(weights_only=True)``: tensors and plain containers only, so a
file holding pickled code (an object whose ``__reduce__`` calls something) is refused before
anything runs. Both forms hold nothing else (Lightning's loop, optimiser and callback states
included), so no extra globals are allowlisted. Checkpoints of EfficientNet-Lite models trained
with smp's deprecated encoder names are upgraded on reading (:mod:`landcover.models.compat`).
"""

from __future__ import annotations

import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from landcover.errors import InputError, LandcoverIOError
from landcover.models.compat import is_legacy_state, upgrade_state
from landcover.models.meta import ModelMeta
from landcover.models.registry import create_model


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], ModelMeta]:
    """Return the model's ``state_dict`` (unprefixed) and its metadata, or a clear error.

    The state dict is in the layout :func:`build_model` builds, except for old EfficientNet-Lite
    checkpoints that only a legacy encoder computes exactly (see :func:`load_checkpoint`).

    Raises:
        LandcoverIOError: for a missing or unreadable file, or one holding pickled code.
        InputError: for a file that is not a landcover checkpoint.
    """
    p = Path(path)
    if not p.is_file():
        raise LandcoverIOError("no such checkpoint file", p)
    ckpt = _load_weights_only(p)
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("state_dict"), dict):
        raise InputError("not a landcover checkpoint (no state_dict)", p)
    meta_dict = ckpt.get("meta") or (ckpt.get("hyper_parameters") or {}).get("meta")
    meta = ModelMeta.from_dict(meta_dict, source=str(p))
    state = ckpt["state_dict"]
    if any(k.startswith("model.") for k in state):
        state = {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}
    return upgrade_state(meta.arch, state), meta


def build_model(meta: ModelMeta, state: dict[str, torch.Tensor] | None = None) -> nn.Module:
    """Create the (untrained) network described by ``meta``.

    Args:
        meta: the model contract.
        state: the weights it will receive, if known: an old EfficientNet-Lite U-Net's
            (:func:`~landcover.models.compat.is_legacy_state`) gets the legacy encoder.
    """
    legacy = state is not None and is_legacy_state(meta.arch, state)
    return create_model(
        meta.arch, meta.num_classes, meta.in_channels, legacy_encoder=legacy, **meta.arch_kwargs
    )


def load_checkpoint(path: str | Path) -> tuple[nn.Module, ModelMeta]:
    """Load a trained model in eval mode, on the CPU, with its metadata.

    Raises:
        LandcoverIOError: see :func:`read_checkpoint`.
        InputError: for a file that is not a landcover checkpoint or weights that do not fit.
    """
    state, meta = read_checkpoint(path)
    model = build_model(meta, state)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise InputError(f"weights do not fit model {meta.arch!r} ({first})", path) from e
    return model.eval(), meta


def _load_weights_only(path: Path) -> Any:
    """``torch.load`` restricted to tensors and plain containers; one-line errors."""
    try:
        with warnings.catch_warnings():  # torch's notes on junk files; the error says it all
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        code = re.search(r"GLOBAL ([\w.]+)", str(e))
        if code is not None:
            raise LandcoverIOError(
                f"refused: the checkpoint holds a pickled Python object ({code.group(1)}) that "
                "could run code when loaded; landcover loads only tensors and plain data (if "
                "you trust the file, re-save its state_dict and meta as plain data)",
                path,
            ) from e
        raise LandcoverIOError(
            "not a readable checkpoint (UnpicklingError: not a torch file, or a damaged one)", path
        ) from e
    except Exception as e:  # noqa: BLE001 - any other failure means a broken file
        first = (str(e).splitlines() or [""])[0]
        raise LandcoverIOError(
            f"not a readable checkpoint ({type(e).__name__}: {first})", path
        ) from e


def save_weights(path: str | Path, model: nn.Module, meta: ModelMeta, half: bool = False) -> None:
    """Write a plain weight file (weights + metadata) atomically.

    Args:
        path: file to write.
        model: the network.
        meta: its contract.
        half: store floating-point tensors as float16 (half the size; loading casts back).
    """
    p = Path(path)
    state = model.state_dict()
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    tmp = p.with_name(p.name + ".tmp")
    torch.save({"meta": meta.to_dict(), "state_dict": state}, tmp)
    tmp.replace(p)
