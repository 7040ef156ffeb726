"""Callbacks: ``metrics.csv`` and ``curves.png`` per epoch; a frozen encoder at first; weight EMA.

The history lives in the callback's state, which Lightning saves in every checkpoint, so a
resumed run continues the same table.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import time
from pathlib import Path
from typing import Any

import lightning as L

from landcover.io.atomic import write_text_atomic
from landcover.models.parts import part_names
from landcover.viz.curves import plot_curves

log = logging.getLogger(__name__)

COLUMNS = (
    "epoch",
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "train_miou",
    "val_miou",
    "lr",
    "elapsed_s",
)


class MetricsHistory(L.Callback):
    """Append one row per epoch to ``metrics.csv`` and redraw ``curves.png`` (both atomic).

    Args:
        out: the run folder.
        plot: also draw the curves.
    """

    def __init__(self, out: str | Path, plot: bool = True) -> None:
        self.out = Path(out)
        self.plot = plot
        self.rows: list[dict[str, Any]] = []
        self.elapsed = 0.0
        self._t0: float | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._t0 = time.monotonic() - self.elapsed
        # A checkpoint is saved before its epoch's row is written: after a kill between the
        # two, the row is only on disk. Keep disk rows of epochs the checkpoint completed.
        have = {r["epoch"] for r in self.rows}
        for r in _read_rows(self.out / "metrics.csv"):
            if r["epoch"] <= trainer.current_epoch and r["epoch"] not in have:
                self.rows.append(r)
        self.rows.sort(key=lambda r: r["epoch"])

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return

        if hasattr(pl_module, "log_train_scores"):
            pl_module.log_train_scores()  # type: ignore[operator]  # runs before epoch end
        metrics = trainer.callback_metrics.items()
        m = {k: float(v) for k, v in metrics if v.numel() == 1}
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else math.nan
        self.elapsed = time.monotonic() - (self._t0 or time.monotonic())
        row: dict[str, Any] = {"epoch": trainer.current_epoch + 1}
        ran_val = trainer.current_epoch + 1 == _last_val_epoch(trainer)
        for key in COLUMNS[1:-2]:
            source = "train_loss_epoch" if key == "train_loss" else key
            value = m.get(source, math.nan)
            if key.startswith("val") and not ran_val:
                value = math.nan
            row[key] = value
        row["lr"] = lr
        row["elapsed_s"] = round(self.elapsed, 1)
        self.rows = [r for r in self.rows if r["epoch"] < row["epoch"]] + [row]
        self.write()

    def write(self) -> None:
        """Write ``metrics.csv`` and ``curves.png`` from the rows so far."""
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in self.rows:
            w.writerow({k: _fmt(r.get(k, math.nan)) for k in COLUMNS})
        write_text_atomic(self.out / "metrics.csv", buf.getvalue())
        if self.plot:
            try:
                plot_curves(self.rows, self.out / "curves.png")
            except Exception as e:  # noqa: BLE001 - a failed plot must not stop training
                log.warning("could not draw curves.png: %s", e)

    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "elapsed": self.elapsed}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows = list(state_dict.get("rows", []))
        self.elapsed = float(state_dict.get("elapsed", 0.0))


class FreezeEncoder(L.Callback):
    """Keep the encoder's weights as they are for the first ``epochs`` epochs, then train them.

    While frozen, the encoder's parameters have ``requires_grad`` off: they get no gradient, so
    the optimiser (which holds every parameter) leaves them untouched -- Adam and AdamW skip a
    parameter without gradient, weight decay included. Its batch-norm layers stay in training
    mode: their running statistics follow the new data from the start, so nothing changes
    abruptly when the encoder is unfrozen (keeping the old statistics while the decoder adapted,
    then switching, took one short Dubai fine-tune from 0.21 to 0.07 validation mIoU). The
    encoder is found per architecture (:func:`landcover.models.parts.part_names`) in the
    module's ``model`` (``meta.arch``). The epoch decides (not a state), so a resumed run freezes
    exactly when a fresh one would.

    Args:
        epochs: number of epochs with a frozen encoder.
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.frozen = False
        self._params: list[Any] = []

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        module: Any = pl_module  # a SegmentationModule: its network and model contract
        params = dict(module.model.named_parameters())
        self._params = [params[n] for n in part_names(params, module.meta.arch, "encoder")]

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        frozen = trainer.current_epoch < self.epochs
        if frozen and not self.frozen:
            log.info(
                "encoder frozen for the first %d epoch(s) (%d tensors): training the decoder "
                "and head only",
                self.epochs,
                len(self._params),
            )
        elif self.frozen and not frozen:
            log.info("epoch %d: encoder unfrozen, training the whole model", self.epochs + 1)
        self.frozen = frozen
        for p in self._params:
            p.requires_grad_(not frozen)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        for p in self._params:  # the model leaves training whole
            p.requires_grad_(True)
        self.frozen = False


def weight_ema(decay: float) -> L.Callback:
    """Lightning's :class:`WeightAveraging` as an exponential moving average (``decay`` a step).

    The average is updated after every optimiser step; validation, saved checkpoints
    (``best.ckpt``, ``last.ckpt``) and the model left after training hold the averaged weights
    (batch-norm statistics averaged too), and a resumed run continues both the raw weights and
    the average.
    """
    from lightning.pytorch.callbacks import WeightAveraging  # [train] extra: lazy
    from torch.optim.swa_utils import get_ema_avg_fn  # [train] extra: lazy

    return WeightAveraging(avg_fn=get_ema_avg_fn(decay))


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [
            {k: int(v) if k == "epoch" else (float(v) if v else math.nan) for k, v in r.items()}
            for r in csv.DictReader(f)
        ]


def _last_val_epoch(trainer: L.Trainer) -> int:
    """Epoch number (1-based) of the latest validation run in this epoch, else -1."""
    every = trainer.check_val_every_n_epoch or 1
    e = trainer.current_epoch + 1
    return e if (e % every == 0 and trainer.num_val_batches) else -1


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return str(v)
