"""Scene lists and labels read on any window: polygons rasterised, label rasters warped."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.transform import from_origin
from rasterio.warp import transform
from rasterio.windows import Window

from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import Scene, read_scene_list
from landcover.errors import InputError
from landcover.io.raster import RasterReader
from landcover.schema import get_schema
from tests.data.scene_fixtures import (
    CRS,
    X0,
    Y0,
    default_polygons,
    pixel_box,
    write_list,
    write_polygons,
    write_raster,
    write_schema,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def schema(tmp_path):
    return get_schema(write_schema(tmp_path / "three.yaml"))


@pytest.fixture
def scene(tmp_path):
    image = write_raster(tmp_path / "scene.tif")
    return Scene(image, default_polygons(tmp_path / "drawn.gpkg"), field="class")


def test_polygons_give_exact_labels_and_ignore_outside(scene, schema):
    reader = SceneReader(scene, schema)
    labels = reader.labels.read(from_origin(X0, Y0, 1, 1), (64, 64))
    expected = np.full((64, 64), 2, np.uint8)
    expected[8:24, 8:24] = 0
    expected[40:56, 30:46] = 1
    np.testing.assert_array_equal(labels, expected)


def test_window_at_coarser_gsd_halves_the_grid(scene, schema):
    reader = SceneReader(scene, schema)
    # 32 px of 2 m centred on the scene centre: the whole scene, pixels twice as large.
    image, labels = reader.read(X0 + 32, Y0 - 32, 32, 2.0)
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert (labels[4:12, 4:12] == 0).all() and (labels[20:28, 15:23] == 1).all()
    assert (labels == 2).sum() == 32 * 32 - 2 * 64


def test_codes_mapped_by_values(tmp_path, schema):
    image = write_raster(tmp_path / "scene.tif")
    labels = default_polygons(tmp_path / "codes.gpkg", values=(10, 80))
    scene = Scene(image, labels, field="class", values={10: "forest", 80: "water"})
    out = SceneReader(scene, schema).labels.read(from_origin(X0, Y0, 1, 1), (64, 64))
    assert out[10, 10] == 0 and out[45, 35] == 1 and out[0, 0] == 2


def test_polygons_in_another_crs_are_reprojected(tmp_path, schema):
    box = pixel_box(8, 24, 8, 24)
    ll = shapely.transform(box, lambda xy: np.column_stack(transform(CRS, "EPSG:4326", *xy.T)))
    vec = write_polygons(tmp_path / "ll.geojson", [ll], ["water"], crs="EPSG:4326")
    scene = Scene(write_raster(tmp_path / "scene.tif"), vec, field="class")
    out = SceneReader(scene, schema).labels.read(from_origin(X0, Y0, 1, 1), (64, 64))
    assert (out[9:23, 9:23] == 1).all()  # inside (edges may shift by a rounding)
    assert (out[:7] == 2).all() and (out[25:] == 2).all()


def test_label_raster_on_another_grid_is_warped_by_nearest(tmp_path, schema):
    # A 2 m label raster coded 10/20 with nodata 0, offset by 4 m from the scene.
    codes = np.zeros((40, 40), np.uint8)
    codes[:, :20] = 10
    codes[:, 20:] = 20
    codes[30:] = 0
    path = tmp_path / "product.tif"
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 1, "dtype": "uint8",
               "crs": CRS, "transform": from_origin(X0 - 4, Y0 + 4, 2, 2), "nodata": 0}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(codes, 1)
    scene = Scene(write_raster(tmp_path / "scene.tif"), path, values={10: "forest", 20: "water"})
    out = SceneReader(scene, schema).labels.read(from_origin(X0, Y0, 1, 1), (64, 64))
    # Label column 20 starts at x = X0 - 4 + 40 = X0 + 36; nodata rows from y = Y0 + 4 - 60.
    assert (out[:56, :36] == 0).all() and (out[:56, 36:] == 1).all()
    assert (out[56:] == 2).all()


def test_scene_list_resolves_paths_and_defaults(tmp_path, scene):
    listed = write_list(
        tmp_path / "scenes.yaml",
        [{"image": "scene.tif", "labels": "drawn.gpkg"}],
        field="class",
        values={10: "forest"},
    )
    (read,) = read_scene_list(listed)
    assert read == Scene(scene.image, scene.labels, "class", {10: "forest"})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: Scene(
                write_raster(p / "s.tif"), default_polygons(p / "v.gpkg"), field="kind"
            ),
            "v.gpkg: no field 'kind' (fields: class)",
        ),
        (
            lambda p: Scene(
                write_raster(p / "s.tif"),
                default_polygons(p / "v.gpkg", ("forest", "lava")),
                field="class",
            ),
            "v.gpkg: class values lava are no class of 'three'",
        ),
        (
            lambda p: Scene(
                write_raster(p / "s.tif"),
                write_polygons(p / "v.gpkg", [pixel_box(0, 8, 0, 8)], ["water"], crs="EPSG:3857"),
                field="class",
            ),
            "v.gpkg: no polygon overlaps the scene s.tif",
        ),
        (
            lambda p: Scene(
                write_raster(p / "s.tif", bands=2), default_polygons(p / "v.gpkg"), field="class"
            ),
            "s.tif: bands [1, 2, 3] asked but the scene has 2",
        ),
    ],
    ids=["no-field", "no-class", "no-overlap", "few-bands"],
)
def test_bad_inputs_are_one_line_naming_the_file(tmp_path, schema, make, message):
    with pytest.raises(InputError) as info:
        SceneReader(make(tmp_path), schema)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_16_bit_scene_is_scaled_as_prediction_scales_it(tmp_path, schema):
    """Training windows of a uint16 scene get the 8-bit values the prediction reader gives."""
    path = tmp_path / "s16.tif"
    rows, cols = np.mgrid[0:64, 0:64]
    data = np.stack([(rows * 64 + cols) * (b + 1) * 7 for b in range(3)]).astype(np.uint16)
    with rasterio.open(write_raster(tmp_path / "s8.tif")) as ref:
        profile = dict(ref.profile, dtype="uint16")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    reader = SceneReader(Scene(path, default_polygons(tmp_path / "v.gpkg"), "class"), schema)
    image, _ = reader.read(X0 + 32, Y0 - 32, 64, 1.0)
    with RasterReader(path) as predict_reader:
        expected, _ = predict_reader.read(Window(col_off=0, row_off=0, width=64, height=64))
    assert image.dtype == np.uint8 and np.array_equal(image, expected)
    assert image.min() == 0 and image.max() == 255  # stretched, not truncated


def test_untransformable_crs_is_refused(tmp_path, schema):
    # A local engineering CRS has no datum: nothing transforms it to the scene's UTM.
    local = 'LOCAL_CS["site",LOCAL_DATUM["d",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
    vec = write_polygons(tmp_path / "v.gpkg", [pixel_box(0, 8, 0, 8)], ["water"], crs=local)
    scene = Scene(write_raster(tmp_path / "s.tif"), vec, field="class")
    with pytest.raises(InputError, match=r"v.gpkg: cannot transform its CRS"):
        SceneReader(scene, schema)


def test_read_does_not_depend_on_window_origin(scene, schema):
    reader = SceneReader(scene, schema)
    whole = reader.labels.read(from_origin(X0, Y0, 1, 1), (64, 64))
    part = reader.labels.read(Affine(1, 0, X0 + 8, 0, -1, Y0 - 8), (16, 16))
    np.testing.assert_array_equal(part, whole[8:24, 8:24])


def test_cli_check_of_a_scene_list_lists_scenes_and_problems(tmp_path, schema, capsys):
    from landcover.cli import main

    write_raster(tmp_path / "good.tif")
    write_raster(tmp_path / "bad.tif")
    default_polygons(tmp_path / "drawn.gpkg")
    default_polygons(tmp_path / "lava.gpkg", ("forest", "lava"))
    listed = write_list(tmp_path / "scenes.yaml", [
        {"image": "good.tif", "labels": "drawn.gpkg"},
        {"image": "bad.tif", "labels": "lava.gpkg"},
    ], field="class")  # fmt: skip
    assert main(["check", str(listed), "--schema", str(tmp_path / "three.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "good.tif  64x64  EPSG:32631  1 m  3 bands  labels drawn.gpkg (2 polygons on the scene)"
    )
    assert out[1].startswith(f"{tmp_path / 'lava.gpkg'}: class values lava are no class")
    assert out[2] == f"ERROR: 2 scenes, 1 with errors in {listed}"


def test_schema_values_map_a_product_s_codes(tmp_path):
    import json

    from landcover.schema import ClassSchema

    schema = get_schema(write_schema(tmp_path / "coded.yaml", values={10: "forest", 80: "water"}))
    assert schema.values == ((10, "forest"), (80, "water"))
    back = ClassSchema.from_dict(json.loads(json.dumps(schema.to_dict())))  # as in ONNX metadata
    assert back == schema
    codes = np.full((64, 64), 80, np.uint8)
    codes[:, :16] = 10
    codes[60:] = 0  # nodata
    path = tmp_path / "product.tif"
    profile = {"driver": "GTiff", "width": 64, "height": 64, "count": 1, "dtype": "uint8",
               "crs": CRS, "transform": from_origin(X0, Y0, 1, 1), "nodata": 0}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(codes, 1)
    out = SceneReader(Scene(write_raster(tmp_path / "s.tif"), path), schema).labels.read(
        from_origin(X0, Y0, 1, 1), (64, 64)
    )
    assert (out[:60, :16] == 0).all() and (out[:60, 16:] == 1).all() and (out[60:] == 2).all()
    with pytest.raises(Exception, match="values name no class: lava"):
        get_schema(write_schema(tmp_path / "bad.yaml", values={10: "lava"}))


def test_cli_stats_of_a_scene_list_counts_labelled_pixels(tmp_path, schema, scene, capsys):
    import json

    from landcover.cli import main

    entry = {"image": "scene.tif", "labels": "drawn.gpkg"}
    listed = write_list(tmp_path / "scenes.yaml", [entry], field="class")
    out = tmp_path / "stats"
    args = ["stats", str(listed), "--schema", str(tmp_path / "three.yaml"), "--out", str(out)]
    assert main(args) == 0
    doc = json.loads((out / "class_stats.json").read_text())
    assert doc["pixel_counts"] == {"forest": 256, "water": 256, "nodata": 64 * 64 - 512}


def test_scene_stats_do_not_depend_on_the_chunk_size(tmp_path, schema, scene):
    from landcover.data.scene_stats import scene_stats

    entry = {"image": "scene.tif", "labels": "drawn.gpkg"}
    listed = write_list(tmp_path / "scenes.yaml", [entry], field="class")
    small = scene_stats(listed, schema, chunk=24).images[0].counts.tolist()
    assert small == scene_stats(listed, schema).images[0].counts.tolist() == [256, 256, 3584]


def _label_raster(path, codes, crs, transform, nodata=None):
    profile = {"driver": "GTiff", "width": codes.shape[1], "height": codes.shape[0], "count": 1,
               "dtype": "uint8", "crs": crs, "transform": transform, "nodata": nodata}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(codes, 1)
    return path


def test_label_raster_in_another_crs_is_reprojected(tmp_path, schema):
    # A lon/lat label raster over the scene: west of the scene's x = X0 + 32 m forest (0),
    # east of it water (1), on a 10 x 10 grid of about 0.1 m cells.
    (w, e), (s, n) = transform(CRS, "EPSG:4326", [X0 - 8, X0 + 72], [Y0 - 72, Y0 + 8])
    (mid,), _ = transform(CRS, "EPSG:4326", [X0 + 32], [Y0 - 32])
    cols = 800
    lon = w + (np.arange(cols) + 0.5) * (e - w) / cols
    codes = np.broadcast_to((lon > mid).astype(np.uint8), (800, cols)).copy()
    path = _label_raster(tmp_path / "ll.tif", codes, "EPSG:4326",
                         from_origin(w, n, (e - w) / cols, (n - s) / 800))  # fmt: skip
    scene = Scene(write_raster(tmp_path / "scene.tif"), path)
    out = SceneReader(scene, schema).labels.read(from_origin(X0, Y0, 1, 1), (64, 64))
    # UTM grid north and lon/lat north differ by a fraction of a degree here: a pixel or two.
    assert (out[:, :30] == 0).all() and (out[:, 34:] == 1).all()


def test_label_raster_codes_that_are_no_class_are_refused(tmp_path, schema):
    codes = np.full((64, 64), 7, np.uint8)
    path = _label_raster(tmp_path / "codes.tif", codes, CRS, from_origin(X0, Y0, 1, 1))
    scene = Scene(write_raster(tmp_path / "s.tif"), path)
    with pytest.raises(InputError, match=r"codes.tif: label codes 7 are no class of 'three'"):
        SceneReader(scene, schema)


def test_scenes_of_different_gsds_give_windows_on_one_grid(tmp_path, schema):
    labels = default_polygons(tmp_path / "drawn.gpkg")
    fine = SceneReader(Scene(write_raster(tmp_path / "fine.tif"), labels, "class"), schema)
    coarse = SceneReader(
        Scene(write_raster(tmp_path / "coarse.tif", size=32, gsd=2.0), labels, "class"), schema
    )
    assert (fine.gsd, coarse.gsd) == (1.0, 2.0)
    a_image, a_labels = fine.read(X0 + 32, Y0 - 32, 48, 1.0)
    b_image, b_labels = coarse.read(X0 + 32, Y0 - 32, 48, 1.0)
    assert a_image.shape == b_image.shape == (48, 48, 3)
    np.testing.assert_array_equal(a_labels, b_labels)  # labels drawn on the window's grid
