"""A real DeepGlobe tile as a georeferenced scene with polygon labels drawn from its mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from PIL import Image
from rasterio.features import shapes
from rasterio.transform import from_origin

from landcover.data.scene_split import split_blocks
from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import Scene
from landcover.schema import DEEPGLOBE

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TILE = DATA / "deepglobe" / "fullres" / "10452"
SIDE = 1024  # the tile's top-left 1024 px (512 m): enough, and quick

pytestmark = [
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found at {DATA}"),
    pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> tuple[Scene, np.ndarray]:
    """The crop as a GeoTIFF (UTM 33N, 0.5 m) and its mask's left half as polygons."""
    pytest.importorskip("pyogrio", reason="polygon labels need pip install 'landcover[gis]'")
    import pyogrio.raw

    work = tmp_path_factory.mktemp("real_scene")
    rgb = np.asarray(Image.open(f"{TILE}_sat.jpg").convert("RGB"))[:SIDE, :SIDE]
    mask = np.asarray(Image.open(f"{TILE}_mask.png").convert("RGB"))[:SIDE, :SIDE]
    labels = DEEPGLOBE.encode(mask).labels
    transform = from_origin(400000, 5000000, 0.5, 0.5)
    profile = {"driver": "GTiff", "width": SIDE, "height": SIDE, "count": 3, "dtype": "uint8",
               "crs": "EPSG:32633", "transform": transform}  # fmt: skip
    with rasterio.open(work / "scene.tif", "w", **profile) as dst:
        dst.write(rgb.transpose(2, 0, 1))
    drawn = np.zeros(labels.shape, bool)
    drawn[:, : SIDE // 2] = True
    found = list(shapes(labels, mask=drawn & (labels != 6), transform=transform))
    geoms = [shapely.geometry.shape(g) for g, _ in found]
    names = np.array([DEEPGLOBE.classes[int(v)] for _, v in found], dtype=object)
    pyogrio.raw.write(work / "drawn.gpkg", shapely.to_wkb(np.array(geoms, dtype=object)),
                      [names], ["class"], geometry_type="Polygon", crs="EPSG:32633")  # fmt: skip
    return Scene(work / "scene.tif", work / "drawn.gpkg", field="class"), labels


def test_polygons_of_a_real_mask_give_back_its_labels_and_ignore_the_rest(scene) -> None:
    s, labels = scene
    reader = SceneReader(s, DEEPGLOBE)
    image, got = reader.read(400000 + 256, 5000000 - 256, SIDE, 0.5)
    expected = np.where(labels != 6, labels, 6)
    expected[:, SIDE // 2 :] = 6  # right half: not drawn, ignored
    np.testing.assert_array_equal(got, expected)
    rgb = np.asarray(Image.open(f"{TILE}_sat.jpg").convert("RGB"))[:SIDE, :SIDE]
    np.testing.assert_array_equal(image, rgb)


def test_block_split_of_the_real_scene_keeps_only_drawn_blocks(scene) -> None:
    reader = SceneReader(scene[0], DEEPGLOBE)
    blocks = split_blocks([reader], 128.0, val=0.25, test=0.0, seed=0)
    # The grid is anchored at the CRS origin: the scene's top edge (y = 5 000 000) falls
    # mid-block, so its left half (256 m x 512 m) meets 2 columns x 5 rows of 128 m blocks.
    assert len(blocks) == 10 and {b.split for b in blocks} == {"train", "val"}
    assert all(shapely.bounds(b.geometry)[2] <= 400256 for b in blocks)
