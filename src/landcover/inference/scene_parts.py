"""A very large scene mapped in parts on several workers, then assembled into its outputs.

:func:`predict_file` maps a scene block by block, each block read with a margin of context
(:func:`~landcover.inference.predict.block_grid`). A part is a contiguous run of those blocks,
mapped by :func:`predict_part` exactly as :func:`predict_file` maps them (same grid, margins,
scale and sliding windows) into part rasters; :func:`assemble_parts` copies the parts into the
scene's outputs and finishes them as :func:`predict_file` does. The result is the same, pixel
for pixel, as mapping the scene in one process.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from landcover.inference.engine import scale_for
from landcover.inference.gsd import Gsd
from landcover.inference.predict import (
    SceneResult,
    _count,
    _map_blocks,
    _open_writers,
    _Tally,
    block_grid,
    finish_scene,
    new_tally,
    scene_gsd,
)
from landcover.io.atomic import atomic_path
from landcover.io.raster import GDAL_CACHE_MB, RasterReader, RasterWriter, open_raster

ENGINE = ("overlap", "tta", "batch_size")


def _scale(predictor: Any, path: Path, gsd: Gsd) -> float:
    meta = predictor.meta
    return scale_for(gsd.metres, meta.gsd_m, f"{path} ({gsd.source} GSD)", gsd.estimated)


def scene_plan(predictor: Any, path: str | Path, options: dict[str, Any]) -> tuple[int, Gsd]:
    """Number of blocks of the scene, and its GSD (found once, for every part)."""
    import rasterio

    path = Path(path)
    with (
        rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB),
        RasterReader(path, bands=options.get("bands")) as reader,
    ):
        gsd = scene_gsd(path, reader, options.get("gsd_m"), options.get("estimate", True))
        windows, _ = block_grid(
            reader.info, predictor.meta, _scale(predictor, path, gsd), options.get("block_size")
        )
    return len(windows), gsd


def predict_part(
    predictor: Any,
    path: str | Path,
    part_dir: str | Path,
    index: int,
    blocks: range,
    gsd: Gsd,
    options: dict[str, Any],
) -> int:
    """Map the blocks ``blocks`` of the scene into ``part_dir/part<index>_*``; returns index."""
    import rasterio

    path, part_dir = Path(path), Path(part_dir)
    part_dir.mkdir(parents=True, exist_ok=True)
    name = f"part{index:04d}"
    engine = {k: options[k] for k in ENGINE if k in options}
    extras = (options.get("probabilities", False), options.get("confidence", False))
    with (
        rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB),
        RasterReader(path, bands=options.get("bands")) as reader,
    ):
        writers = _open_writers(reader.info, part_dir, name, predictor.meta, *extras)
        try:
            scale = _scale(predictor, path, gsd)
            block_size = options.get("block_size")
            tally = _map_blocks(
                predictor, reader, writers, scale, False, block_size, only=blocks, **engine
            )
            for wr in writers:
                wr.close()
        except BaseException:
            for wr in writers:
                wr.abort()
            raise
    with atomic_path(part_dir / f"{name}_image.npy") as tmp, open(tmp, "wb") as f:
        np.save(f, tally.image_prev.data)  # a file object: np.save adds .npy to other names
    return index


def assemble_parts(
    predictor: Any,
    path: str | Path,
    out_dir: str | Path,
    stem: str,
    part_dir: str | Path,
    parts: list[tuple[int, range]],
    gsd: Gsd,
    options: dict[str, Any],
) -> SceneResult:
    """Copy the parts into the scene's outputs in ``out_dir`` and finish them (styles, area
    table, previews, polygons) as :func:`~landcover.inference.predict.predict_file` does."""
    import rasterio

    start = time.perf_counter()
    path, out_dir, part_dir = Path(path), Path(out_dir), Path(part_dir)
    meta = predictor.meta
    extras = (options.get("probabilities", False), options.get("confidence", False))
    with (
        rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB),
        RasterReader(path, bands=options.get("bands")) as reader,
    ):
        info = reader.info
        windows, _ = block_grid(info, meta, _scale(predictor, path, gsd), options.get("block_size"))
    writers = _open_writers(info, out_dir, stem, meta, *extras)
    tally = new_tally(info, meta.num_classes)
    try:
        for index, blocks in sorted(parts, key=lambda p: p[0]):
            _copy_part(part_dir, index, [windows[i] for i in blocks], writers, tally, info, stem)
        outputs = [wr.close() for wr in writers]
    except BaseException:
        for wr in writers:
            wr.abort()
        raise
    shutil.rmtree(part_dir, ignore_errors=True)
    finish = {k: options[k] for k in ("alpha", "vector", "mmu_ha") if k in options}
    return finish_scene(path, out_dir / stem, meta, gsd, tally, outputs, start, **finish)


def _copy_part(
    part_dir: Path,
    index: int,
    windows: list[Any],
    writers: list[RasterWriter],
    tally: _Tally,
    info: Any,
    stem: str,
) -> None:
    """Copy one part's blocks into the scene's writers, counting them as predict does."""
    from rasterio.windows import Window as RioWindow

    name = f"part{index:04d}"
    image_prev = np.load(part_dir / f"{name}_image.npy")
    sources = [open_raster(part_dir / (name + wr.path.name[len(stem) :])) for wr in writers]
    k = len(tally.counts)
    try:
        for w in windows:
            rio_w = RioWindow(w.col, w.row, w.width, w.height)
            lab = sources[0].read(1, window=rio_w)
            writers[0].write(lab, w)
            _count(tally, lab, w, info, k)
            for src, wr in zip(sources[1:], writers[1:], strict=True):
                wr.write(src.read(window=rio_w), w)
            region = tally.image_prev.region(w)
            tally.image_prev.data[region] = image_prev[region]
    finally:
        for src in sources:
            src.close()
