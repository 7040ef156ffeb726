"""Reduced-resolution reads: a scene mapped at a GSD coarser than its own is read from its
overviews (rasters) or decoded at 1/2, 1/4, 1/8 (JPEG), never coarser than the model's pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.enums import Resampling
from rasterio.windows import Window

from landcover.batch.runner import ModelSpec, predict_many
from landcover.batch.scene import predict_file
from landcover.data.pairs import Pair
from landcover.evaluation.evaluate import evaluate_pairs
from landcover.inference.blocks import Preview
from landcover.inference.engine import class_labels, predict_array
from landcover.inference.options import PredictOptions
from landcover.io.pictures import read_picture
from landcover.io.raster import NODATA_LABEL, RasterReader
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE
from tests.helpers import class_rasters
from tests.inference.conftest import IdentityPredictor, coded_image, make_onnx, write_geotiff
from tests.io.test_remote import ORIGIN, write_cog
from tests.remote_servers import RangeServer

SAMPLE = Path(__file__).resolve().parents[2] / "src/landcover/samples/deepglobe_sample.jpg"
MODEL_GSD = 1.2  # the test COGs are 0.5 m: 2.4 input pixels a model pixel, read at 1/2


@pytest.fixture
def coarse_model(tmp_path: Path) -> ModelSpec:
    meta = ModelMeta("tiny", DEEPGLOBE, gsd_m=MODEL_GSD, tile_size=32)
    return ModelSpec(str(make_onnx(tmp_path / "coarse.onnx", meta)))


def test_the_step_is_the_coarsest_overview_still_finer_than_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lets GDAL read an overview up to 3x coarser than asked: a read of exactly the x2
    # overview's size still reads that overview, not the x4 one.
    monkeypatch.setenv("GDAL_OVERVIEW_OVERSAMPLING_THRESHOLD", "3")
    cog = write_cog(tmp_path / "c.tif", 1024, 1024)  # overviews 2 and 4
    with RasterReader(cog) as reader:
        assert reader._src.overviews(1) == [2, 4]
        assert reader.reduction(0.5 / 1.2) == 2  # x4 would be 2 m: coarser than 1.2 m
        assert reader.reduction(0.5 / 2.0) == 4  # exactly the model's pixels
        assert reader.reduction(0.5 / 0.9) == 1 and reader.reduction(1.0) == 1
        for step, level in ((2, 0), (4, 1)):  # GDAL reads the overview of that factor as it is
            rgb, valid = reader.read(Window(col_off=0, row_off=0, width=1024, height=1024), step)
            with rasterio.open(cog, overview_level=level) as ovr:
                assert np.array_equal(rgb, np.moveaxis(ovr.read(), 0, -1))
            assert valid.shape == (1024, 1024) and valid.all()
    Image.fromarray(coded_image(64, 48)).save(tmp_path / "p.jpg")
    Image.fromarray(coded_image(64, 48)).save(tmp_path / "p.png")
    with RasterReader(tmp_path / "p.jpg") as jpg, RasterReader(tmp_path / "p.png") as png:
        assert [jpg.reduction(s) for s in (0.3, 0.2, 0.1, 0.01)] == [2, 4, 8, 8]
        assert png.reduction(0.1) == 1  # decoded whole: no cheaper reduced decoding
    for how, step in (("average", 2), ("nearest", 1)):  # every other pixel: not used
        plain = write_geotiff(tmp_path / f"{how}.tif", np.ones((3, 600, 600), np.uint8))
        with rasterio.open(plain, "r+") as dst:
            dst.build_overviews([2, 4], Resampling[how])
        with RasterReader(plain) as reader:
            assert reader.reduction(0.5 / 1.2) == step
    nodata = write_geotiff(tmp_path / "n.tif", np.ones((3, 600, 600), np.uint8), nodata=0)
    with rasterio.open(nodata, "r+") as dst:
        dst.build_overviews([2, 4], Resampling.average)
    with RasterReader(nodata) as reader:
        assert reader.reduction(0.25) == 1  # its validity is read at full resolution


def test_a_jpeg_decoded_at_half_is_its_2x2_means_within_a_grey_level() -> None:
    full = read_picture(SAMPLE).astype(np.float32)
    half = read_picture(SAMPLE, step=2).astype(np.float32)
    assert half.shape == (612, 612, 3)  # ceil(1224 / 2)
    means = full.reshape(612, 2, 612, 2, 3).mean(axis=(1, 3))
    diff = np.abs(half - means)  # DCT scaling, not a box filter: close, not equal
    assert diff.mean() < 0.5 and np.percentile(diff, 99) < 2.0, (diff.mean(), diff.max())
    with RasterReader(SAMPLE) as reader:
        rgb, valid = reader.read(Window(col_off=200, row_off=100, width=61, height=50), step=2)
        assert np.array_equal(rgb, half[50:75, 100:131].astype(np.uint8))  # rows 50-74.5
        assert valid.shape == (50, 61) and valid.all()


def test_a_reduced_block_fills_the_preview_by_nearest_pixel() -> None:
    prev = Preview(8, 12, 2, None)
    prev.put(
        np.arange(24, dtype=np.uint8).reshape(4, 6),
        Window(col_off=0, row_off=0, width=12, height=8),
    )
    assert np.array_equal(prev.data, np.arange(24).reshape(4, 6))  # the grid of a 1/2 read
    full = Preview(8, 12, 2, None)
    block = np.arange(96, dtype=np.uint8).reshape(8, 12)
    full.put(
        block[2:6, 4:10], Window(col_off=4, row_off=2, width=6, height=4)
    )  # a full-size block: its grid pixels
    assert np.array_equal(full.data[1:3, 2:5], block[2:6:2, 4:10:2])


def test_a_jpeg_at_a_coarser_model_gsd_is_mapped_from_its_half_decode(tmp_path: Path) -> None:
    predictor = IdentityPredictor(gsd_m=MODEL_GSD)
    options = PredictOptions(gsd_m=0.5)
    result = predict_file(predictor, SAMPLE, tmp_path, options, progress=False)
    with rasterio.open(tmp_path / "deepglobe_sample_classes.tif") as src:
        labels = src.read(1)
    assert labels.shape == (1224, 1224) and result.outputs
    half = read_picture(SAMPLE, step=2)
    expected = predict_array(predictor, half, gsd_m=0.5, shape=(1224, 1224))
    assert np.array_equal(labels, class_labels(expected))
    overlay = np.asarray(Image.open(tmp_path / "deepglobe_sample_overlay.jpg"))
    assert overlay.shape[:2] == (1224, 1224)  # previews at the scene's own size


def test_evaluate_scores_what_predict_writes_from_the_reduced_read(tmp_path: Path) -> None:
    predictor = IdentityPredictor(gsd_m=MODEL_GSD)
    labels = np.random.default_rng(0).integers(0, 6, (1224, 1224))
    mask = tmp_path / "s_mask.png"
    Image.fromarray(DEEPGLOBE.palette[labels].astype(np.uint8)).save(mask)
    got: list[np.ndarray] = []

    def recording(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        got.append(class_labels(predict_array(*args, **kwargs)))
        return predict_array(*args, **kwargs)

    pair = Pair(SAMPLE, mask, "s")
    evaluate_pairs(predictor, [pair], tmp_path / "r", gsd_m=0.5, predict=recording, gallery=0,
                   progress=False)  # fmt: skip
    predict_file(predictor, SAMPLE, tmp_path, PredictOptions(gsd_m=0.5), progress=False)
    with rasterio.open(tmp_path / "deepglobe_sample_classes.tif") as src:
        assert np.array_equal(got[0], src.read(1))


def test_mapping_a_cog_at_a_coarser_gsd_reads_its_overview_not_the_file(
    tmp_path: Path, coarse_model: ModelSpec
) -> None:
    www = tmp_path / "www"
    cog = write_cog(www / "big.tif", 1024, 1024)
    size = cog.stat().st_size
    local = predict_many([cog], tmp_path / "local", model=coarse_model, progress=False)
    with RangeServer(www) as server:
        remote = predict_many(
            [server.url("big.tif")], tmp_path / "remote", model=coarse_model, progress=False
        )
        sent = server.sent()["big.tif"]
    assert not local.failures and not remote.failures
    here, there = class_rasters(tmp_path / "local"), class_rasters(tmp_path / "remote")
    assert np.array_equal(here["big_classes.tif"], there["big_classes.tif"])
    assert here["big_classes.tif"].shape == (1024, 1024)
    # The x2 overview (a quarter of level 0's bytes) and the header: 19 % of this file.
    assert sent < 0.4 * size, (sent, size)
    print(f"\nbytes sent {sent} of {size} in the file ({sent / size:.0%})")


def test_a_nodata_border_is_labelled_nodata_exactly_at_a_coarser_gsd(tmp_path: Path) -> None:
    data = np.moveaxis(coded_image(300, 260, seed=3), -1, 0).copy()
    data[data == 0] = 1  # no pixel is nodata by chance
    data[:, :17, :] = 0
    data[:, :, -9:] = 0
    src = write_geotiff(tmp_path / "n.tif", data, transform=ORIGIN, nodata=0)
    with rasterio.open(src, "r+") as dst:
        dst.build_overviews([2, 4], Resampling.average)
    predict_file(IdentityPredictor(gsd_m=MODEL_GSD), src, tmp_path, progress=False)
    with rasterio.open(tmp_path / "n_classes.tif") as out:
        labels = out.read(1)
    nodata = np.all(data == 0, axis=0)
    assert np.array_equal(labels == NODATA_LABEL, nodata)


def test_a_jpg_that_is_not_a_jpeg_is_area_averaged_to_the_same_size(tmp_path: Path) -> None:
    # A PNG named .jpg (Pillow opens it by content; no DCT scaling): ceil(size / step) px.
    Image.fromarray(coded_image(50, 67)).save(tmp_path / "png.jpg", format="PNG")
    with RasterReader(tmp_path / "png.jpg") as reader:
        assert reader.reduction(0.4) == 2
        half, valid = reader.read(Window(col_off=0, row_off=0, width=67, height=50), 2)
    assert half.shape == (25, 34, 3) and valid.shape == (50, 67)
    full = read_picture(tmp_path / "png.jpg")
    box = np.asarray(Image.fromarray(full).resize((34, 25), Image.Resampling.BOX))
    np.testing.assert_array_equal(half, box)
