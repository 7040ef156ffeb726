"""Block splits of scenes: written as a GeoPackage, read back, never splitting a block."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from landcover.data.scene_split import read_blocks, split_blocks, write_blocks
from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import Scene
from landcover.io.gpkg import GPKG_USER_VERSION
from landcover.schema import get_schema
from tests.data.scene_fixtures import (
    X0,
    Y0,
    pixel_box,
    write_polygons,
    write_raster,
    write_schema,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

BLOCK = 16.0  # metres: the 64 m scene (at a 16 m-aligned origin) holds 4 x 4 blocks


@pytest.fixture
def reader(tmp_path):
    schema = get_schema(write_schema(tmp_path / "three.yaml"))
    # One polygon over the whole scene but its top-left block: 15 labelled blocks.
    labels = write_polygons(
        tmp_path / "all.gpkg", [pixel_box(0, 64, 16, 64), pixel_box(16, 64, 0, 16)],
        ["forest", "water"],
    )  # fmt: skip
    return SceneReader(Scene(write_raster(tmp_path / "s.tif"), labels, field="class"), schema)


def test_split_keeps_labelled_blocks_and_round_trips(tmp_path, reader):
    blocks = split_blocks([reader], BLOCK, val=0.2, test=0.2, seed=3)
    assert len(blocks) == 15
    assert (X0 // BLOCK, Y0 // BLOCK - 1) not in {(b.col, b.row) for b in blocks}
    counts = {s: sum(b.split == s for b in blocks) for s in ("train", "val", "test")}
    assert counts == {"train": 9, "val": 3, "test": 3}
    path = write_blocks(tmp_path / "split.gpkg", blocks)
    with sqlite3.connect(path) as db:  # GeoPackage 1.3, which QGIS 3.22 opens without warnings
        assert db.execute("PRAGMA user_version").fetchone() == (GPKG_USER_VERSION,)
    back = read_blocks(path)
    assert [(b.scene, b.name, b.split) for b in back] == [
        (b.scene, b.name, b.split) for b in blocks
    ]
    assert all(a.geometry.equals(b.geometry) for a, b in zip(back, blocks, strict=True))
    assert split_blocks([reader], BLOCK, val=0.2, test=0.2, seed=3) == blocks  # reproducible


@pytest.mark.parametrize("subset", ["train", "val"])
def test_windows_never_take_labels_across_a_block_border(tmp_path, reader, subset):
    from landcover.training.scene_dataset import SceneWindows, labelled_points, tile_points

    blocks = split_blocks([reader], BLOCK, val=0.3, test=0.0, seed=1)
    mine = {(b.col, b.row) for b in blocks if b.split == subset}
    common = {"scenes": [reader.scene], "schema": reader_schema(tmp_path),
              "blocks": blocks, "subset": subset, "size": 24, "gsd": 1.0}  # fmt: skip
    if subset == "train":
        data = SceneWindows(cells=labelled_points([reader], blocks, "train"), length=30, **common)
    else:
        data = SceneWindows(points=tile_points([reader], blocks, "val", 24, 1.0, 50), **common)
    assert len(data) and mine
    labelled_in = set()
    for i in range(len(data)):
        scene, x, y = data.point(i)
        _, labels = data.readers()[scene].read(x, y, 24, 1.0, data.keep[scene])
        rows, cols = np.nonzero(labels != reader.fill)
        assert len(rows), "every window holds labels"
        transform = reader.grid(x, y, 24, 1.0)[0]
        xs, ys = transform * (cols + 0.5, rows + 0.5)
        labelled_in |= set(zip((xs // BLOCK).astype(int), (ys // BLOCK).astype(int), strict=True))
    assert labelled_in <= mine  # no labelled pixel of a window lies in another subset's block


def reader_schema(tmp_path):
    return get_schema(tmp_path / "three.yaml")


def test_cli_split_of_a_scene_list_writes_a_geopackage(tmp_path, reader, capsys):
    from landcover.cli import main
    from tests.data.scene_fixtures import write_list

    listed = write_list(tmp_path / "scenes.yaml",
                        [{"image": "s.tif", "labels": "all.gpkg"}], field="class")  # fmt: skip
    out = tmp_path / "blocks.gpkg"
    args = [str(listed), "--schema", str(tmp_path / "three.yaml"), "--block-size", "16"]
    assert main(["split", *args, "--out", str(out), "--val", "0.2", "--test", "0.2"]) == 0
    assert "15 labelled blocks of 16 m" in capsys.readouterr().out
    assert len(read_blocks(out)) == 15
    assert main(["split", *args, "--out", str(out)]) == 2  # never silently overwritten
    assert "already exists" in capsys.readouterr().err


def test_random_windows_are_reproducible_for_a_seed(tmp_path, reader):
    from landcover.training.scene_dataset import SceneWindows, labelled_points

    blocks = split_blocks([reader], BLOCK, val=0.3, test=0.0, seed=1)
    cells = labelled_points([reader], blocks, "train")

    def points(seed: int) -> list:
        data = SceneWindows([reader.scene], reader_schema(tmp_path), blocks, "train", 24, 1.0,
                            cells=cells, length=5, seed=seed)  # fmt: skip
        data.readers()
        return [data.point(i) for i in range(5)]

    assert points(0) == points(0) != points(1)
