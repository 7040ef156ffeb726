"""Evaluation of scenes on the held-out blocks of their split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from landcover.data.scene_split import split_blocks, write_blocks
from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import Scene
from landcover.errors import InputError
from landcover.evaluation.scene_blocks import evaluate_scene_blocks
from landcover.models.meta import ModelMeta
from landcover.schema import get_schema
from tests.data.scene_fixtures import (
    Model,
    pixel_box,
    write_list,
    write_polygons,
    write_raster,
    write_schema,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def all_forest(predictor, image, **kw):  # noqa: ANN001, ANN201
    """One-hot 'forest' everywhere."""
    probs = np.zeros((3, *image.shape[:2]), np.float32)
    probs[0] = 1
    return probs


def test_test_blocks_are_scored_with_their_labels_only(tmp_path) -> None:
    schema = get_schema(write_schema(tmp_path / "three.yaml"))
    write_raster(tmp_path / "s.tif")
    # Left half forest, right half water: 16 blocks of 16 m, all labelled.
    write_polygons(tmp_path / "v.gpkg", [pixel_box(0, 64, 0, 32), pixel_box(0, 64, 32, 64)],
                   ["forest", "water"])  # fmt: skip
    listed = write_list(tmp_path / "scenes.yaml", [{"image": "s.tif", "labels": "v.gpkg"}],
                        field="class")  # fmt: skip
    reader = SceneReader(Scene(tmp_path / "s.tif", tmp_path / "v.gpkg", "class"), schema)
    blocks = split_blocks([reader], 16.0, val=0.25, test=0.25, seed=0)
    split = write_blocks(tmp_path / "split.gpkg", blocks)
    test = [b for b in blocks if b.split == "test"]
    forest = sum(b.col * 16 + 8 < 500000 + 32 for b in test)  # blocks of the left half
    model = Model(ModelMeta("seed-unet", schema, tile_size=32))
    result = evaluate_scene_blocks(model, listed, split, tmp_path / "r", predict=all_forest,
                                   gallery=0)  # fmt: skip
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert (m["images"], m["pixels"]) == (len(test), 256 * len(test))
    assert m["pixel_accuracy"] == pytest.approx(forest / len(test))
    assert result.confusion[1, 0] == 256 * (len(test) - forest)
    assert {r.name.split(":")[0] for r in result.images} == {"s.tif"}


def test_a_split_without_the_subset_is_refused(tmp_path) -> None:
    schema = get_schema(write_schema(tmp_path / "three.yaml"))
    write_raster(tmp_path / "s.tif")
    write_polygons(tmp_path / "v.gpkg", [pixel_box(0, 64, 0, 64)], ["forest"])
    listed = write_list(tmp_path / "scenes.yaml", [{"image": "s.tif", "labels": "v.gpkg"}],
                        field="class")  # fmt: skip
    reader = SceneReader(Scene(tmp_path / "s.tif", tmp_path / "v.gpkg", "class"), schema)
    split = write_blocks(tmp_path / "split.gpkg", split_blocks([reader], 16.0, 0.25, 0.0))
    model = Model(ModelMeta("seed-unet", schema, tile_size=32))
    with pytest.raises(InputError, match="split.gpkg: the split has no test block"):
        evaluate_scene_blocks(model, listed, split, tmp_path / "r", predict=all_forest)


def test_blocks_of_scenes_in_two_crs_are_all_scored(tmp_path) -> None:
    from landcover.data.scene_split import split_scene_list
    from tests.data.test_scene_crs import two_crs_list

    schema = get_schema(write_schema(tmp_path / "three.yaml"))
    listed = two_crs_list(tmp_path)  # a.tif in UTM 31N; b.tif in 4326, only water, read in 32N
    split = tmp_path / "split.gpkg"
    blocks = split_scene_list(listed, schema, split, 16.0, val=0.0, test=0.5, seed=0)
    test = [b for b in blocks if b.split == "test"]
    assert {b.scene for b in test} == {"a.tif", "b.tif"}
    model = Model(ModelMeta("seed-unet", schema, tile_size=32))
    result = evaluate_scene_blocks(model, listed, split, tmp_path / "r", predict=all_forest,
                                   gallery=0)  # fmt: skip
    rows = {r.name for r in result.images}
    assert rows == {f"{b.scene}:{b.name}" for b in test}
    water_b = [r for r in result.images if r.name.startswith("b.tif")]
    assert all(r.pixels > 0 and r.pixel_accuracy == 0.0 for r in water_b)  # water, read as such
