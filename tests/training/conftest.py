"""Fixtures for training tests: a tiny learnable dataset and a trained tiny run.

The dataset is made by code: each 64x64 image shows vertical bands whose colour is the
(DeepGlobe) class colour of the mask band below it, plus noise, so a tiny network learns it in a
few steps. Band layout shifts with the image index; the last band is ``unknown`` (ignored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.schema import DEEPGLOBE

SIZE = 64


def learnable_labels(i: int, size: int = SIZE) -> np.ndarray:
    """``(size, size)`` labels: 8 vertical bands of classes ``(band + i) % 7``."""
    band = (np.arange(size) * 8 // size + i) % DEEPGLOBE.num_classes
    return np.broadcast_to(band, (size, size)).astype(np.uint8).copy()


def write_learnable(root: Path, n: int = 6, size: int = SIZE) -> list[np.ndarray]:
    """Write ``n`` pairs ``s<i>_sat.png`` / ``s<i>_mask.png``; returns the label maps."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        labels = learnable_labels(i, size)
        rgb = DEEPGLOBE.decode(labels).astype(np.int16) * 3 // 4 + 32
        rgb = np.clip(rgb + rng.integers(-20, 21, rgb.shape), 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(root / f"s{i}_sat.png")
        Image.fromarray(DEEPGLOBE.decode(labels)).save(root / f"s{i}_mask.png")
        out.append(labels)
    return out


def write_split_csv(path: Path, n: int = 6, n_val: int = 2) -> Path:
    """Split file putting the last ``n_val`` pairs in val."""
    rows = [f"s{i}_sat.png,{'val' if i >= n - n_val else 'train'}" for i in range(n)]
    path.write_text("file,split\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


TINY_CONFIG = """\
model: seed-unet
model_kwargs: {width: 4}
crop_size: 32
batch_size: 4
val_batch_size: 2
epochs: 2
lr: 0.01
optimizer: adam
scheduler: none
loss: ce
precision: "32"
channels_last: false
cache: true
patience: 0
checkpoint_minutes: null
seed: 0
"""


def fit_random(module, callbacks: list, n: int = 4, classes: int = 5, epochs: int = 2):  # noqa: ANN001, ANN201
    """Fit ``module`` for ``epochs`` on ``n`` random 32-px images (batches of 2) on the CPU,
    with only ``callbacks`` (no logger, checkpoints or progress bar); the trainer."""
    import lightning as L
    import torch

    torch.manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, classes, (n, 32, 32))
    loader = torch.utils.data.DataLoader(list(zip(images, labels, strict=True)), batch_size=2)
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )
    trainer.fit(module, train_dataloaders=loader)
    return trainer


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """``(data folder, split CSV, config YAML)`` of the tiny learnable dataset."""
    base = tmp_path_factory.mktemp("tiny")
    write_learnable(base / "data")
    split = write_split_csv(base / "split.csv")
    cfg = base / "tiny.yaml"
    cfg.write_text(TINY_CONFIG, encoding="utf-8")
    return base / "data", split, cfg


@pytest.fixture(scope="session")
def trained_run(tiny_data: tuple[Path, Path, Path], tmp_path_factory) -> Path:
    """A finished 2-epoch run of the tiny config (do not modify; copy it first)."""
    from landcover.cli import main

    data, split, cfg = tiny_data
    run = tmp_path_factory.mktemp("runs") / "run"
    argv = ["train", "--data", str(data), "--split", str(split), "--config", str(cfg)]
    assert main([*argv, "--out", str(run)]) == 0
    return run


@pytest.fixture
def run_copy(trained_run: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`trained_run`."""
    dst = tmp_path / "run"
    shutil.copytree(trained_run, dst)
    return dst
