"""``--bands`` by band description or colour interpretation, for training, checks and predict."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from landcover.cli.options import parse_bands
from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import Scene
from landcover.errors import InputError
from landcover.io.bands import resolve_bands
from landcover.io.raster import RasterReader
from landcover.schema import get_schema
from tests.data.scene_fixtures import default_polygons, write_list, write_raster, write_schema

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

NAMED = ("SR_B2 Blue", "SR_B3 Green", "SR_B4 Red", "SR_B8 NIR")


def named_raster(path: Path, descriptions: tuple[str, ...] = NAMED) -> Path:
    """``write_raster``'s 4-band scene (band b = ``(row + col + 10 b) % 256``), described."""
    write_raster(path, bands=4)
    with rasterio.open(path, "r+") as dst:
        dst.descriptions = descriptions
    return path


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (["red", "green", "blue", "nir"], [3, 2, 1, 4]),
        (["RED", "Green", "bLuE"], [3, 2, 1]),
        (["sr_b8 nir", 1], [4, 1]),
        ([4, 3, 2], [4, 3, 2]),
    ],
)
def test_names_match_descriptions_case_insensitively(asked, expected) -> None:
    assert resolve_bands(asked, 4, "s.tif", (), NAMED) == expected


def test_red_green_blue_match_the_colour_interpretation() -> None:
    interp = ["undefined", "blue", "green", "red"]
    assert resolve_bands(["red", "green", "blue"], 4, "s.tif", interp, ()) == [4, 3, 2]


def test_a_name_not_found_is_one_line_listing_the_descriptions() -> None:
    with pytest.raises(InputError) as info:
        resolve_bands(["red", "swir"], 4, "s.tif", (), ("Blue", "Green", "Red", None))
    assert str(info.value) == (
        "s.tif: --bands: no single band named 'swir'; its bands: 1 'Blue', 2 'Green', "
        "3 'Red', 4 (no description)"
    )


def test_cli_bands_take_numbers_names_and_any_count() -> None:
    assert parse_bands("red,green,blue,nir") == ["red", "green", "blue", "nir"]
    assert parse_bands("4, 3,2,1") == [4, 3, 2, 1]
    with pytest.raises(argparse.ArgumentTypeError, match="expected 1-based band numbers"):
        parse_bands("0,1,2")


def test_predict_reads_rgb_by_name(tmp_path: Path) -> None:
    path = named_raster(tmp_path / "s.tif")
    with RasterReader(path, bands=["red", "green", "blue"]) as reader:
        rgb, _ = reader.read(Window(col_off=0, row_off=0, width=2, height=2))
    rows, cols = np.mgrid[0:2, 0:2]
    expected = np.stack([(rows + cols + 10 * b) % 256 for b in (2, 1, 0)], axis=-1)
    np.testing.assert_array_equal(rgb, expected)


def test_training_windows_read_bands_by_name(tmp_path: Path) -> None:
    schema = get_schema(write_schema(tmp_path / "three.yaml"))
    scene = Scene(named_raster(tmp_path / "s.tif"), default_polygons(tmp_path / "v.gpkg"), "class")
    reader = SceneReader(scene, schema, ["nir", "red"])
    assert reader.bands == [4, 3]
    with pytest.raises(InputError, match=r"s.tif: --bands: no single band named 'swir'; its"):
        SceneReader(scene, schema, ["swir"])


def test_a_model_records_the_numbers_of_bands_named_in_the_first_scene(tmp_path: Path) -> None:
    from landcover.training.config import TrainConfig, parse_option
    from landcover.training.run import recorded_bands

    named_raster(tmp_path / "s.tif")
    default_polygons(tmp_path / "v.gpkg")
    entry = {"image": "s.tif", "labels": "v.gpkg"}
    scenes = write_list(tmp_path / "scenes.yaml", [entry], field="class")
    bands = parse_option("bands", "red,green,blue,nir")
    assert bands == ["red", "green", "blue", "nir"]
    assert parse_option("bands", "1,2,3,4") == [1, 2, 3, 4]
    cfg = TrainConfig(scenes=str(scenes), bands=bands)
    assert recorded_bands(cfg) == (3, 2, 1, 4)


def test_cli_check_of_a_scene_list_takes_four_bands(tmp_path: Path, capsys) -> None:
    from landcover.cli import main

    write_schema(tmp_path / "three.yaml")
    named_raster(tmp_path / "s.tif")
    default_polygons(tmp_path / "v.gpkg")
    listed = write_list(tmp_path / "scenes.yaml", [{"image": "s.tif", "labels": "v.gpkg"}],
                        field="class")  # fmt: skip
    args = ["check", str(listed), "--schema", str(tmp_path / "three.yaml")]
    assert main([*args, "--bands", "red,green,blue,nir"]) == 0
    assert "4 bands" in capsys.readouterr().out
    assert main([*args, "--bands", "1,2,3,4,5"]) == 1
    assert "s.tif: bands [1, 2, 3, 4, 5] asked but the scene has 4" in capsys.readouterr().out
