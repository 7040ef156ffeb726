"""Save and load models with their :class:`~landcover.models.meta.ModelMeta`.

Two file forms are read:
- Lightning checkpoints written by ``landcover train`` (``state_dict`` keys prefixed
  ``model.``, metadata in ``hyper_parameters["meta"]``);
- plain weight files from :func:`save_weights` (``{"meta": ..., "state_dict": ...}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from landcover.errors import LandcoverError
from landcover.models.meta import ModelMeta
from landcover.models.registry import create_model


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], ModelMeta]:
    """Return the model's ``state_dict`` (unprefixed) and its metadata, or a clear error."""
    p = Path(path)
    if not p.is_file():
        raise LandcoverError("no such checkpoint file", p)
    try:
        ckpt: Any = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means a broken file
        raise LandcoverError(f"not a readable checkpoint ({type(e).__name__}: {e})", p) from e
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise LandcoverError("not a landcover checkpoint (no state_dict)", p)
    meta_dict = ckpt.get("meta") or (ckpt.get("hyper_parameters") or {}).get("meta")
    meta = ModelMeta.from_dict(meta_dict, source=str(p))
    state = ckpt["state_dict"]
    if any(k.startswith("model.") for k in state):
        state = {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}
    return state, meta


def build_model(meta: ModelMeta) -> nn.Module:
    """Create the (untrained) network described by ``meta``."""
    return create_model(meta.arch, meta.num_classes, meta.in_channels, **meta.arch_kwargs)


def load_checkpoint(path: str | Path) -> tuple[nn.Module, ModelMeta]:
    """Load a trained model in eval mode, on the CPU, with its metadata."""
    state, meta = read_checkpoint(path)
    model = build_model(meta)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise LandcoverError(f"weights do not fit model {meta.arch!r} ({first})", path) from e
    return model.eval(), meta


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
