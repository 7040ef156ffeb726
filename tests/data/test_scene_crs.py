"""Scenes in any CRS: geographic scenes read in their UTM zone, several CRSs in one list."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.crs import CRS as RioCRS
from rasterio.transform import from_origin
from rasterio.warp import transform as transform_xy

from landcover.data.scene_crs import utm_crs
from landcover.data.scene_split import read_blocks, split_blocks, split_scene_list
from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import Scene
from landcover.schema import get_schema
from tests.data.scene_fixtures import (
    X0,
    Y0,
    default_polygons,
    pixel_box,
    write_list,
    write_polygons,
    write_raster,
    write_schema,
)

pyogrio = pytest.importorskip("pyogrio")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

LON0, LAT0, STEP = 3.0, 36.002, 1e-5  # degrees: about 0.9 x 1.1 m pixels, in UTM 31N
SIDE = 200
BRIGHT = slice(50, 150)  # rows and cols of the bright square the polygon outlines


def write_geographic(path: Path, lon0: float = LON0) -> Path:
    """A 4326 scene: 200 x 200 pixels of 1e-5 degrees, 200 in a square, 0 elsewhere."""
    data = np.zeros((3, SIDE, SIDE), dtype=np.uint8)
    data[:, BRIGHT, BRIGHT] = 200
    profile = {
        "driver": "GTiff", "width": SIDE, "height": SIDE, "count": 3, "dtype": "uint8",
        "crs": "EPSG:4326", "transform": from_origin(lon0, LAT0, STEP, STEP),
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def square_in_utm(lon0: float = LON0) -> tuple[shapely.Polygon, str]:
    """The bright square, drawn in the UTM zone of the scene (as an analyst would in QGIS)."""
    lonlat = shapely.segmentize(
        shapely.box(lon0 + 50 * STEP, LAT0 - 150 * STEP, lon0 + 150 * STEP, LAT0 - 50 * STEP),
        STEP,
    )
    utm = utm_crs(lon0, LAT0)

    def move(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transform_xy("EPSG:4326", utm, xy[:, 0], xy[:, 1]))

    return shapely.transform(lonlat, move), f"EPSG:{utm.to_epsg()}"


@pytest.fixture
def schema(tmp_path):
    return get_schema(write_schema(tmp_path / "three.yaml"))


@pytest.fixture
def geographic(tmp_path, schema):
    square, crs = square_in_utm()
    labels = write_polygons(tmp_path / "drawn.gpkg", [square], ["forest"], crs=crs)
    scene = Scene(write_geographic(tmp_path / "geo.tif"), labels, field="class")
    return SceneReader(scene, schema), square


def test_utm_zone_of_a_point() -> None:
    assert utm_crs(3.0, 36.0) == RioCRS.from_epsg(32631)
    assert utm_crs(9.5, 45.0) == RioCRS.from_epsg(32632)
    assert utm_crs(-70.6, -33.4) == RioCRS.from_epsg(32719)
    assert utm_crs(180.0, 0.0) == RioCRS.from_epsg(32660)


def test_geographic_scene_is_read_in_its_utm_zone(geographic) -> None:
    reader, square = geographic
    assert reader.crs == RioCRS.from_epsg(32631) and reader.warp
    assert 0.90 < reader.gsd < 1.11  # 1e-5 degrees at 36 N: 0.90 m east, 1.11 m north
    w, s, e, n = reader.bounds
    assert shapely.box(w, s, e, n).contains(square)
    cx, cy = square.centroid.x, square.centroid.y
    image, labels = reader.read(cx, cy, 128, 1.0)
    inside = labels == 0
    assert inside.sum() and set(np.unique(labels)) == {0, reader.fill}
    bright = image[..., 0] > 100
    iou = (inside & bright).sum() / (inside | bright).sum()
    assert iou > 0.97  # the labelled pixels land on the bright square of the image
    # Exact labels: the polygon's pixels on the window grid, in the working CRS.
    transform, _ = reader.grid(cx, cy, 128, 1.0)
    expected = rasterio.features.rasterize([(square, 1)], out_shape=(128, 128), transform=transform)
    assert np.array_equal(inside, expected == 1)


def test_geographic_windows_never_take_labels_across_a_block_border(geographic, tmp_path):
    from landcover.training.scene_dataset import SceneWindows, labelled_points

    reader, _ = geographic
    block = 32.0
    blocks = split_blocks([reader], block, val=0.3, test=0.0, seed=1)
    mine = {(b.col, b.row) for b in blocks if b.split == "train"}
    assert {b.crs for b in blocks} == {"EPSG:32631"} and mine
    data = SceneWindows(scenes=[reader.scene], schema=reader_schema(tmp_path), blocks=blocks,
                        subset="train", size=24, gsd=1.0,
                        cells=labelled_points([reader], blocks, "train"), length=30)  # fmt: skip
    labelled_in = set()
    for i in range(len(data)):
        _, x, y = data.point(i)
        _, labels = data.readers()[0].read(x, y, 24, 1.0, data.keep[0])
        rows, cols = np.nonzero(labels != reader.fill)
        assert len(rows), "every window holds labels"
        xs, ys = reader.grid(x, y, 24, 1.0)[0] * (cols + 0.5, rows + 0.5)
        labelled_in |= set(zip((xs // block).astype(int), (ys // block).astype(int), strict=True))
    assert labelled_in <= mine


def reader_schema(tmp_path):
    return get_schema(tmp_path / "three.yaml")


def two_crs_list(tmp_path: Path, size: int = 64) -> Path:
    """Scene ``a`` in UTM 31N (the fixtures' squares), scene ``b`` in 4326 read in UTM 32N."""
    write_raster(tmp_path / "a.tif", size=size)
    default_polygons(tmp_path / "a.gpkg")
    write_geographic(tmp_path / "b.tif", lon0=9.0)
    square, crs = square_in_utm(9.0)
    write_polygons(tmp_path / "b.gpkg", [square], ["water"], crs=crs)
    scenes = [{"image": "a.tif", "labels": "a.gpkg"}, {"image": "b.tif", "labels": "b.gpkg"}]
    return write_list(tmp_path / "scenes.yaml", scenes, field="class")


def test_split_of_scenes_in_two_crs_round_trips(tmp_path, schema) -> None:
    out = tmp_path / "split.gpkg"
    blocks = split_scene_list(two_crs_list(tmp_path), schema, out, block_m=16.0, val=0.2)
    assert {b.crs for b in blocks} == {"EPSG:32631", "EPSG:32632"}
    layers = dict(pyogrio.list_layers(out))
    assert sorted(layers) == ["blocks", "blocks_32632"]
    assert pyogrio.read_info(out, layer="blocks")["crs"] == "EPSG:32631"
    assert pyogrio.read_info(out, layer="blocks_32632")["crs"] == "EPSG:32632"
    back = read_blocks(out)
    key = lambda b: (b.scene, b.name)  # noqa: E731
    assert sorted(back, key=key) == sorted(blocks, key=key)  # exact, geometries and CRS too
    assert {b.scene for b in back if b.crs == "EPSG:32632"} == {"b.tif"}


def test_blocks_in_another_crs_than_their_scene_are_refused(tmp_path, schema) -> None:
    from landcover.data.scene_split import check_block_crs
    from landcover.data.scene_windows import open_scenes
    from landcover.errors import InputError

    readers = open_scenes(two_crs_list(tmp_path), schema, None)
    blocks = split_blocks(readers, 16.0)
    check_block_crs(blocks, readers, tmp_path / "split.gpkg")  # as written: accepted
    moved = [dataclasses.replace(b, crs="EPSG:3857") for b in blocks]
    with pytest.raises(InputError, match=r"split.gpkg: the blocks of a.tif are in EPSG:3857 but"
                       r" the scene is read in EPSG:32631; split the scenes again"):  # fmt: skip
        check_block_crs(moved, readers, tmp_path / "split.gpkg")


def test_check_says_which_utm_zone_a_geographic_scene_is_read_in(tmp_path, schema) -> None:
    from landcover.data.scene_check import check_scenes

    report = check_scenes(two_crs_list(tmp_path), schema)
    assert report.ok and len(report.scenes) == 2
    assert "  EPSG:32631  1 m  " in report.scenes[0]
    assert report.scenes[1].startswith("b.tif  200x200  EPSG:4326 (read in EPSG:32632)  ")


def test_label_raster_on_a_geographic_scene_lands_on_the_image(tmp_path, schema) -> None:
    codes = np.full((1, SIDE, SIDE), 255, dtype=np.uint8)
    codes[:, BRIGHT, BRIGHT] = 1  # water, over the bright square
    profile = {
        "driver": "GTiff", "width": SIDE, "height": SIDE, "count": 1, "dtype": "uint8",
        "crs": "EPSG:4326", "transform": from_origin(LON0, LAT0, STEP, STEP), "nodata": 255,
    }  # fmt: skip
    with rasterio.open(tmp_path / "codes.tif", "w", **profile) as dst:
        dst.write(codes)
    scene = Scene(write_geographic(tmp_path / "geo.tif"), tmp_path / "codes.tif")
    reader = SceneReader(scene, schema)
    square, _ = square_in_utm()
    image, labels = reader.read(square.centroid.x, square.centroid.y, 128, 1.0)
    assert set(np.unique(labels)) == {1, reader.fill}
    water, bright = labels == 1, image[..., 0] > 100
    assert (water & bright).sum() / (water | bright).sum() > 0.97


def test_a_scene_in_feet_is_read_in_metres(tmp_path, schema) -> None:
    from rasterio.warp import transform as to_crs

    (x,), (y,) = to_crs("EPSG:4326", "EPSG:2263", [-73.98], [40.75])  # Manhattan, in US feet
    profile = {
        "driver": "GTiff", "width": 64, "height": 64, "count": 3, "dtype": "uint8",
        "crs": "EPSG:2263", "transform": from_origin(x, y, 1.0, 1.0),
    }  # fmt: skip
    with rasterio.open(tmp_path / "ny.tif", "w", **profile) as dst:
        dst.write(np.full((3, 64, 64), 9, dtype=np.uint8))
    box = shapely.box(x, y - 64, x + 64, y)
    labels = write_polygons(tmp_path / "ny.gpkg", [box], ["forest"], crs="EPSG:2263")
    reader = SceneReader(Scene(tmp_path / "ny.tif", labels, "class"), schema)
    assert reader.crs == RioCRS.from_epsg(32618) and reader.warp
    assert reader.gsd == pytest.approx(0.3048, rel=0.01)  # a foot is 0.3048 m
    (cx,), (cy,) = to_crs("EPSG:2263", reader.crs, [x + 32], [y - 32])  # the scene's centre
    image, labels = reader.read(cx, cy, 16, 0.5)  # 8 m: well inside the 19.5 m scene
    assert (image == 9).all() and (labels == 0).all()


def test_a_web_mercator_scene_is_read_in_ground_metres(tmp_path, schema) -> None:
    """EPSG:3857's metres are 1/cos(latitude) ground metres: the scene works in its UTM zone."""
    path = write_raster(tmp_path / "wm.tif", crs="EPSG:3857")
    labels = write_polygons(
        tmp_path / "wm.gpkg", [pixel_box(8, 24, 8, 24)], ["forest"], "EPSG:3857"
    )
    reader = SceneReader(Scene(path, labels, "class"), schema)
    (_,), (lat,) = transform_xy(reader.src.crs, "EPSG:4326", [X0 + 32], [Y0 - 32])
    assert reader.crs.to_epsg() // 100 == 326 and reader.warp
    assert reader.gsd == pytest.approx(math.cos(math.radians(lat)), rel=0.01)
