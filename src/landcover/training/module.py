"""The Lightning module: model, loss, optimiser, scheduler and confusion-matrix metrics.

``hyper_parameters["meta"]`` of its checkpoints is a :meth:`ModelMeta.to_dict`, and the model
sits under ``model.``, so :func:`landcover.models.checkpoint.load_checkpoint` reads them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import lightning as L
import numpy as np
import torch
from torch import nn
from torchmetrics.classification import MulticlassConfusionMatrix

from landcover.errors import InputError
from landcover.evaluation.metrics import scores
from landcover.models.checkpoint import build_model
from landcover.models.meta import ModelMeta
from landcover.training.config import MONITOR_MODES


class SegmentationModule(L.LightningModule):
    """Train a segmentation network described by a :class:`ModelMeta`.

    Args:
        meta: the model contract (``ModelMeta.to_dict()``), saved in checkpoints.
        train: training options (a :meth:`TrainConfig.to_dict`), saved in checkpoints.
        class_weights: cross-entropy class weights, one per class, or ``None``.
    """

    def __init__(
        self,
        meta: dict[str, Any],
        train: dict[str, Any],
        class_weights: list[float] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.meta = ModelMeta.from_dict(meta)
        self.cfg = train
        self.model = build_model(self.meta)
        k = self.meta.num_classes
        self.fill = self.meta.schema.fill_index
        self.register_buffer("mean", torch.tensor(self.meta.mean).view(1, -1, 1, 1) * 255.0)
        self.register_buffer("std", torch.tensor(self.meta.std).view(1, -1, 1, 1) * 255.0)
        self.loss_fn = build_loss(train.get("loss", "ce"), k, self.fill, class_weights)
        self.train_cm = MulticlassConfusionMatrix(k, ignore_index=self.fill, validate_args=False)
        self.val_cm = MulticlassConfusionMatrix(k, ignore_index=self.fill, validate_args=False)
        self._train_scored = -1
        self.channels_last = bool(train.get("channels_last", True))
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """``uint8 (N, C, H, W)`` -> normalised float input, ``(x / 255 - mean) / std``."""
        mean, std = cast(torch.Tensor, self.mean), cast(torch.Tensor, self.std)  # buffers
        x = (images.float() - mean) / std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, K, H, W)`` for ``uint8`` images."""
        return self.model(self.normalize(images))

    def _step(
        self, batch: tuple[torch.Tensor, torch.Tensor], cm: MulticlassConfusionMatrix
    ) -> torch.Tensor:
        images, labels = batch
        logits = self(images)
        loss = self.loss_fn(logits.float(), labels)
        cm.update(logits.detach().argmax(1), labels)
        return loss

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        loss = self._step(batch, self.train_cm)
        n = batch[0].shape[0]
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=n)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        loss = self._step(batch, self.val_cm)
        self.log("val_loss", loss, on_epoch=True, prog_bar=True, batch_size=batch[0].shape[0])

    def _scores(self, cm: MulticlassConfusionMatrix, prefix: str) -> None:
        s = scores(cm.compute().cpu().numpy().astype(np.int64), self.meta.schema.ignore_index)
        cm.reset()
        self.log(f"{prefix}_acc", _finite(s.pixel_accuracy), prog_bar=prefix == "val")
        self.log(f"{prefix}_miou", _finite(s.miou), prog_bar=prefix == "val")

    def on_train_epoch_end(self) -> None:
        self.log_train_scores()

    def log_train_scores(self) -> None:
        """Log this epoch's training accuracy and mIoU (once per epoch, whoever calls first)."""
        if self._train_scored != self.current_epoch:
            self._train_scored = self.current_epoch
            self._scores(self.train_cm, "train")

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self._scores(self.val_cm, "val")
        else:
            self.val_cm.reset()

    def configure_optimizers(self) -> Any:
        c = self.cfg
        opt_cls = torch.optim.AdamW if c.get("optimizer") == "adamw" else torch.optim.Adam
        opt = opt_cls(self.parameters(), lr=c["lr"], weight_decay=c.get("weight_decay", 0.0))
        sched = c.get("scheduler", "plateau")
        if sched == "plateau":
            monitor = c.get("monitor", "val_loss")
            s: Any = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, mode=MONITOR_MODES[monitor], factor=0.5, patience=3, min_lr=1e-6
            )
            return {
                "optimizer": opt,
                "lr_scheduler": {"scheduler": s, "monitor": monitor, "strict": False},
            }
        if sched == "none":
            return opt
        total = int(self.trainer.estimated_stepping_batches)
        if sched == "cosine":
            s = torch.optim.lr_scheduler.LambdaLR(
                opt, cosine_schedule(total, c["lr"], c.get("max_time"), _timer(self.trainer))
            )
        else:
            s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=c["lr"], total_steps=max(2, total))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": s, "interval": "step"}}


def cosine_schedule(
    total_steps: int, lr: float, max_time: float | None, timer: Any
) -> Callable[[int], float]:
    """Learning-rate factor: cosine decay to 1e-6 at the last step or at the time budget.

    Progress is the larger of the step fraction and the elapsed fraction of ``max_time``
    (minutes, from Lightning's timer, which a resumed run restores), so a time-limited run
    anneals fully whatever its throughput. A plain function (not an object), so that the
    scheduler's checkpoint state holds no reference to the timer.
    """
    total = max(1, int(total_steps))
    floor = min(1.0, 1e-6 / lr)
    budget_s = None if not max_time else float(max_time) * 60.0

    def factor(step: int) -> float:
        progress = step / total
        if budget_s and timer is not None:
            progress = max(progress, (timer.time_elapsed("train") or 0.0) / budget_s)
        progress = min(1.0, progress)
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


def _timer(trainer: Any) -> Any:
    from lightning.pytorch.callbacks import Timer  # [train] extra: lazy

    return next((cb for cb in trainer.callbacks if isinstance(cb, Timer)), None)


def build_loss(
    name: str, num_classes: int, ignore_index: int, class_weights: list[float] | None = None
) -> nn.Module:
    """Loss from its config name: ``ce``, ``dice``, ``focal``, ``ce+dice``, ``ce+focal``.

    Pixels labelled ``ignore_index`` count in none of them.
    """
    from segmentation_models_pytorch.losses import DiceLoss, FocalLoss  # [train] extra: lazy

    weight = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float32)
    parts: list[nn.Module] = []
    for part in name.split("+"):
        if part == "ce":
            parts.append(nn.CrossEntropyLoss(weight=weight, ignore_index=ignore_index))
        elif part == "dice":
            parts.append(DiceLoss("multiclass", ignore_index=ignore_index))
        elif part == "focal":
            parts.append(FocalLoss("multiclass", ignore_index=ignore_index))
        else:
            raise InputError(f"unknown loss {part!r}")
    return parts[0] if len(parts) == 1 else SumLoss(parts)


class SumLoss(nn.Module):
    """Sum of several losses of the same ``(logits, labels)``."""

    def __init__(self, parts: list[nn.Module]) -> None:
        super().__init__()
        self.parts = nn.ModuleList(parts)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Sum of the parts."""
        return sum(p(logits, labels) for p in self.parts)


def _finite(v: float) -> float:
    return float(v) if np.isfinite(v) else 0.0
