"""Start a training from a landcover checkpoint (fine-tuning), on the same or another schema.

A checkpoint of the same class schema gives the whole model. One of another schema (other class
names, another number of classes) gives everything but the segmentation head, which is made
new for the data's classes (:func:`landcover.models.parts.part_names` finds it per
architecture). The architecture must be the checkpoint's. The encoder can then be kept fixed for
the first epochs (:class:`landcover.training.callbacks.FreezeEncoder`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landcover.bundled import list_models
from landcover.errors import InputError, LandcoverError
from landcover.models.parts import part_names
from landcover.schema import ClassSchema

if TYPE_CHECKING:
    from torch import nn

    from landcover.models.meta import ModelMeta

log = logging.getLogger(__name__)


def checkpoint_path(value: str | Path) -> Path:
    """The file that ``init_checkpoint`` names: a path, or a bundled model's name.

    An existing file wins; else a bundled model's name (``landcover models``) means its torch
    weights, e.g. ``deepglobe-fpn-lite0`` -> ``.../weights/deepglobe-fpn-lite0.pt``. Anything
    else is returned as a path (reading it gives the error).
    """
    path = Path(value)
    if path.exists():
        return path

    for model in list_models():
        if model.name == str(value) and model.weights is not None:
            return model.weights
    return path


def read_init_checkpoint(
    value: str | Path, arch: str, arch_kwargs: dict[str, Any]
) -> tuple[dict[str, Any], ModelMeta]:
    """Read the checkpoint to start from and check that it is a ``arch`` network.

    Returns:
        Its state dict and metadata.

    Raises:
        LandcoverError: naming the file when it is unreadable or another architecture (or the
            same with other ``model_kwargs``), saying which ``--model`` would fit.
    """
    # [train] extra: lazy (models.checkpoint imports torch)
    from landcover.models.checkpoint import read_checkpoint

    path = checkpoint_path(value)
    state, meta = read_checkpoint(path)
    if meta.arch != arch:
        raise LandcoverError(
            f"checkpoint is a {meta.arch!r} model, config says {arch!r}; to fine-tune it, "
            f"give --model {meta.arch}",
            path,
        )
    if dict(meta.arch_kwargs) != dict(arch_kwargs):
        raise LandcoverError(
            f"checkpoint is a {meta.arch!r} with model_kwargs {meta.arch_kwargs}, config says "
            f"{dict(arch_kwargs)}",
            path,
        )
    return state, meta


def init_from_checkpoint(
    model: nn.Module,
    value: str | Path,
    arch: str,
    arch_kwargs: dict[str, Any],
    schema: ClassSchema,
) -> None:
    """Load the checkpoint ``value`` into ``model`` (an ``arch`` network for ``schema``).

    Same class names: every weight. Other classes: every weight but the head's, which keeps its
    fresh initialisation; one line says so (kept parts, new and old class counts and schemas).

    Raises:
        LandcoverError: naming the file when it is unreadable, another architecture, or its
            weights do not fit ``model``.
    """
    path = checkpoint_path(value)
    state, meta = read_init_checkpoint(path, arch, arch_kwargs)
    state = widen_input_channels(model, state, path)
    if meta.schema.classes == schema.classes:
        _load(model, state, set(), path)
        log.info("init from %s: whole model kept (classes of %r)", path.name, schema.name)
        return
    head = set(part_names(model.state_dict(), arch, "head"))
    _load(model, {k: v for k, v in state.items() if k not in head}, head, path)
    log.info(
        "init from %s: encoder and decoder kept, new head for %d classes of %r (was %d of %r)",
        path.name,
        schema.num_classes,
        schema.name,
        meta.schema.num_classes,
        meta.schema.name,
    )


def widen_input_channels(model: nn.Module, state: dict[str, Any], path: Path) -> dict[str, Any]:
    """``state`` with its 3-band input filters widened to ``model``'s band count.

    The filters of each extra band start as the mean of the RGB filters, and all are scaled
    by ``3 / bands`` so that the first layer's response keeps its scale (as timm adapts input
    convolutions); one line says so. Other tensors are returned as they are.
    """
    import torch  # [train] extra: lazy

    own = model.state_dict()
    state = dict(state)
    widened = 0
    for key, old in state.items():
        new = own.get(key)
        if new is None or old.ndim != 4 or new.shape == old.shape or old.shape[1] != 3:
            continue
        if new.shape[0] != old.shape[0] or new.shape[2:] != old.shape[2:] or new.shape[1] <= 3:
            continue
        bands = int(new.shape[1])
        extra = old.mean(dim=1, keepdim=True).expand(-1, bands - 3, -1, -1)
        state[key] = torch.cat([old, extra], dim=1) * (3 / bands)
        widened = bands
    if widened:
        log.info(
            "init from %s: %d-band input from its 3-band weights (extra bands' filters = mean "
            "of the RGB filters, all scaled by 3/%d)",
            path.name,
            widened,
            widened,
        )
    return state


def _load(model: nn.Module, state: dict[str, Any], missing_ok: set[str], path: Path) -> None:
    """Load ``state`` into ``model``; exactly the ``missing_ok`` tensors may be absent.

    Raises:
        InputError: naming the file, with the first mismatch, when the weights do not fit.
    """
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as e:
        lines = [s.strip() for s in str(e).splitlines() if s.strip()]
        detail = lines[1] if len(lines) > 1 else lines[0]
        raise InputError(f"weights do not fit the model ({detail})", path) from e
    missing = sorted(set(result.missing_keys) - missing_ok)
    unexpected = sorted(result.unexpected_keys)
    if missing or unexpected:
        what = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise InputError(
            f"weights do not fit the model ({len(missing)} tensors missing, {len(unexpected)} "
            f"unexpected, e.g. {what})",
            path,
        )
