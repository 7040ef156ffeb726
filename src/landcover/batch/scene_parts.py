"""A very large scene mapped in parts on several workers, then assembled into its outputs.

:func:`~landcover.batch.scene.predict_file` maps a scene block by block, each block read with
a margin of context (:func:`~landcover.inference.blocks.block_grid`). A part is a contiguous
run of those blocks, mapped by :func:`predict_part` through the same
:func:`~landcover.batch.scene.open_scene` (same grid, margins, scale and sliding windows) into
part rasters; :func:`assemble_parts` copies the parts into the scene's outputs and finishes
them as :func:`~landcover.batch.scene.predict_file` does. The result is the same, pixel for
pixel, as mapping the scene in one process.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from landcover.batch.scene import (
    Scene,
    SceneResult,
    finish_scene,
    open_scene,
    plan_blocks,
)
from landcover.inference.gsd import Gsd
from landcover.inference.model_bands import model_reader
from landcover.inference.options import PredictOptions
from landcover.inference.predictor import Predictor
from landcover.io.atomic import atomic_path
from landcover.io.raster import gdal_env, open_raster


def scene_plan(predictor: Predictor, path: str | Path, options: PredictOptions) -> tuple[int, Gsd]:
    """Number of blocks of the scene, and its GSD (found once, for every part)."""
    with gdal_env(), model_reader(predictor.meta, path, options.bands) as reader:
        gsd, _, windows, _ = plan_blocks(reader, predictor.meta, options)
    return len(windows), gsd


def predict_part(
    predictor: Predictor,
    path: str | Path,
    part_dir: str | Path,
    index: int,
    blocks: range,
    gsd: Gsd,
    options: PredictOptions,
) -> int:
    """Map the blocks ``blocks`` of the scene into ``part_dir/part<index>_*``; returns index."""
    part_dir = Path(part_dir)
    part_dir.mkdir(parents=True, exist_ok=True)
    prefix = part_dir / f"part{index:04d}"
    with open_scene(predictor, Path(path), options, prefix, gsd=gsd, cog=False) as scene:
        for block in scene.blocks(blocks):
            scene.put(block, scene.mapper(block.rgb, valid=block.valid, shape=block.shape))
    with atomic_path(f"{prefix}_image.npy") as tmp, open(tmp, "wb") as f:
        np.save(f, scene.tally.image_prev.data)  # a file object: np.save adds .npy to other names
    return index


def assemble_parts(
    predictor: Predictor,
    path: str | Path,
    out_dir: str | Path,
    stem: str,
    part_dir: str | Path,
    parts: list[tuple[int, range]],
    gsd: Gsd,
    options: PredictOptions,
) -> SceneResult:
    """Copy the parts into the scene's outputs in ``out_dir`` and finish them (styles, area
    table, previews, polygons) as :func:`~landcover.batch.scene.predict_file` does."""
    start = time.perf_counter()
    path, part_dir = Path(path), Path(part_dir)
    prefix = Path(out_dir) / stem
    with open_scene(predictor, path, options, prefix, gsd=gsd) as scene:
        for index, blocks in sorted(parts, key=lambda p: p[0]):
            _copy_part(part_dir / f"part{index:04d}", blocks, scene, stem)
    shutil.rmtree(part_dir, ignore_errors=True)
    return finish_scene(path, prefix, predictor.meta, scene, options, start)


def _copy_part(part: Path, blocks: range, scene: Scene, stem: str) -> None:
    """Copy one part's blocks into the scene's writers, counting them as predict does."""
    image_prev = np.load(f"{part}_image.npy")
    writers = scene.writers.all
    sources = [open_raster(f"{part}{wr.path.name[len(stem) :]}") for wr in writers]
    try:
        for w in (scene.windows[i] for i in blocks):
            lab = sources[0].read(1, window=w)
            writers[0].write(lab, w)
            scene.tally.count(lab, w)
            for src, wr in zip(sources[1:], writers[1:], strict=True):
                wr.write(src.read(window=w), w)
            region = scene.tally.image_prev.region(w)
            scene.tally.image_prev.data[region] = image_prev[region]
    finally:
        for src in sources:
            src.close()
