"""``evaluate`` on remote data: a scene list whose rasters and labels are URLs scores exactly as
the same list of local files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcover.cli import main
from landcover.data.scene_split import split_blocks, write_blocks
from landcover.data.scene_stats import scene_stats
from landcover.data.scene_windows import open_scenes
from landcover.data.scenes import read_scene_list
from landcover.errors import LandcoverIOError
from landcover.evaluation.scene_blocks import evaluate_scene_blocks
from landcover.models.meta import ModelMeta
from landcover.schema import get_schema
from tests.data.scene_fixtures import (
    Model,
    default_polygons,
    write_list,
    write_raster,
    write_schema,
)
from tests.remote_servers import RangeServer

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def by_red(predictor, image, **kw):  # noqa: ANN001, ANN201
    """Forest where the red band is even, else water: the score depends on every pixel read."""
    probs = np.zeros((3, *image.shape[:2]), np.float32)
    even = image[..., 0] % 2 == 0
    probs[0], probs[1] = even, ~even
    return probs


def _report(out: Path) -> tuple[dict, str]:
    metrics = json.loads((out / "metrics.json").read_text())
    return metrics, (out / "per_image.csv").read_text()


def test_a_scene_list_of_urls_scores_exactly_as_the_local_files(tmp_path: Path) -> None:
    www = tmp_path / "www"
    www.mkdir()
    schema = get_schema(write_schema(tmp_path / "three.yaml"))
    write_raster(www / "a.tif")
    default_polygons(www / "a.gpkg")
    write_raster(www / "b.tif", gsd=0.5)
    with rasterio.open(www / "b.tif") as src:
        profile = {**src.profile, "count": 1}
    rows, cols = np.mgrid[0:64, 0:64]
    with rasterio.open(www / "b_labels.tif", "w", **profile) as dst:
        dst.write(((rows // 16 + cols // 16) % 2).astype(np.uint8), 1)
    local = write_list(www / "scenes.yaml", [{"image": "a.tif", "labels": "a.gpkg"},
                       {"image": "b.tif", "labels": "b_labels.tif"}], field="class")  # fmt: skip
    readers = open_scenes(local, schema, None)
    split = write_blocks(tmp_path / "split.gpkg", split_blocks(readers, 16.0, test=0.5, seed=0))
    model = Model(ModelMeta("m", schema, tile_size=32))
    evaluate_scene_blocks(model, local, split, tmp_path / "here", predict=by_red, gallery=1)
    with RangeServer(www) as server:
        remote = write_list(tmp_path / "remote.yaml", [
            {"image": server.url("a.tif"), "labels": server.url("a.gpkg")},
            {"image": server.url("b.tif"), "labels": server.url("b_labels.tif")},
        ], field="class")  # fmt: skip
        assert [s.name for s in read_scene_list(remote)] == ["a.tif", "b.tif"]
        evaluate_scene_blocks(model, remote, split, tmp_path / "there", predict=by_red, gallery=1)
        sent = server.sent()
        far = split_blocks(open_scenes(remote, schema, None), 16.0, test=0.5, seed=0)
        assert far == split_blocks(readers, 16.0, test=0.5, seed=0)  # `split` of the list
        counts = [m.counts.tolist() for m in scene_stats(remote, schema).images]
        assert counts == [m.counts.tolist() for m in scene_stats(local, schema).images]
        nope = {"image": server.url("nope.tif"), "labels": server.url("a.gpkg")}
        missing = write_list(tmp_path / "missing.yaml", [nope], field="class")
        with pytest.raises(LandcoverIOError, match=r"nope\.tif"):
            evaluate_scene_blocks(model, missing, split, tmp_path / "no", predict=by_red)
    here, there = _report(tmp_path / "here"), _report(tmp_path / "there")
    assert here[0]["images"] > 4 and here == there
    assert sent["a.tif"] > 0 and sent["b_labels.tif"] > 0 and sent["a.gpkg"] > 0


def test_a_remote_folder_is_refused_in_one_line_naming_the_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--data", "https://h.org/tiles/", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        "https://h.org/tiles/: a remote folder cannot be listed: give a local scene list (YAML "
        "or CSV) whose 'image' and 'labels' are URLs, with --split"
    )
    assert len(err.splitlines()) == 1
