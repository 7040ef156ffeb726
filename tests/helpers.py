"""Tiny synthetic datasets for tests, written by code (torchgeo style).

``write_dataset(root)`` makes a DeepGlobe-style folder: JPEG images ``<stem>_sat.jpg`` and PNG
masks ``<stem>_mask.png`` whose class layout is known exactly (see :func:`label_grid`), so tests
can assert exact pixel counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from PIL import Image

from landcover.schema import DEEPGLOBE, ClassSchema

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO / ".." / "shared" / "data"


def require_onnx() -> Any:
    """The ``onnx`` package, which builds the tests' tiny models; the test skips without it."""
    return pytest.importorskip("onnx", reason="test models need onnx: pip install 'landcover[dev]'")


def label_grid(size: int = 32, num_classes: int = 7, offset: int = 0) -> np.ndarray:
    """A ``(size, size)`` ``uint8`` label map: column ``x`` holds class ``(x + offset) % K``."""
    cols = (np.arange(size) + offset) % num_classes
    return np.broadcast_to(cols, (size, size)).astype(np.uint8).copy()


def write_image(path: Path, height: int = 32, width: int = 32, seed: int = 0) -> Path:
    """Write a random RGB image (JPEG or PNG by suffix)."""
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
    return path


def write_mask(path: Path, labels: np.ndarray, schema: ClassSchema = DEEPGLOBE) -> Path:
    """Write ``labels`` as an RGB mask PNG in ``schema``'s colours."""
    Image.fromarray(schema.decode(labels)).save(path)
    return path


def write_dataset(
    root: Path,
    n: int = 3,
    size: int = 32,
    schema: ClassSchema = DEEPGLOBE,
    stem: str = "tile{i}",
) -> list[np.ndarray]:
    """Write ``n`` pairs ``<stem>_sat.jpg`` + ``<stem>_mask.png`` into ``root``.

    Mask ``i`` is :func:`label_grid` with ``offset=i``. Returns the label maps, in order.
    """
    root.mkdir(parents=True, exist_ok=True)
    labels = []
    for i in range(n):
        name = stem.format(i=i)
        write_image(root / f"{name}_sat.jpg", size, size, seed=i)
        lab = label_grid(size, schema.num_classes, offset=i)
        write_mask(root / f"{name}_mask.png", lab, schema)
        labels.append(lab)
    return labels


def class_rasters(out: Path) -> dict[str, np.ndarray]:
    """Every ``*_classes.tif`` of a run folder, by name: its band 1."""
    result = {}
    for p in sorted(Path(out).glob("*_classes.tif")):
        with rasterio.open(p) as src:
            result[p.name] = src.read(1)
    return result
