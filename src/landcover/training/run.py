"""Run a training: data, split, model, Lightning trainer, outputs in one run folder.

A run folder holds ``checkpoints/best.ckpt`` and ``checkpoints/last.ckpt``, ``metrics.csv``,
``curves.png``, ``config.yaml`` (the resolved config) and ``split.csv`` (the split used).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from landcover.data.pairs import Pair, find_pairs, gsd_of, read_tiles_csv
from landcover.data.scenes import read_scene_list
from landcover.data.split import read_groups, read_split, select_split, split_pairs, write_split
from landcover.errors import LandcoverError, require_extra, require_torch
from landcover.inference.cpu import has_bf16
from landcover.io.atomic import prepare_output_dir, write_text_atomic
from landcover.io.raster import open_raster
from landcover.models.meta import ModelMeta, check_schema
from landcover.models.names import parse_name
from landcover.schema import ClassSchema, get_schema
from landcover.training.config import (
    DEFAULT_GROUPS,
    MONITOR_MODES,
    TrainConfig,
    dump_config,
)
from landcover.training.finetune import init_from_checkpoint, read_init_checkpoint
from landcover.training.process import scoped_process_settings
from landcover.training.ranks import is_rank_zero

log = logging.getLogger(__name__)

OUTPUTS = ("checkpoints", "metrics.csv", "curves.png", "config.yaml", "split.csv", "split.gpkg")
CONFIG_NAME = "config.yaml"


def train(
    config: TrainConfig, out: str | Path, resume: bool = False, overwrite: bool = False
) -> Path:
    """Train a model as ``config`` says, writing the run folder ``out``.

    Process-wide settings the run needs (torch threads, warning filters, seeds) are restored
    when it returns (:func:`~landcover.training.process.scoped_process_settings`).

    Args:
        config: the run's options (``config.data`` is required).
        out: the run folder.
        resume: continue the run in ``out`` from ``checkpoints/last.ckpt`` (epoch, optimiser,
            scheduler, early stopping and metrics history).
        overwrite: replace the results of an earlier run in ``out``.

    Returns:
        The path of the best checkpoint.

    Raises:
        LandcoverError: for missing or bad data, a run folder that already holds results
            (without ``overwrite`` or ``resume``), or a broken or foreign checkpoint.
    """
    require_torch()

    data_dir(config)  # before the run folder is made
    schema = get_schema(config.schema)
    if config.scenes:  # every scene and label file checked before the run folder is made
        require_extra("pyogrio", "gis", "training on scene lists")
        # Lazy: scene lists belong to the [gis] extra (scene_windows takes ~0.1 s to import).
        from landcover.data.scene_windows import open_scenes

        open_scenes(config.scenes, schema, config.bands)
    if config.init_checkpoint and not resume:
        read_init_checkpoint(config.init_checkpoint, config.model, config.model_kwargs)
    out = Path(out)
    ckpt_dir = prepare_run_folder(out, config, schema, resume, overwrite)
    with scoped_process_settings(config.threads):
        return fit(config, schema, out, ckpt_dir, resume)


def data_dir(cfg: TrainConfig) -> str:
    """``cfg.data`` (or ``cfg.scenes``), which a run needs.

    Raises:
        LandcoverError: when neither or both are set.
    """
    if cfg.data and cfg.scenes:
        raise LandcoverError("give --data DIR or --scenes LIST, not both")
    if not cfg.data and not cfg.scenes:
        raise LandcoverError(
            "no training data: give --data DIR or --scenes LIST (or 'data:'/'scenes:' in the "
            "config)"
        )
    return cfg.data or cfg.scenes  # type: ignore[return-value]


def prepare_run_folder(
    out: Path, cfg: TrainConfig, schema: ClassSchema, resume: bool, overwrite: bool
) -> Path:
    """Check (to resume) or claim (for a new run) the run folder; returns its checkpoints folder.

    Raises:
        LandcoverError: when resuming without a readable ``last.ckpt`` of the same schema and
            model, or when ``out`` holds an earlier run's results and ``overwrite`` is false.
    """
    # [train] extra: lazy (models.checkpoint imports torch)
    from landcover.models.checkpoint import read_checkpoint

    ckpt_dir = out / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    if not is_rank_zero():  # a DDP rank > 0 joins the folder that rank 0 claimed
        return ckpt_dir
    if resume:
        if not last.is_file():
            raise LandcoverError("nothing to resume: no checkpoints/last.ckpt", out)
        _, old = read_checkpoint(last)  # clear error for a broken file
        check_schema(old, schema, last)
        if old.arch != cfg.model:
            raise LandcoverError(f"checkpoint is a {old.arch!r}, config says {cfg.model!r}", last)
    else:
        prepare_output_dir(out, OUTPUTS, overwrite)
        if overwrite and ckpt_dir.is_dir():
            shutil.rmtree(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    return ckpt_dir


@dataclass
class RunData:
    """The data of a run: loaders, the (augmented) training set, sizes and ground GSD."""

    train_loader: Any
    val_loader: Any
    train_set: Any
    train_images: int
    val_images: int
    gsd: float | None


def recorded_bands(cfg: TrainConfig) -> tuple[int, ...] | None:
    """The bands the model records (its checkpoint and ONNX metadata): ``cfg.bands``, names
    resolved to their numbers in the first scene of the list."""
    if not cfg.bands:
        return None
    if cfg.scenes is None or all(isinstance(b, int) for b in cfg.bands):
        return tuple(int(b) for b in cfg.bands)
    # Lazy, as in train(): scene lists belong to the [gis] extra.
    from landcover.data.scene_windows import scene_bands

    first = read_scene_list(cfg.scenes)[0].image
    with open_raster(first) as src:
        return tuple(scene_bands(src, cfg.bands, first))


def fit(cfg: TrainConfig, schema: ClassSchema, out: Path, ckpt_dir: Path, resume: bool) -> Path:
    """Seed, load the data, record the resolved config, build the model and train it.

    Returns:
        ``best.ckpt``, or ``last.ckpt`` when no validation ran.
    """
    import lightning as L  # [train] extra: lazy

    # [train] extra: lazy (training.module imports torch)
    from landcover.training.module import SegmentationModule

    L.seed_everything(cfg.seed, workers=True, verbose=False)
    data = prepare_data(cfg, schema, out, resume)
    meta, weights = describe_model(cfg, schema, data)
    precision = resolve_precision(cfg.precision)
    cfg = record_config(cfg, out / CONFIG_NAME, meta, weights, data, precision)
    module = SegmentationModule(meta.to_dict(), cfg.to_dict(), weights)
    if not resume:
        init_weights(module.model, cfg, schema)
    trainer = make_trainer(cfg, out, precision, make_callbacks(cfg, out, ckpt_dir))
    last = ckpt_dir / "last.ckpt"
    trainer.fit(
        module,
        train_dataloaders=data.train_loader,
        val_dataloaders=data.val_loader,
        ckpt_path=str(last) if resume else None,
    )
    best = ckpt_dir / "best.ckpt"
    return best if best.is_file() else last


def prepare_data(cfg: TrainConfig, schema: ClassSchema, out: Path, resume: bool) -> RunData:
    """Select the pairs, write the run's ``split.csv``, find the GSD and build the loaders.

    With ``cfg.scenes``: windows of the scenes, the run's ``split.gpkg`` of blocks
    (:func:`~landcover.training.scene_data.scene_loaders`).
    """
    if cfg.scenes:
        # [train] extra: lazy (training.scene_data imports torch)
        from landcover.training.scene_data import scene_loaders

        train_loader, val_loader, train_set, val_set, gsd = scene_loaders(cfg, schema, out, resume)
        return RunData(train_loader, val_loader, train_set, len(train_set), len(val_set), gsd)
    train_pairs, val_pairs, split_map = select_pairs(cfg, resume_dir=out if resume else None)
    if is_rank_zero():
        write_split(out / "split.csv", split_map)
    pairs_gsd = (
        cfg.gsd if cfg.gsd is not None else gsd_of(train_pairs, read_tiles_csv(data_dir(cfg)))
    )
    train_loader, val_loader, train_set = make_loaders(cfg, schema, train_pairs, val_pairs)
    return RunData(train_loader, val_loader, train_set, len(train_pairs), len(val_pairs), pairs_gsd)


def describe_model(
    cfg: TrainConfig, schema: ClassSchema, data: RunData
) -> tuple[ModelMeta, list[float] | None]:
    """The model's contract (architecture, normalisation, GSD, tile size) and class weights."""
    mean, std = resolve_normalization(cfg, data.train_set)
    weights = resolve_class_weights(cfg, schema, data.train_set)
    meta = ModelMeta(
        arch=cfg.model,
        schema=schema,
        mean=mean,
        std=std,
        gsd_m=data.gsd,
        tile_size=cfg.crop_size,
        arch_kwargs=dict(cfg.model_kwargs),
        in_channels=len(cfg.bands) if cfg.bands else 3,
        bands=recorded_bands(cfg),
    )
    return meta, weights


def record_config(
    cfg: TrainConfig,
    path: Path,
    meta: ModelMeta,
    weights: list[float] | None,
    data: RunData,
    precision: str,
) -> TrainConfig:
    """A copy of ``cfg`` with what the run found in ``resolved``, written to ``path``."""
    import torch  # [train] extra: lazy

    resolved = {
        "precision": precision,
        "mean": list(meta.mean),
        "std": list(meta.std),
        "gsd_m": data.gsd,
        "class_weights": weights,
        "train_images": data.train_images,
        "val_images": data.val_images,
        "threads": torch.get_num_threads(),
    }
    cfg = dataclasses.replace(cfg, resolved=resolved)

    if is_rank_zero():
        write_text_atomic(path, dump_config(cfg))
    return cfg


def make_callbacks(cfg: TrainConfig, out: Path, ckpt_dir: Path) -> list[Any]:
    """Best/last checkpoints, the metrics history, timed checkpoints and early stopping."""
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint  # [train] extra: lazy

    # [train] extra: lazy (training.callbacks imports torch)
    from landcover.training.callbacks import MetricsHistory

    mode = MONITOR_MODES[cfg.monitor]
    callbacks: list[Any] = [
        ModelCheckpoint(
            dirpath=ckpt_dir,
            filename="best",
            monitor=cfg.monitor,
            mode=mode,
            save_top_k=1,
            save_last=True,
            auto_insert_metric_name=False,
            enable_version_counter=False,
        ),
        MetricsHistory(out),
    ]
    if cfg.freeze_encoder_epochs:
        # [train] extra: lazy (training.callbacks imports torch)
        from landcover.training.callbacks import FreezeEncoder

        callbacks.append(FreezeEncoder(cfg.freeze_encoder_epochs))
    if cfg.ema is not None:
        # [train] extra: lazy (training.callbacks imports torch)
        from landcover.training.callbacks import weight_ema

        callbacks.append(weight_ema(cfg.ema))
    if cfg.checkpoint_minutes:
        callbacks.append(
            ModelCheckpoint(
                dirpath=ckpt_dir,
                save_top_k=0,
                save_last=True,
                train_time_interval=timedelta(minutes=cfg.checkpoint_minutes),
                enable_version_counter=False,
            )
        )
    if cfg.patience > 0:
        callbacks.append(
            EarlyStopping(
                monitor=cfg.monitor,
                mode=mode,
                patience=cfg.patience,
                check_on_train_epoch_end=False,
            )
        )
    return callbacks


def make_trainer(cfg: TrainConfig, out: Path, precision: str, callbacks: list[Any]) -> Any:
    """The Lightning trainer of a run."""
    import lightning as L  # [train] extra: lazy

    return L.Trainer(
        default_root_dir=out,
        accelerator=cfg.accelerator,
        devices=cfg.devices,
        num_nodes=cfg.num_nodes,
        strategy=cfg.strategy,
        precision=precision,  # type: ignore[arg-type]  # checked against Lightning's names
        max_epochs=cfg.epochs,
        max_time=timedelta(minutes=cfg.max_time) if cfg.max_time else None,
        gradient_clip_val=cfg.grad_clip or None,
        check_val_every_n_epoch=cfg.val_every,
        limit_train_batches=cfg.limit_train_batches,
        limit_val_batches=cfg.limit_val_batches,
        num_sanity_val_steps=0,
        logger=False,
        callbacks=callbacks,
        deterministic=False,
        benchmark=True,  # fixed-size crops: let cuDNN pick the fastest kernels
        log_every_n_steps=50,
        enable_model_summary=False,
    )


def select_pairs(
    cfg: TrainConfig, resume_dir: Path | None = None
) -> tuple[list[Pair], list[Pair], dict[str, str]]:
    """Training and validation pairs, and the split map used.

    With ``cfg.split`` the CSV's ``train`` and ``val`` entries; when resuming, the run's own
    ``split.csv``; otherwise a validation split of ``cfg.data`` keeping ``cfg.groups``
    together (see :func:`split_groups`).
    """
    pairs = find_pairs(data_dir(cfg)).pairs
    if not pairs:
        raise LandcoverError("no image/mask pairs found", cfg.data)
    split_file = cfg.split
    if split_file is None and resume_dir is not None and (resume_dir / "split.csv").is_file():
        split_file = str(resume_dir / "split.csv")
    if split_file is not None:
        split_map = read_split(split_file)
    else:
        groups = split_groups(cfg, pairs)
        split_map = split_pairs(pairs, val=cfg.val_fraction, test=0.0, seed=cfg.seed, groups=groups)
    train_pairs = select_split(pairs, split_map, "train")
    val_pairs = select_split(pairs, split_map, "val")
    where = split_file or cfg.data
    if not train_pairs:
        raise LandcoverError("the split holds no training images", where)
    if not val_pairs:
        raise LandcoverError("the split holds no validation images", where)
    log.info("training on %d images, validating on %d", len(train_pairs), len(val_pairs))
    return train_pairs, val_pairs, split_map


def split_groups(cfg: TrainConfig, pairs: list[Pair]) -> dict[str, str]:
    """Group ids of ``pairs`` from ``cfg.groups`` (``CSV:COLUMN``) for the automatic split.

    The default, ``tiles.csv:deepglobe_id``, is used where that CSV names the images and is
    skipped (split by file) elsewhere; any other value must name a readable CSV and column.

    Raises:
        LandcoverError: naming the CSV when a ``groups`` value other than the default cannot
            be used (missing file or column, or no row naming an image of ``cfg.data``).
    """
    if not cfg.groups:
        return {}
    try:
        return read_groups(cfg.groups, pairs, data_dir(cfg))
    except LandcoverError as e:
        if cfg.groups != DEFAULT_GROUPS:
            raise LandcoverError(f"groups {cfg.groups!r}: {e.message}", e.path) from e
        log.info("no groups for the validation split (%s); splitting by file", e)
        return {}


def make_loaders(
    cfg: TrainConfig, schema: ClassSchema, train_pairs: list[Pair], val_pairs: list[Pair]
) -> tuple[Any, Any, Any]:
    """Training loader (augmented crops), validation loader (whole images) and training set."""
    import torch  # [train] extra: lazy
    from torch.utils.data import DataLoader  # [train] extra: lazy

    # [train] extra: lazy (training.augment imports torch)
    from landcover.training.augment import train_transform, val_transform

    # [train] extra: lazy (training.dataset imports torch)
    from landcover.training.dataset import PairDataset, pad_collate

    fill = schema.fill_index
    train_set = PairDataset(
        train_pairs,
        schema,
        train_transform(
            cfg.crop_mode,
            cfg.crop_size,
            fill,
            cfg.scale_jitter,
            cfg.color_jitter,
            cfg.seed,
            cfg.saturation_jitter,
            cfg.hue_jitter,
        ),
        cache=cfg.cache,
    )
    val_set = PairDataset(
        val_pairs, schema, val_transform(cfg.crop_mode, cfg.crop_size, fill), cache=cfg.cache
    )
    workers = int(cfg.num_workers)
    common: dict[str, Any] = {
        "num_workers": workers,
        "persistent_workers": workers > 0,
        "pin_memory": torch.cuda.is_available(),
    }
    train_loader = DataLoader(
        train_set,
        batch_size=cfg.batch_size,
        shuffle=True,
        drop_last=len(train_set) >= cfg.batch_size,
        generator=torch.Generator().manual_seed(cfg.seed),
        **common,
    )
    val_loader = DataLoader(
        val_set,
        batch_size=cfg.val_batch_size,
        shuffle=False,
        collate_fn=functools.partial(pad_collate, fill=fill),  # whole images of any size
        **common,
    )
    return train_loader, val_loader, train_set


def resolve_normalization(
    cfg: TrainConfig, train_set: Any
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(mean, std)`` for the model input, one per band (:func:`_normalization`).

    Bands beyond the three of an RGB normalisation (``--bands 1,2,3,4``) get the mean of the
    RGB values, as their first-layer filters start from the mean of the RGB filters
    (:func:`~landcover.training.finetune.init_from_checkpoint`).
    """
    mean, std = _normalization(cfg, train_set)
    n = len(cfg.bands) if cfg.bands else 3
    if len(mean) == 3 and n > 3:
        mean = (*mean, *[round(sum(mean) / 3, 4)] * (n - 3))
        std = (*std, *[round(sum(std) / 3, 4)] * (n - 3))
    return tuple(mean), tuple(std)


def _normalization(cfg: TrainConfig, train_set: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(mean, std)`` for the model input, per ``cfg.normalize``.

    ``auto``: when fine-tuning (``init_checkpoint``), the checkpoint's own normalisation (its
    weights expect it); else what the encoder weights expect (0.5/0.5 for EfficientNet-Lite
    ImageNet weights, ImageNet statistics for other ImageNet encoders); else the training data's
    statistics.
    """
    # [train] extra: lazy (models.pretrained imports torch)
    from landcover.models.pretrained import HALF, IMAGENET_MEAN, IMAGENET_STD, preprocessing_for

    # [train] extra: lazy (training.dataset imports torch)
    from landcover.training.dataset import channel_stats

    if cfg.normalize == "imagenet":
        return IMAGENET_MEAN, IMAGENET_STD
    if cfg.normalize == "half":
        return HALF, HALF
    if cfg.normalize == "auto" and cfg.init_checkpoint:
        _, meta = read_init_checkpoint(cfg.init_checkpoint, cfg.model, cfg.model_kwargs)
        log.info(
            "normalisation: the checkpoint's (mean %s, std %s), which its weights expect "
            "(normalize: imagenet, half or data to change it)",
            _rounded(meta.mean),
            _rounded(meta.std),
        )
        return tuple(meta.mean), tuple(meta.std)
    if cfg.normalize == "auto":
        _, encoder = parse_name(cfg.model)
        pre = preprocessing_for(encoder, cfg.encoder_weights)
        if pre is not None:
            return pre
    return channel_stats(train_set)


def _rounded(values: tuple[float, ...]) -> list[float]:
    return [round(float(v), 4) for v in values]


def resolve_class_weights(
    cfg: TrainConfig, schema: ClassSchema, train_set: Any
) -> list[float] | None:
    """Cross-entropy class weights: ``None``, a list, or ``auto`` (inverse pixel frequency).

    ``auto`` gives each scored class ``mean_count / count`` (clipped to [0.1, 10]); the ignored
    class and absent classes get 1 (they never count).
    """
    cw = cfg.class_weights
    if cw is None:
        return None
    k = schema.num_classes
    if cw != "auto":
        if len(cw) != k:
            raise LandcoverError(
                f"class_weights has {len(cw)} values but schema {schema.name!r} has {k} classes"
            )
        return [float(v) for v in cw]
    # [train] extra: lazy (training.dataset imports torch)
    from landcover.training.dataset import class_frequencies

    counts = class_frequencies(train_set, k).astype(float)
    scored = [i for i in schema.scored_indices if counts[i] > 0]
    mean = sum(counts[i] for i in scored) / max(1, len(scored))
    weights = [1.0] * k
    for i in scored:
        weights[i] = round(min(10.0, max(0.1, mean / counts[i])), 4)
    return weights


def resolve_precision(precision: str) -> str:
    """``auto`` -> ``bf16-mixed`` on CUDA with bf16 or a CPU with AMX/AVX512-BF16, else 32."""
    if precision != "auto":
        return "32-true" if precision == "32" else precision
    import torch  # [train] extra: lazy

    if torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "32-true"

    return "bf16-mixed" if has_bf16() else "32-true"


def init_weights(model: Any, cfg: TrainConfig, schema: ClassSchema) -> None:
    """Initialise a new model from ``cfg.init_checkpoint`` or ``cfg.encoder_weights``.

    A checkpoint of another class schema gives all but the head
    (:func:`~landcover.training.finetune.init_from_checkpoint`).
    """
    if cfg.init_checkpoint:
        init_from_checkpoint(model, cfg.init_checkpoint, cfg.model, cfg.model_kwargs, schema)
        if cfg.encoder_weights:
            log.warning(
                "encoder_weights %s not used: init_checkpoint gives the encoder",
                cfg.encoder_weights,
            )
        return
    if cfg.encoder_weights:
        # [train] extra: lazy (models.pretrained imports torch)
        from landcover.models.pretrained import load_encoder_weights

        _, encoder = parse_name(cfg.model)
        if encoder is None:
            raise LandcoverError(f"model {cfg.model!r} has no encoder to initialise")
        load_encoder_weights(model, encoder, cfg.encoder_weights)
