"""File-level prediction: GeoTIFF in and out, bounded memory, areas, nodata, odd inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landcover.batch.runner import predict_paths
from landcover.batch.scene import predict_file
from landcover.errors import LandcoverError
from landcover.inference.options import PredictOptions
from landcover.inference.predict import prepare_out_dir
from landcover.io.raster import NODATA_LABEL, RasterReader
from landcover.schema import DEEPGLOBE
from tests.inference.conftest import IdentityPredictor, K, coded_image, write_geotiff


def _classes(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def test_geotiff_keeps_crs_transform_and_colour_table(tmp_path: Path) -> None:
    image = coded_image(45, 70)
    src = write_geotiff(tmp_path / "scene.tif", np.moveaxis(image, -1, 0))
    result = predict_file(IdentityPredictor(gsd_m=2.0), src, tmp_path, progress=False)
    out = tmp_path / "scene_classes.tif"
    assert {p.name for p in result.outputs} == {
        "scene_classes.tif",
        "scene_classes.qml",
        "scene_classes.tif.aux.xml",
        "scene_color.png",
        "scene_overlay.jpg",
        "scene_areas.json",
    }
    with rasterio.open(src) as a, rasterio.open(out) as b:
        assert (b.width, b.height, b.count, b.dtypes[0]) == (70, 45, 1, "uint8")
        assert b.crs == a.crs and b.transform == a.transform
        cmap = b.colormap(1)
        for i, color in enumerate(DEEPGLOBE.colors):
            assert cmap[i] == (*color, 255)
        np.testing.assert_array_equal(b.read(1), image[..., 0] % K)
    color = np.asarray(Image.open(tmp_path / "scene_color.png").convert("RGB"))
    np.testing.assert_array_equal(color, DEEPGLOBE.decode((image[..., 0] % K).astype(np.uint8)))
    assert not list(tmp_path.glob(".*part"))


def test_areas_exact_with_known_gsd(tmp_path: Path) -> None:
    image = coded_image(40, 50, seed=5)
    src = write_geotiff(tmp_path / "a.tif", np.moveaxis(image, -1, 0))  # 2 m pixels
    result = predict_file(IdentityPredictor(gsd_m=2.0), src, tmp_path, progress=False)
    expected = np.bincount((image[..., 0] % K).ravel(), minlength=K)
    table = result.areas
    assert table["gsd_m"] == 2.0 and table["valid_pixels"] == 2000
    for c in table["classes"]:
        assert c["pixels"] == expected[c["index"]]
        assert c["fraction"] == pytest.approx(expected[c["index"]] / 2000)
        assert c["hectares"] == pytest.approx(expected[c["index"]] * 4.0 / 10_000)


def test_reader_reads_blocks_not_the_whole_raster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = coded_image(200, 150, seed=2)
    src = write_geotiff(tmp_path / "big.tif", np.moveaxis(image, -1, 0))
    seen = []
    original = RasterReader.read

    def spy(self: RasterReader, window, step=1):  # type: ignore[no-untyped-def]
        seen.append(window)
        return original(self, window, step)

    monkeypatch.setattr(RasterReader, "read", spy)
    predict_file(
        IdentityPredictor(gsd_m=2.0), src, tmp_path, PredictOptions(block_size=64), progress=False
    )
    # 64-px blocks with a 4-px margin (1/8 tile): 4 x 3 blocks, none larger than 72 x 72.
    assert len(seen) == 12
    assert max(w.height * w.width for w in seen) == 72 * 72
    np.testing.assert_array_equal(_classes(tmp_path / "big_classes.tif"), image[..., 0] % K)


def test_nodata_and_nan_are_kept_and_never_classified(tmp_path: Path) -> None:
    data = np.random.default_rng(1).uniform(0, 1000, (3, 30, 40)).astype(np.float32)
    data[:, :5, :] = np.nan
    data[:, 10:12, :] = -9999.0
    src = write_geotiff(tmp_path / "f.tif", data, nodata=-9999.0)
    result = predict_file(IdentityPredictor(gsd_m=2.0), src, tmp_path, progress=False)
    with rasterio.open(tmp_path / "f_classes.tif") as out:
        labels = out.read(1)
        assert out.nodata == NODATA_LABEL
    assert (labels[:5] == NODATA_LABEL).all() and (labels[10:12] == NODATA_LABEL).all()
    assert (labels[5:10] < K).all() and (labels[12:] < K).all()
    assert result.areas["nodata_pixels"] == 7 * 40
    assert result.areas["valid_pixels"] == 23 * 40


def test_16bit_and_band_selection(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    data = rng.integers(0, 4000, (5, 20, 24)).astype(np.uint16)
    src = write_geotiff(tmp_path / "ms.tif", data)
    predict_file(
        IdentityPredictor(gsd_m=2.0), src, tmp_path, PredictOptions(bands=(3, 2, 1)), progress=False
    )
    with RasterReader(src, bands=[3, 2, 1]) as reader:
        from rasterio.windows import Window

        rgb, valid = reader.read(Window(col_off=0, row_off=0, width=24, height=20))
    assert rgb.dtype == np.uint8 and valid.all()
    assert rgb[..., 0].max() == 255 and rgb[..., 0].min() == 0  # 2-98 % stretch of band 3
    np.testing.assert_array_equal(_classes(tmp_path / "ms_classes.tif"), rgb[..., 0] % K)
    with pytest.raises(LandcoverError, match="ms.tif.*--bands"):
        predict_file(
            IdentityPredictor(), src, tmp_path, PredictOptions(bands=(1, 2, 9)), progress=False
        )


def test_interrupt_leaves_only_complete_files(tmp_path: Path) -> None:
    class Interrupted(IdentityPredictor):
        def predict_batch(self, x: np.ndarray) -> np.ndarray:
            if len(self.calls) == 2:
                raise KeyboardInterrupt
            return super().predict_batch(x)

    src = write_geotiff(tmp_path / "s.tif", np.moveaxis(coded_image(100, 100), -1, 0))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        predict_file(
            Interrupted(gsd_m=2.0), src, out, PredictOptions(block_size=40), progress=False
        )
    assert list(out.iterdir()) == []


def test_folder_run_lists_bad_files_and_goes_on(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    Image.fromarray(coded_image(20, 20)).save(inp / "good tile é.png")
    (inp / "bad.jpg").write_text("not an image")
    result = predict_paths(IdentityPredictor(), [inp], tmp_path / "out", progress=False)
    assert [s.image.name for s in result.scenes] == ["good tile é.png"]
    assert [f.name for f, _ in result.failures] == ["bad.jpg"]
    assert (tmp_path / "out" / "good tile é_classes.tif").is_file()
    assert (tmp_path / "out" / "areas.csv").read_text().count("good tile é.png") == K


def test_out_dir_with_results_refused_unless_overwrite(tmp_path: Path) -> None:
    (tmp_path / "x_classes.tif").write_bytes(b"1")
    with pytest.raises(LandcoverError, match="already holds results.*--overwrite"):
        prepare_out_dir(tmp_path)
    assert prepare_out_dir(tmp_path, overwrite=True) == tmp_path
    (tmp_path / "file").write_text("")
    with pytest.raises(LandcoverError, match="not a folder"):
        prepare_out_dir(tmp_path / "file")


def test_unwritable_out_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root ignores folder permissions, so simulate the OS refusing the write.
    original = Path.write_bytes

    def refuse(self: Path, data: bytes) -> int:
        if self.name == ".landcover-write-test":
            raise PermissionError(13, "Permission denied")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", refuse)
    with pytest.raises(LandcoverError, match="out: output folder is not writable"):
        prepare_out_dir(tmp_path / "out")


def test_a_cancelled_scene_stops_before_its_next_block_leaving_nothing(tmp_path: Path) -> None:
    import threading

    cancel = threading.Event()

    class CancelsAfterOneBlock(IdentityPredictor):
        def predict_batch(self, x: np.ndarray) -> np.ndarray:
            cancel.set()  # the run is interrupted while the first block is mapped
            return super().predict_batch(x)

    src = write_geotiff(tmp_path / "scene.tif", np.moveaxis(coded_image(90, 70), -1, 0))
    out = tmp_path / "out"
    out.mkdir()
    predictor = CancelsAfterOneBlock(gsd_m=2.0)
    options = PredictOptions(block_size=32)  # 3 x 3 blocks of 32 px
    with pytest.raises(KeyboardInterrupt):
        predict_file(predictor, src, out, options, progress=False, cancel=cancel)
    assert len(predictor.calls) == 1 and list(out.iterdir()) == []
    done = predict_file(IdentityPredictor(gsd_m=2.0), src, out, options, progress=False)
    assert len(done.outputs) == 6  # not cancelled: every block, every file
