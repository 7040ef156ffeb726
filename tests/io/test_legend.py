"""The class legend stored in class GeoTIFFs: written by predict, read back by every command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from landcover.io.legend import Legend, legend_of_schema, read_legend
from landcover.io.raster import class_colormap
from landcover.schema import DEEPGLOBE


def _write(path: Path, tags: dict[str, str] | None, colormap: bool = True) -> None:
    profile = {
        "driver": "GTiff",
        "width": 4,
        "height": 4,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": from_origin(0, 40, 10, 10),
        "nodata": 255,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.zeros((1, 4, 4), np.uint8))
        if colormap:
            dst.write_colormap(1, class_colormap(np.array([[1, 2, 3], [4, 5, 6]], np.uint8)))
        if tags:
            dst.update_tags(**tags)


def test_round_trip_through_tags(tmp_path: Path) -> None:
    legend = legend_of_schema(DEEPGLOBE)
    _write(tmp_path / "c.tif", legend.tags())
    back = read_legend(tmp_path / "c.tif")
    assert back.schema == "deepglobe"
    assert back.names == DEEPGLOBE.classes
    assert np.array_equal(back.colors, DEEPGLOBE.palette)
    assert back.nodata == 255


def test_falls_back_to_colour_table(tmp_path: Path) -> None:
    _write(tmp_path / "c.tif", None)
    back = read_legend(tmp_path / "c.tif")
    assert back.names == ("class_0", "class_1")
    assert back.colors.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert isinstance(back, Legend) and back.num_classes == 2


def test_predict_writes_the_legend(tmp_path: Path) -> None:
    from landcover.batch.scene import predict_file
    from landcover.inference.predictor import load_predictor

    rgb = np.random.default_rng(0).integers(0, 255, (3, 64, 64), dtype=np.uint8)
    profile = {
        "driver": "GTiff",
        "width": 64,
        "height": 64,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": from_origin(0, 64, 1.2, 1.2),
    }
    with rasterio.open(tmp_path / "s.tif", "w", **profile) as dst:
        dst.write(rgb)
    (tmp_path / "out").mkdir()
    result = predict_file(
        load_predictor(None), tmp_path / "s.tif", tmp_path / "out", progress=False
    )
    classes = next(p for p in result.outputs if p.name.endswith("_classes.tif"))
    assert read_legend(classes).names == DEEPGLOBE.classes
