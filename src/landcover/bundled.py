"""The bundled models shipped inside the package (``landcover/weights``).

Each model ``<name>`` is a set of files: ``<name>.onnx`` (for QGIS Deepness; ``predict`` uses
the ``runtime/`` copies, ONNX Runtime, no torch), ``<name>.pt`` (torch weights for
fine-tuning, see ``models.checkpoint``) and
``<name>.json`` (facts from its model card: data, GSD, tile size, scores, speed).

``<name>.onnx`` is int8 with a fixed input side, the form QGIS's Deepness plugin needs.
``predict`` runs the copies in ``runtime/``: ``<name>-int8.onnx`` (the same graph with any input
size) on CPUs with VNNI or AMX, ``<name>-fp32.onnx`` (float32, any input size) elsewhere
(:mod:`landcover.inference.cpu`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landcover.errors import LandcoverError, LandcoverIOError

WEIGHTS_DIR = Path(__file__).parent / "weights"
RUNTIME_DIR = WEIGHTS_DIR / "runtime"
SAMPLE_SCENE = Path(__file__).parent / "samples" / "deepglobe_sample.jpg"
SAMPLE_MASK = Path(__file__).parent / "samples" / "deepglobe_sample_mask.png"
PRECISIONS = ("int8", "fp32")
HELPERS = {"gsd-estimator"}  # ONNX files in weights/ that are no land-cover model
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
            "runtime": {p: str(RUNTIME_DIR / f"{self.name}-{p}.onnx") for p in PRECISIONS},
            "weights": None if self.weights is None else str(self.weights),
            "model_card": None if self.card is None else str(self.card),
            **self.facts,
        }


def list_models() -> list[BundledModel]:
    """All bundled models, the default first."""
    models = []
    for onnx in sorted(WEIGHTS_DIR.glob("*.onnx")):
        name = onnx.stem
        if name in HELPERS:
            continue
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


def runtime_model_path(precision: str, name: str = DEFAULT_MODEL) -> Path:
    """The bundled model's ``int8`` or ``fp32`` file for ``predict`` (any input size)."""
    if precision not in PRECISIONS:
        raise LandcoverError(
            f"the bundled model comes in {' and '.join(PRECISIONS)}, not {precision!r}"
        )
    path = RUNTIME_DIR / f"{name}-{precision}.onnx"
    if not path.is_file():
        raise LandcoverIOError(
            "the bundled runtime model is missing from this installation; pass --model", path
        )
    return path


def sample_scene() -> Path:
    """The sample scene shipped in the package (0.5 m DeepGlobe crop, no GSD recorded)."""
    if not SAMPLE_SCENE.is_file():
        raise LandcoverIOError("the sample scene is missing from this installation", SAMPLE_SCENE)
    return SAMPLE_SCENE


def sample_mask() -> Path:
    """The sample scene's DeepGlobe mask (RGB-coded, ``deepglobe`` schema, same 1224x1224 grid)."""
    if not SAMPLE_MASK.is_file():
        raise LandcoverIOError("the sample mask is missing from this installation", SAMPLE_MASK)
    return SAMPLE_MASK
