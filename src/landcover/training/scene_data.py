"""The data of a training on scenes: checks, block split, training GSD and window loaders.

Every scene is opened and its labels checked before training starts (one line naming the file
for each bad input, see :mod:`landcover.data.scene_labels`). The split is the ``--split``
GeoPackage of blocks, the run's own ``split.gpkg`` when resuming, or a new block split
(``block_size``, ``val_fraction``) written as the run's ``split.gpkg``.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from landcover.data.scene_split import (
    Block,
    check_block_crs,
    read_blocks,
    split_blocks,
    write_blocks,
)
from landcover.data.scene_windows import SceneReader, open_scenes
from landcover.errors import InputError
from landcover.schema import ClassSchema
from landcover.training.augment import train_transform
from landcover.training.config import TrainConfig
from landcover.training.dataset import pad_collate
from landcover.training.finetune import read_init_checkpoint
from landcover.training.ranks import is_rank_zero
from landcover.training.scene_dataset import SceneWindows, labelled_points, tile_points

log = logging.getLogger(__name__)

SPLIT_NAME = "split.gpkg"


def scene_blocks(
    cfg: TrainConfig, readers: list[SceneReader], out: Path, resume: bool
) -> list[Block]:
    """The split's blocks: ``cfg.split``, the resumed run's, or a new split written to ``out``."""
    own = out / SPLIT_NAME
    if cfg.split is not None or (resume and own.is_file()):
        blocks = read_blocks(cfg.split or own)
        names = {r.scene.name for r in readers}
        if not any(b.scene in names for b in blocks):
            raise InputError("no block of the split names a scene of the list", cfg.split or own)
        check_block_crs(blocks, readers, cfg.split or own)
    else:
        blocks = split_blocks(readers, cfg.block_size, val=cfg.val_fraction, test=0.0,
                              seed=cfg.seed)  # fmt: skip
    if is_rank_zero():
        write_blocks(own, blocks)
    return blocks


def training_gsd(cfg: TrainConfig, readers: list[SceneReader]) -> float:
    """``cfg.gsd``, else the init checkpoint's GSD, else the first scene's."""
    if cfg.gsd is not None:
        return cfg.gsd
    if cfg.init_checkpoint:
        _, meta = read_init_checkpoint(cfg.init_checkpoint, cfg.model, cfg.model_kwargs)
        if meta.gsd_m:
            return float(meta.gsd_m)
    return readers[0].gsd


def scene_loaders(
    cfg: TrainConfig, schema: ClassSchema, out: Path, resume: bool
) -> tuple[Any, Any, SceneWindows, SceneWindows, float]:
    """Training and validation loaders of ``cfg.scenes``, their datasets and the GSD.

    Raises:
        LandcoverError: naming the file, for a bad scene, label file or split, or a split
            with no labelled training or validation window.
    """
    assert cfg.scenes is not None
    readers = open_scenes(cfg.scenes, schema, cfg.bands)
    blocks: list[Block] = scene_blocks(cfg, readers, out, resume)
    gsd = training_gsd(cfg, readers)
    cells = labelled_points(readers, blocks, "train")
    points = tile_points(readers, blocks, "val", cfg.crop_size, gsd, cfg.val_windows)
    if not len(cells[0]) or not points:
        what = "training" if not len(cells[0]) else "validation"
        raise InputError(f"the split leaves no labelled {what} block", cfg.split or cfg.scenes)
    fill = schema.fill_index
    common: dict[str, Any] = {
        "scenes": [r.scene for r in readers], "schema": schema, "blocks": blocks,
        "size": cfg.crop_size, "gsd": gsd, "bands": cfg.bands,
    }  # fmt: skip
    augment = train_transform("crop", cfg.crop_size, fill, cfg.scale_jitter, cfg.color_jitter,
                              cfg.seed, cfg.saturation_jitter, cfg.hue_jitter)  # fmt: skip
    train_set = SceneWindows(subset="train", cells=cells, length=cfg.samples_per_epoch,
                             seed=cfg.seed, transform=augment, **common)  # fmt: skip
    val_set = SceneWindows(subset="val", points=points, **common)
    log.info(
        "scenes: %d, training GSD %g m, %d labelled training cells, %d validation windows",
        len(readers), gsd, len(cells[0]), len(points),
    )  # fmt: skip
    workers = int(cfg.num_workers)
    kw: dict[str, Any] = {"num_workers": workers, "persistent_workers": workers > 0,
                          "pin_memory": torch.cuda.is_available()}  # fmt: skip
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, drop_last=True, **kw)
    val_loader = DataLoader(val_set, batch_size=cfg.val_batch_size,
                            collate_fn=functools.partial(pad_collate, fill=fill), **kw)  # fmt: skip
    return train_loader, val_loader, train_set, val_set, gsd
