"""The Lightning module's optimiser and scheduler follow the training options."""

from __future__ import annotations

import pytest

from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE
from landcover.training.config import TrainConfig


@pytest.mark.parametrize(("monitor", "mode"), [("val_loss", "min"), ("val_miou", "max")])
def test_plateau_scheduler_watches_the_monitored_metric(monitor: str, mode: str) -> None:
    pytest.importorskip("lightning", reason="needs pip install 'landcover[train]'")
    from landcover.training.module import SegmentationModule

    meta = ModelMeta("seed-unet", DEEPGLOBE, tile_size=32, arch_kwargs={"width": 4})
    cfg = TrainConfig(scheduler="plateau", monitor=monitor, lr=0.01)
    module = SegmentationModule(meta.to_dict(), cfg.to_dict())
    scheduler = module.configure_optimizers()["lr_scheduler"]
    assert scheduler["monitor"] == monitor
    assert scheduler["scheduler"].mode == mode
