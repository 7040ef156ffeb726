"""``train --scenes``: a tiny run on a generated scene with polygon labels, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from landcover.data.scene_split import read_blocks
from landcover.errors import InputError
from tests.data.scene_fixtures import default_polygons, write_list, write_raster, write_schema
from tests.training.conftest import TINY_CONFIG

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def _scenes(tmp_path: Path) -> Path:
    write_raster(tmp_path / "scene.tif", size=128)
    default_polygons(tmp_path / "drawn.gpkg")
    return write_list(
        tmp_path / "scenes.yaml", [{"image": "scene.tif", "labels": "drawn.gpkg"}], field="class"
    )


def test_train_on_scene_windows_writes_split_and_checkpoint(tmp_path: Path) -> None:
    from landcover.models.checkpoint import read_checkpoint
    from landcover.training.config import load_config
    from landcover.training.run import train

    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(TINY_CONFIG, encoding="utf-8")
    overrides = {
        "scenes": str(_scenes(tmp_path)), "schema": str(write_schema(tmp_path / "three.yaml")),
        "block_size": 16, "val_fraction": 0.3, "samples_per_epoch": 8, "val_windows": 3,
        "epochs": 1, "gsd": 2.0, "threads": 1,
    }  # fmt: skip
    best = train(load_config(cfg_path, overrides), tmp_path / "run")
    _, meta = read_checkpoint(best)
    assert meta.gsd_m == 2.0 and meta.schema.classes == ("forest", "water", "nodata")
    blocks = read_blocks(tmp_path / "run" / "split.gpkg")
    assert {b.split for b in blocks} == {"train", "val"}
    assert "train_images: 8" in (tmp_path / "run" / "config.yaml").read_text()


def test_scene_with_too_few_bands_is_refused_before_training(tmp_path: Path) -> None:
    from landcover.training.config import load_config
    from landcover.training.run import train

    scenes = _scenes(tmp_path)
    cfg = load_config(None, {"scenes": str(scenes), "bands": "1,2,3,4", "model": "seed-unet"})
    with pytest.raises(InputError, match=r"scene.tif: bands \[1, 2, 3, 4\] asked but the scene"):
        train(cfg, tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_train_on_scenes_in_two_crs_reads_its_split_back(tmp_path: Path) -> None:
    from landcover.training.config import load_config
    from landcover.training.run import train
    from tests.data.test_scene_crs import two_crs_list

    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(TINY_CONFIG, encoding="utf-8")
    overrides = {
        "scenes": str(two_crs_list(tmp_path, size=128)),
        "schema": str(write_schema(tmp_path / "three.yaml")),
        "block_size": 16, "val_fraction": 0.3, "samples_per_epoch": 8, "val_windows": 3,
        "epochs": 1, "gsd": 2.0, "threads": 1,
    }  # fmt: skip
    split = tmp_path / "run" / "split.gpkg"
    train(load_config(cfg_path, overrides), tmp_path / "run")
    blocks = read_blocks(split)
    assert {(b.scene, b.crs) for b in blocks} == {("a.tif", "EPSG:32631"), ("b.tif", "EPSG:32632")}
    # A second run on the written split reads the same blocks (both layers) and completes.
    again = train(load_config(cfg_path, {**overrides, "split": str(split)}), tmp_path / "again")
    assert again.is_file()
    key = lambda b: (b.scene, b.name)  # noqa: E731
    back = read_blocks(tmp_path / "again" / "split.gpkg")
    assert sorted(back, key=key) == sorted(blocks, key=key)
