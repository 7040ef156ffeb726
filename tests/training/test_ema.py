"""Exponential moving average of the weights (``ema``) and the two-factor ``scale_jitter``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.cli import main
from landcover.errors import LandcoverError
from landcover.schema import DUBAI
from landcover.training.augment import scale_factors, train_transform
from landcover.training.config import TrainConfig

from .conftest import fit_random


def test_the_model_after_training_is_the_moving_average_of_every_step() -> None:
    """ema_1 = p_1, ema_k = d * ema_(k-1) + (1 - d) * p_k over the optimiser steps."""
    import lightning as L

    from landcover.models.meta import ModelMeta
    from landcover.training.callbacks import weight_ema
    from landcover.training.module import SegmentationModule

    decay = 0.7
    meta = ModelMeta("seed-unet", DUBAI, tile_size=32, arch_kwargs={"width": 4})
    cfg = TrainConfig(lr=0.05, scheduler="none", channels_last=False)
    module = SegmentationModule(meta.to_dict(), cfg.to_dict())
    steps: list[dict[str, torch.Tensor]] = []

    class Snapshot(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            steps.append({k: p.detach().clone() for k, p in pl_module.model.named_parameters()})

    fit_random(module, [Snapshot(), weight_ema(decay)], n=6)
    assert len(steps) == 6
    expected = dict(steps[0])
    for step in steps[1:]:
        expected = {k: decay * v + (1 - decay) * step[k] for k, v in expected.items()}
    final = dict(module.model.named_parameters())
    for name, value in expected.items():
        torch.testing.assert_close(final[name].detach(), value, rtol=1e-5, atol=1e-6)
    assert any(not torch.equal(final[k], steps[-1][k]) for k in expected)  # not the last step


def test_checkpoints_hold_the_average_and_a_run_resumes(tiny_data, tmp_path: Path) -> None:
    data, split, cfg = tiny_data
    run = tmp_path / "run"
    argv = ["train", "--data", str(data), "--split", str(split), "--config", str(cfg)]
    assert main([*argv, "--ema", "0.9", "--epochs", "2", "--out", str(run)]) == 0
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)
    current, averaged = ckpt["current_model_state"], ckpt["state_dict"]
    assert current.keys() == averaged.keys()
    assert any(not torch.equal(current[k], averaged[k]) for k in current)
    assert main(["train", "--resume", str(run), "--epochs", "3"]) == 0
    resumed = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)
    assert resumed["epoch"] == 2 and "current_model_state" in resumed


@pytest.mark.parametrize(("value", "factors"), [(0.25, (0.75, 1.25)), ([0.67, 1.5], (0.67, 1.5))])
def test_scale_jitter_is_an_amplitude_or_two_factors(value, factors) -> None:
    assert scale_factors(TrainConfig(scale_jitter=value).scale_jitter) == factors
    assert TrainConfig(scale_jitter="0.67,1.5").scale_jitter == [0.67, 1.5]


@pytest.mark.parametrize("value", ["1.5,0.67", "0,1.5", "0.5,1,2"])
def test_a_bad_scale_range_is_refused_naming_the_option(value: str) -> None:
    with pytest.raises(LandcoverError, match="scale_jitter: .* must be an amplitude in"):
        TrainConfig(scale_jitter=value)


def test_two_factors_rescale_every_sample_within_them() -> None:
    """Halving a 64-px image leaves a 32-33 px picture in the 64-px crop, padded with the fill."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    labels = np.zeros((64, 64), np.uint8)
    transform = train_transform("crop", 64, fill_label=6, scale_jitter=[0.5, 0.51], seed=0)
    for _ in range(4):
        _, lab = transform(image, labels)
        assert 64 * 64 - 33 * 33 <= int((lab == 6).sum()) <= 64 * 64 - 32 * 32
