"""Evaluation across schemas: classes matched by name, unmatched names refused in one line."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import yaml
from PIL import Image

from landcover.data.pairs import find_pairs
from landcover.errors import InputError
from landcover.evaluation.class_match import match_classes, remap_probabilities
from landcover.evaluation.evaluate import evaluate_pairs
from landcover.schema import DEEPGLOBE, DUBAI, get_schema
from tests.evaluation.conftest import class_image, oracle_predict, synthetic_labels

#: DeepGlobe's classes in reverse order, "unknown" renamed "nodata" and put first (ignored).
REORDERED = ["nodata", *reversed(DEEPGLOBE.classes[:6])]


@pytest.fixture
def index_data(tmp_path):
    """The oracle pairs with masks stored as indices of :data:`REORDERED`."""
    folder = tmp_path / "data"
    folder.mkdir()
    to_data = np.array([REORDERED.index(c) if c in REORDERED else 0 for c in DEEPGLOBE.classes])
    for name, (img, mask) in synthetic_labels().items():
        Image.fromarray(class_image(img)).save(folder / f"{name}_sat.png")
        Image.fromarray(to_data[mask].astype(np.uint8)).save(folder / f"{name}_mask.png")
    schema = tmp_path / "reordered.yaml"
    doc = {"name": "reordered", "mask_format": "index", "classes": REORDERED, "ignore": "nodata"}
    schema.write_text(yaml.safe_dump(doc))
    return folder, get_schema(schema)


def test_index_masks_in_another_order_score_as_the_model_s_own(
    index_data, oracle, tmp_path, caplog
) -> None:
    folder, schema = index_data
    with caplog.at_level(logging.INFO, logger="landcover.evaluation.class_match"):
        result = evaluate_pairs(oracle, find_pairs(folder).pairs, tmp_path / "r", schema=schema,
                                predict=oracle_predict, progress=False, gallery=0)  # fmt: skip
    assert "classes matched by name: model schema 'deepglobe' -> data schema 'reordered'" in (
        caplog.text
    )
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    # The same exact scores as on DeepGlobe's own RGB masks (test_evaluate.py).
    assert (m["pixels"], m["pixel_accuracy"], m["miou"]) == (4800, 0.9, pytest.approx(0.75))
    water, forest = REORDERED.index("water"), REORDERED.index("forest_land")
    assert result.confusion[water, forest] == 480 and result.confusion[0].sum() == 0


def test_names_that_do_not_match_are_refused() -> None:
    with pytest.raises(InputError) as info:
        match_classes(DEEPGLOBE, DUBAI, "model.onnx")
    text = str(info.value)
    assert text.startswith("model.onnx: model predicts schema 'deepglobe'")
    assert "no match for building, land, road, vegetation, agriculture_land" in text


def test_probabilities_move_to_the_data_s_order() -> None:
    probs = np.arange(3, dtype=np.float32)[:, None, None] * np.ones((3, 1, 2), np.float32)
    out = remap_probabilities(probs, [2, -1, 0])
    np.testing.assert_array_equal(out[:, 0, 0], [2, 0, 0])
