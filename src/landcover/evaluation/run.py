"""``evaluate``: a model file scored on a dataset folder (image/mask pairs) or on the held-out
blocks of a scene list, the report written into a folder: the library call behind
``landcover evaluate``.

Pairs are scored by :func:`~landcover.evaluation.evaluate.evaluate_pairs`, scenes by
:func:`~landcover.evaluation.scene_blocks.evaluate_scene_blocks`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from landcover.data.pairs import find_pairs, gsd_of, read_tiles_csv
from landcover.data.scenes import is_scene_list
from landcover.data.split import read_split, select_split
from landcover.errors import LandcoverError
from landcover.evaluation.evaluate import EvaluationResult, PredictFn, evaluate_pairs
from landcover.evaluation.scene_blocks import evaluate_scene_blocks
from landcover.inference.predictor import load_predictor
from landcover.io.remote import display, is_remote
from landcover.schema import ClassSchema, get_schema

log = logging.getLogger(__name__)


def evaluate(
    model: str | Path | None,
    data: str | Path,
    out: str | Path,
    *,
    split: str | Path | None = None,
    subset: str = "test",
    schema: str | Path | ClassSchema | None = None,
    gsd_m: float | None = None,
    backend: str = "auto",
    precision: str | None = None,
    predict: PredictFn | None = None,
    **options: Any,
) -> EvaluationResult:
    """Evaluate a model file on a dataset folder and write the report into ``out``.

    Args:
        model: an ``.onnx`` file, a checkpoint, or ``None`` for the bundled model.
        data: dataset folder (:func:`~landcover.data.pairs.find_pairs`), or a scene list
            scored on its ``split``'s blocks (:mod:`~landcover.evaluation.scene_blocks`); the
            list's rasters and labels may be URLs (a remote folder cannot be listed).
        out: report folder.
        split: optional split CSV (``landcover split``; for scenes, their GeoPackage of
            blocks, required); with ``subset``, which pairs (or blocks) to use.
        subset: ``train``, ``val`` or ``test``.
        schema: the data's class schema (name, YAML file or object); default the model's.
        gsd_m: metres per pixel of the images; default from ``tiles.csv`` when known.
        backend: ``auto``, ``onnx`` or ``torch``;
        precision: as :func:`~landcover.inference.predictor.load_predictor` takes them.
        predict: the predicting function (default: as ``predict`` maps).
        **options: passed to :func:`evaluate_pairs`.
    """
    data_schema = None if schema is None else get_schema(schema)
    if is_scene_list(data):
        return _evaluate_scenes(model, data, out, split, subset, data_schema, backend, precision,
                                predict, options)  # fmt: skip
    if is_remote(data):
        raise LandcoverError(
            "a remote folder cannot be listed: give a local scene list (YAML or CSV) whose "
            "'image' and 'labels' are URLs, with --split",
            display(data),
        )
    discovery = find_pairs(data)
    pairs = discovery.pairs
    if not pairs:
        raise LandcoverError(
            "no image/mask pairs found (expected <id>_sat.jpg + <id>_mask.png, "
            "or images/ and masks/ folders)",
            data,
        )
    if split is not None:
        pairs = select_split(pairs, read_split(split), subset)
    if gsd_m is None:
        gsd_m = gsd_of(pairs, read_tiles_csv(data))
    predictor = load_predictor(model, backend=backend, precision=precision)
    name = str(model if model is not None else predictor.path or "bundled model")
    log.info("evaluating %s on %d pairs from %s", name, len(pairs), data)
    return evaluate_pairs(
        predictor,
        pairs,
        out,
        schema=data_schema,
        gsd_m=gsd_m,
        predict=predict,
        model_name=name,
        **options,
    )


def _evaluate_scenes(
    model: str | Path | None,
    scenes: str | Path,
    out: str | Path,
    split: str | Path | None,
    subset: str,
    schema: ClassSchema | None,
    backend: str,
    precision: str | None,
    predict: PredictFn | None,
    options: dict[str, Any],
) -> EvaluationResult:
    """:func:`evaluate` of a scene list on its split's ``subset`` blocks."""

    if split is None:
        raise LandcoverError("give --split BLOCKS.gpkg (from 'landcover split') to evaluate "
                             "scenes on held-out blocks", scenes)  # fmt: skip
    predictor = load_predictor(model, backend=backend, precision=precision)
    name = str(model if model is not None else predictor.path or "bundled model")
    kept = {k: v for k, v in options.items()
            if k in ("overlap", "tta", "gallery", "flag_threshold", "min_area", "seed",
                     "overwrite", "bands")}  # fmt: skip
    return evaluate_scene_blocks(predictor, scenes, split, out, subset=subset, schema=schema,
                                 predict=predict, model_name=name, **kept)  # fmt: skip
