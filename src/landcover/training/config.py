"""The training configuration: every option with its default and help text, read from YAML.

One :class:`TrainConfig` describes a run; the resolved config is written beside the results as
``config.yaml`` so that the run is reproducible from that file plus the data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from landcover.errors import LandcoverError

CHOICES: dict[str, tuple[str, ...]] = {
    "crop_mode": ("crop", "resize"),
    "optimizer": ("adam", "adamw"),
    "scheduler": ("plateau", "cosine", "onecycle", "none"),
    "loss": ("ce", "ce+dice", "dice", "focal", "ce+focal"),
    "precision": ("auto", "32", "bf16-mixed", "16-mixed"),
    "monitor": ("val_loss", "val_miou"),
    "normalize": ("auto", "imagenet", "half", "data"),
}


@dataclass
class TrainConfig:
    """Options of one training run (see ``HELP`` for each)."""

    data: str | None = None
    split: str | None = None
    groups: str = "tiles.csv:deepglobe_id"
    val_fraction: float = 0.15
    schema: str = "deepglobe"
    model: str = "unet-lite0"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    encoder_weights: str | None = None
    init_checkpoint: str | None = None
    crop_mode: str = "crop"
    crop_size: int = 256
    scale_jitter: float = 0.0
    color_jitter: float = 0.2
    saturation_jitter: float = 0.0
    hue_jitter: float = 0.0
    batch_size: int = 8
    val_batch_size: int = 4
    epochs: int = 50
    max_time: float | None = None
    lr: float = 1e-4
    optimizer: str = "adam"
    weight_decay: float = 0.0
    scheduler: str = "plateau"
    loss: str = "ce"
    class_weights: Any = None
    grad_clip: float = 1.0
    precision: str = "auto"
    channels_last: bool = True
    seed: int = 0
    num_workers: int = 0
    threads: int | None = None
    cache: bool = True
    val_every: int = 1
    limit_train_batches: float | int | None = None
    limit_val_batches: float | int | None = None
    patience: int = 5
    monitor: str = "val_loss"
    normalize: str = "auto"
    gsd: float | None = None
    accelerator: str = "auto"
    devices: Any = "auto"
    num_nodes: int = 1
    strategy: str = "auto"
    checkpoint_minutes: float | None = 10.0
    resolved: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (YAML-safe)."""
        return dataclasses.asdict(self)


HELP: dict[str, str] = {
    "data": "dataset folder of image/mask pairs",
    "split": "split CSV (file,split) from 'landcover split'; without it a grouped validation "
    "split of --data is made",
    "groups": "CSV:COLUMN keeping images of one group together in the automatic split",
    "val_fraction": "fraction of images for validation in the automatic split",
    "schema": "class schema: deepglobe, dubai or a YAML file",
    "model": "seed-unet or <arch>-<encoder>, e.g. unet-lite0, unet-resnet34, fpn-mobilenet_v2",
    "model_kwargs": "extra architecture arguments (YAML mapping), e.g. {width: 32} for seed-unet",
    "encoder_weights": "encoder initialisation: null (random), imagenet, or a weights file path",
    "init_checkpoint": "start from the weights of a landcover checkpoint (fine-tuning)",
    "crop_mode": "crop: random crops at native resolution; resize: resize whole images",
    "crop_size": "training crop (or resize) size in pixels, a multiple of 32",
    "scale_jitter": "random scale jitter amplitude (0.2 = +-20%%), 0 = off",
    "color_jitter": "brightness/contrast jitter amplitude, 0 = off",
    "saturation_jitter": "saturation jitter amplitude (0.3 = factor 0.7..1.3), 0 = off",
    "hue_jitter": "hue shift amplitude as a fraction of the colour circle (0.03 = +-11 degrees), "
    "0 = off",
    "batch_size": "training batch size",
    "val_batch_size": "validation batch size (whole images)",
    "epochs": "maximum number of epochs",
    "max_time": "time budget in minutes; training stops cleanly and keeps best/last",
    "lr": "learning rate",
    "optimizer": "adam or adamw",
    "weight_decay": "weight decay",
    "scheduler": "plateau (factor 0.5, patience 3), cosine, onecycle or none",
    "loss": "ce, ce+dice, dice, focal or ce+focal",
    "class_weights": "cross-entropy class weights: null, auto (inverse frequency) or a list",
    "grad_clip": "gradient norm clipping (0 = off)",
    "precision": "auto (bf16-mixed where the hardware has it), 32, bf16-mixed, 16-mixed",
    "channels_last": "use the channels-last memory format (faster on CPU and GPU)",
    "seed": "random seed (runs are reproducible)",
    "num_workers": "data loader worker processes",
    "threads": "CPU threads for torch (default: all cores)",
    "cache": "decode images once and keep them in RAM",
    "val_every": "validate every N epochs",
    "limit_train_batches": "train batches per epoch (int) or fraction (float)",
    "limit_val_batches": "validation batches (int) or fraction (float)",
    "patience": "early stopping patience in validations (0 = off)",
    "monitor": "metric choosing best.ckpt and early stopping: val_loss or val_miou",
    "normalize": "input normalisation: auto (the init_checkpoint's when fine-tuning, else what "
    "the encoder weights expect, else data statistics), imagenet, half (0.5/0.5) or data",
    "gsd": "ground sampling distance of the data in metres (default: from tiles.csv)",
    "accelerator": "auto, cpu, gpu, mps",
    "devices": "devices to use (auto, a count or a list), for several GPUs",
    "num_nodes": "number of nodes for distributed training",
    "strategy": "Lightning strategy, e.g. auto or ddp",
    "checkpoint_minutes": "also save last.ckpt every N minutes inside long epochs (null = off)",
}


def config_fields() -> list[dataclasses.Field]:
    """The options that users set (everything but ``resolved``, which a run fills in)."""
    return [f for f in fields(TrainConfig) if f.name != "resolved"]


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML config and apply ``overrides`` (values that are not ``None``).

    Raises:
        LandcoverError: naming the file for unreadable YAML, unknown keys or invalid values.
    """
    values: dict[str, Any] = {}
    if path is not None:
        import yaml

        p = Path(path)
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise LandcoverError("no such config file", p) from e
        except (OSError, yaml.YAMLError) as e:
            raise LandcoverError(f"cannot read config ({e})", p) from e
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise LandcoverError("a config file must hold a mapping of options", p)
        doc.pop("resolved", None)  # written by a run for the record; recomputed on use
        known = {f.name for f in config_fields()}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise LandcoverError(
                f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}", p
            )
        values.update(doc)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    cfg = TrainConfig(**values)
    validate(cfg, path)
    return cfg


def validate(cfg: TrainConfig, source: str | Path | None = None) -> None:
    """Check choices and ranges; a clear error naming the option."""
    for name, choices in CHOICES.items():
        value = str(getattr(cfg, name))
        if value not in choices:
            raise LandcoverError(f"{name}: {value!r} is not one of {', '.join(choices)}", source)
    if cfg.crop_size <= 0 or cfg.crop_size % 32:
        raise LandcoverError(
            f"crop_size: {cfg.crop_size} must be a positive multiple of 32", source
        )
    for name in ("batch_size", "val_batch_size", "epochs", "val_every"):
        if int(getattr(cfg, name)) < 1:
            raise LandcoverError(f"{name}: must be at least 1", source)
    if not 0 <= cfg.hue_jitter <= 0.5:
        raise LandcoverError(f"hue_jitter: {cfg.hue_jitter} must be in [0, 0.5]", source)
    if cfg.saturation_jitter < 0:
        raise LandcoverError(f"saturation_jitter: {cfg.saturation_jitter} must be >= 0", source)
    if cfg.lr <= 0:
        raise LandcoverError(f"lr: {cfg.lr} must be positive", source)
    if not 0 < cfg.val_fraction < 1:
        raise LandcoverError(f"val_fraction: {cfg.val_fraction} must be in (0, 1)", source)
    if not isinstance(cfg.model_kwargs, dict):
        raise LandcoverError("model_kwargs: must be a mapping", source)
    cw = cfg.class_weights
    if cw is not None and cw != "auto" and not isinstance(cw, list):
        raise LandcoverError("class_weights: use null, auto or a list of numbers", source)
