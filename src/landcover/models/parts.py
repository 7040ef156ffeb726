"""Which parameters of a network are its encoder and its segmentation head, per architecture.

Fine-tuning on another class schema keeps every weight but the head's (its last layer has one
output per class) and can freeze the encoder for a while (:mod:`landcover.training.finetune`).
The parts are named by state-dict key prefixes: smp models (any ``<arch>-<encoder>``) have
``encoder.``, ``decoder.`` and ``segmentation_head.``; the seed U-Net has the contracting path
``enc1.``, ``enc2.``, ``bottleneck.``, the expanding path ``dec2.``, ``dec1.`` and its last 1x1
convolution ``head.``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from landcover.errors import InputError
from landcover.models.names import parse_name

Part = Literal["encoder", "head"]


@dataclass(frozen=True)
class Parts:
    """State-dict key prefixes of a network's encoder and head.

    Args:
        encoder: prefixes of the encoder's tensors.
        head: prefixes of the segmentation head's tensors (the layers sized by the classes).
    """

    encoder: tuple[str, ...]
    head: tuple[str, ...]


SEED_UNET_PARTS = Parts(encoder=("enc1.", "enc2.", "bottleneck."), head=("head.",))
SMP_PARTS = Parts(encoder=("encoder.",), head=("segmentation_head.",))


def model_parts(arch: str) -> Parts:
    """The encoder and head prefixes of the architecture ``arch`` (a registry name).

    Raises:
        InputError: for an unknown model name.
    """
    family, _ = parse_name(arch)
    return SEED_UNET_PARTS if family == "seed-unet" else SMP_PARTS


def part_names(names: Iterable[str], arch: str, part: Part) -> list[str]:
    """The names among ``names`` (state-dict keys or parameter names) that belong to ``part``.

    Args:
        names: tensor names of a network built as ``arch`` (e.g. ``model.state_dict()``).
        arch: its registry name, e.g. ``seed-unet`` or ``fpn-lite0``.
        part: ``encoder`` or ``head``.

    Returns:
        The matching names, in the order given.

    Raises:
        InputError: when none matches (a network that is not laid out as ``arch`` says).
    """
    prefixes = getattr(model_parts(arch), part)
    found = [n for n in names if n.startswith(prefixes)]
    if not found:
        raise InputError(f"model {arch!r} has no {part} tensors named {', '.join(prefixes)}*")
    return found
