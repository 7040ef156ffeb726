"""Checkpoints trained with smp's deprecated ``timm-`` EfficientNet-Lite encoders.

Until issue 17 the ``liteN`` aliases meant smp's ``timm-tf_efficientnet_liteN`` encoders
(deprecated by smp, to be removed). They now mean ``tu-efficientnet_liteN``: the same timm network
(PyTorch padding, BatchNorm eps 1e-5 -- *not* ``tu-tf_efficientnet_liteN``, which pads like
TensorFlow and computes something else), run through smp's timm-universal encoder. The two
differ in three ways:

- state-dict keys: ``encoder.conv_stem.weight`` became ``encoder.model.conv_stem.weight``;
- the unused head (``encoder.conv_head``, ``encoder.bn2``) is gone;
- the stride-2 feature: the stem output (32 channels) became the first block's (16).

Decoders that never read the stride-2 feature (:data:`EXACT_ARCHS`) compute exactly the same
with the keys renamed, so such checkpoints (the bundled ``deepglobe-fpn-lite0.pt``) are
upgraded on reading. Decoders that read it (U-Net and the like) keep the old encoder: their
checkpoints load into a network built with the deprecated smp name
(``create_model(..., legacy_encoder=True)``), which gives the same outputs as before; that needs
an smp that still has it (pinned in ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from landcover.models.names import legacy_name, parse_name

V = TypeVar("V")

#: Architectures whose decoder never reads the stride-2 encoder feature (tested to give
#: identical outputs after :func:`upgrade_state`).
EXACT_ARCHS = frozenset({"fpn", "pspnet", "upernet"})
_OLD_PREFIX = "encoder."
_NEW_PREFIX = "encoder.model."
_DROPPED = ("encoder.conv_head.", "encoder.bn2.")  # the classification head smp never ran


def is_legacy_state(arch: str, state: Mapping[str, object]) -> bool:
    """Whether ``state`` (a whole model's) was saved with a deprecated ``timm-`` Lite encoder."""
    _, encoder = parse_name(arch)
    return (
        encoder is not None
        and legacy_name(encoder) is not None
        and f"{_OLD_PREFIX}conv_stem.weight" in state
    )


def upgrade_state(arch: str, state: dict[str, V]) -> dict[str, V]:
    """Rename an old Lite checkpoint's keys to the ``tu-`` layout where outputs stay identical.

    Args:
        arch: the model name (``ModelMeta.arch``), e.g. ``fpn-lite0``.
        state: the model's state dict (no ``model.`` prefix).

    Returns:
        ``state`` itself when it needs no change or cannot change exactly (see the module
        docstring), else a new dict in the ``tu-`` layout.
    """
    if not is_legacy_state(arch, state) or parse_name(arch)[0] not in EXACT_ARCHS:
        return state
    out: dict[str, V] = {}
    for key, value in state.items():
        if key.startswith(_DROPPED):
            continue
        if key.startswith(_OLD_PREFIX):
            key = _NEW_PREFIX + key[len(_OLD_PREFIX) :]
        out[key] = value
    return out
