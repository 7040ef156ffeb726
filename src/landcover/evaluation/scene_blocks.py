"""Evaluate a model on the held-out blocks of scenes (a scene list and its block split).

Each block of the chosen subset is read whole at its scene's own GSD (image, and labels inside
the block and the scene only), predicted the way ``predict`` maps (the same engine, the same
GSD rules) and scored; the report is the one ``evaluate`` writes for image/mask pairs, with one
row per block (``<scene>:<col>_<row>``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely

from landcover.data.pairs import Pair
from landcover.data.scene_split import check_block_crs, read_blocks
from landcover.data.scene_windows import SceneReader, open_scenes
from landcover.errors import InputError
from landcover.evaluation.class_match import match_classes, remapped
from landcover.evaluation.evaluate import (
    EvaluationResult,
    PredictFn,
    _default_predict,
    _Tally,
    _write_report,
    prepare_output,
)
from landcover.inference.model_bands import model_bands
from landcover.io.bands import BandSpec
from landcover.schema import ClassSchema

log = logging.getLogger(__name__)


def evaluate_scene_blocks(
    predictor: Any,
    scenes: str | Path,
    split: str | Path,
    out: str | Path,
    *,
    subset: str = "test",
    schema: ClassSchema | None = None,
    overlap: float = 0.25,
    tta: bool = False,
    gallery: int = 4,
    flag_threshold: float = 0.9,
    min_area: float = 0.05,
    seed: int = 0,
    overwrite: bool = False,
    predict: PredictFn | None = None,
    model_name: str = "model",
    bands: Sequence[BandSpec] | None = None,
) -> EvaluationResult:
    """Predict and score every ``subset`` block of ``split`` on the scenes of ``scenes``.

    Each block is mapped at its scene's GSD (from the georeferencing); ``bands`` are the image
    bands read (default: the model's, or 1, 2, 3); the other options are those of
    :func:`~landcover.evaluation.evaluate.evaluate_pairs`.

    Raises:
        LandcoverError: naming the file, for a bad scene or split, unmatched class names, or
            a split with no ``subset`` block of these scenes.
    """
    schema = schema or predictor.meta.schema
    predict = remapped(predict or _default_predict(), match_classes(
        predictor.meta.schema, schema, model_name))  # fmt: skip
    readers = open_scenes(scenes, schema, bands or model_bands(predictor.meta))
    blocks = read_blocks(split)
    check_block_crs(blocks, readers, split)
    items = [(r, b) for r in readers for b in blocks
             if b.scene == r.scene.name and b.split == subset]  # fmt: skip
    if not items:
        raise InputError(f"the split has no {subset} block of the scenes in {scenes}", split)
    out = prepare_output(out, overwrite)
    run = _Tally(schema, gallery, len(items), seed, flag_threshold, min_area)
    for i, (reader, block) in enumerate(items):
        image, truth = _read_block(reader, block.geometry)
        probs = predict(predictor, image, gsd_m=reader.gsd, overlap=overlap, tta=tta)
        key = f"{reader.scene.name}:{block.name}"
        pair = Pair(reader.scene.image, reader.scene.labels, key)
        run.add(i, pair, image[..., :3], truth, probs)  # galleries show a model's first 3 bands
    log.info("evaluated %d %s blocks of %d scene(s)", len(items), subset, len(readers))
    result = run.result(out, len(items))
    _write_report(result, model_name, readers[0].gsd, run.galleries())
    return result


def _read_block(reader: SceneReader, block: Any) -> tuple[Any, Any]:
    """The block's image and labels at the scene's GSD; labels outside the scene ignored."""
    inside = shapely.intersection(block, shapely.box(*reader.bounds))
    x0, y0, x1, y1 = shapely.bounds(block)
    size = round((x1 - x0) / reader.gsd)
    return reader.read((x0 + x1) / 2, (y0 + y1) / 2, size, reader.gsd, [inside])
