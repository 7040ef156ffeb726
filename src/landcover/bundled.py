"""The bundled models shipped inside the package (``landcover/weights``).

Each model ``<name>`` is a set of files: ``<name>.onnx`` (used by ``predict`` with ONNX Runtime,
no torch), ``<name>.pt`` (torch weights for fine-tuning, see ``models.checkpoint``) and
``<name>.json`` (facts from its model card: data, GSD, tile size, scores, speed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landcover.errors import LandcoverError

WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_MODEL = "deepglobe-fpn-lite0"


@dataclass(frozen=True)
class BundledModel:
    """One bundled model: its name, files and card facts."""

    name: str
    onnx: Path
    weights: Path | None
    card: Path | None
    facts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for ``landcover models --json``."""
        return {
            "name": self.name,
            "default": self.name == DEFAULT_MODEL,
            "onnx": str(self.onnx),
            "weights": None if self.weights is None else str(self.weights),
            "model_card": None if self.card is None else str(self.card),
            **self.facts,
        }


def list_models() -> list[BundledModel]:
    """All bundled models, the default first."""
    models = []
    for onnx in sorted(WEIGHTS_DIR.glob("*.onnx")):
        name = onnx.stem
        facts_path = onnx.with_suffix(".json")
        facts = json.loads(facts_path.read_text(encoding="utf-8")) if facts_path.is_file() else {}
        weights = onnx.with_suffix(".pt")
        card = WEIGHTS_DIR / "MODEL_CARD.md"
        models.append(
            BundledModel(
                name=name,
                onnx=onnx,
                weights=weights if weights.is_file() else None,
                card=card if card.is_file() else None,
                facts=facts,
            )
        )
    return sorted(models, key=lambda m: m.name != DEFAULT_MODEL)


def default_model_path() -> Path:
    """Path of the bundled default ONNX model; a clear error if the package lacks it."""
    path = WEIGHTS_DIR / f"{DEFAULT_MODEL}.onnx"
    if not path.is_file():
        raise LandcoverError(
            "the bundled default model is missing from this installation; pass --model", path
        )
    return path
