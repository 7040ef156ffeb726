"""Tiny synthetic DeepGlobe-style data and a fake 'oracle' model for evaluation tests.

The oracle reads the class from the image colour (images are painted in class colours), so
every expected score below is exact. The layout of the three pairs (40 x 48 px):

- ``a``: left half urban_land, right half agriculture_land; mask identical.
- ``b``: all forest_land; the mask wrongly says water on rows 0-9 (a quarter of the image).
- ``c``: all barren_land; mask rows 0-19 unknown (ignored), rows 20-39 barren_land.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE

H, W = 40, 48


def class_image(labels: np.ndarray) -> np.ndarray:
    """Paint class indices in their DeepGlobe colours."""
    return DEEPGLOBE.palette[labels]


def synthetic_labels() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (image classes, mask classes)}`` for the three pairs described above."""
    a = np.zeros((H, W), np.uint8)
    a[:, 24:] = 1
    b_img = np.full((H, W), 3, np.uint8)
    b_mask = b_img.copy()
    b_mask[:10] = 4
    c_img = np.full((H, W), 5, np.uint8)
    c_mask = c_img.copy()
    c_mask[:20] = 6
    return {"a": (a, a.copy()), "b": (b_img, b_mask), "c": (c_img, c_mask)}


def write_pair(folder: Path, name: str, img: np.ndarray, mask: np.ndarray, ext: str) -> None:
    """Write ``<name>_sat.<ext>`` and ``<name>_mask.png`` from class-index arrays."""
    Image.fromarray(class_image(img)).save(folder / f"{name}_sat.{ext}")
    Image.fromarray(class_image(mask)).save(folder / f"{name}_mask.png")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Folder with the three synthetic pairs (lossless PNG images)."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, (img, mask) in synthetic_labels().items():
        write_pair(folder, name, img, mask, "png")
    return folder


@dataclass
class OraclePredictor:
    """Stands in for a loaded model (the :class:`Predictor` protocol's attributes); its
    ``predict_batch`` is never called: :func:`oracle_predict` replaces the prediction."""

    meta: ModelMeta
    path: Path | None = None
    precision: str = "fp32"
    flexible: bool = False


def oracle_predict(predictor: OraclePredictor, image: np.ndarray, **kw: Any) -> np.ndarray:
    """One-hot probabilities of the class whose colour each pixel has."""
    schema = predictor.meta.schema
    labels = schema.encode(image).labels
    return (np.arange(schema.num_classes)[:, None, None] == labels[None]).astype(np.float32)


@pytest.fixture
def oracle() -> OraclePredictor:
    """A fake DeepGlobe model."""
    return OraclePredictor(ModelMeta(arch="seed-unet", schema=DEEPGLOBE, tile_size=32))


@pytest.fixture
def oracle_cli(monkeypatch: pytest.MonkeyPatch, oracle: OraclePredictor) -> OraclePredictor:
    """Make ``landcover evaluate`` use the oracle whatever ``--model`` says (no torch needed)."""
    import landcover.evaluation.evaluate as ev
    import landcover.evaluation.run as run

    monkeypatch.setattr(run, "load_predictor", lambda model=None, backend="auto", **kw: oracle)
    monkeypatch.setattr(ev, "_default_predict", lambda: oracle_predict)
    return oracle


@pytest.fixture
def tiny_checkpoint(tmp_path: Path) -> Path:
    """A real, untrained 4-channel-wide seed U-Net saved as a landcover weight file."""
    pytest.importorskip("torch")
    from landcover.models.checkpoint import save_weights
    from landcover.models.registry import create_model

    path = tmp_path / "tiny.pt"
    meta = ModelMeta(
        arch="seed-unet", schema=DEEPGLOBE, arch_kwargs={"width": 4}, tile_size=32, gsd_m=None
    )
    save_weights(path, create_model("seed-unet", 7, width=4), meta)
    return path
