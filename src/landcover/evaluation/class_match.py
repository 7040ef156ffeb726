"""Match a model's classes to the data's by name, so schemas in another order still compare.

A model trained on one schema can be scored on masks of another (a land-cover product's index
masks with the same class names in another order, plus a ``nodata`` class): each data class
takes the model's class of the same name. Only scored classes must match; the ignored classes
of either side may have any name. Names that cannot be matched are refused in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from landcover.errors import InputError
from landcover.schema import ClassSchema

log = logging.getLogger(__name__)


def match_classes(model: ClassSchema, data: ClassSchema, path: str | Path) -> list[int] | None:
    """For each data class index, the model's class index of the same name (-1: none).

    ``None`` when the class lists are equal (nothing to map). One line says when classes are
    mapped by name.

    Raises:
        InputError: naming the model when a scored class of either side has no class of the
            same name on the other.
    """
    if model.classes == data.classes:
        return None
    scored_model = {model.classes[i] for i in model.scored_indices}
    scored_data = {data.classes[i] for i in data.scored_indices}
    missing = sorted(scored_data - set(model.classes)) + sorted(scored_model - set(data.classes))
    if missing:
        raise InputError(
            f"model predicts schema {model.name!r} ({', '.join(model.classes)}) but the data uses "
            f"{data.name!r} ({', '.join(data.classes)}); no match for {', '.join(missing)}",
            path,
        )
    mapping = [model.classes.index(c) if c in model.classes else -1 for c in data.classes]
    log.info(
        "classes matched by name: model schema %r -> data schema %r (%d classes)",
        model.name, data.name, len(scored_data),
    )  # fmt: skip
    return mapping


def remap_probabilities(probs: np.ndarray, mapping: list[int]) -> np.ndarray:
    """``(K_model, H, W)`` probabilities as ``(K_data, H, W)``: zeros for unmatched classes."""
    out = np.zeros((len(mapping), *probs.shape[1:]), dtype=probs.dtype)
    for d, m in enumerate(mapping):
        if m >= 0:
            out[d] = probs[m]
    return out


def remapped(
    predict: Callable[..., np.ndarray], mapping: list[int] | None
) -> Callable[..., np.ndarray]:
    """``predict`` whose probabilities come in the data's class order (unchanged for ``None``)."""
    if mapping is None:
        return predict

    def run(*args: Any, **kwargs: Any) -> np.ndarray:
        return remap_probabilities(predict(*args, **kwargs), mapping)

    return run
