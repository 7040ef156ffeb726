"""Optional extras never fail a run: a rotated grid is mapped on its own grid, left out of
the mosaic with a warning, its areas in true ground units; overviews are best effort."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio import Affine
from rasterio.windows import Window

from landcover.batch.cog import CogWriter, is_cog
from landcover.cli import main
from landcover.io.raster import RasterInfo
from tests.inference.conftest import coded_image, make_onnx, write_geotiff

# 2 m pixels turned by 30 degrees: a valid georeferenced grid that is not north-up.
ROTATED = Affine.translation(500_000.0, 4_000_000.0) @ Affine.rotation(30.0) @ Affine.scale(2, -2)
SOUTH_UP = Affine(2.0, 0.0, 500_000.0, 0.0, 2.0, 4_000_000.0)  # rows run north: flipped


def _rotated(path: Path, transform: Affine = ROTATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.moveaxis(coded_image(64, 80, seed=3), 2, 0)
    return write_geotiff(path, data, transform=transform)


@pytest.mark.parametrize("grid", [ROTATED, SOUTH_UP], ids=["rotated", "south-up"])
def test_a_rotated_scene_alone_maps_and_the_run_exits_0(
    grid: Affine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = make_onnx(tmp_path / "tiny.onnx")
    _rotated(tmp_path / "in" / "rot.tif", grid)
    out = tmp_path / "out"
    args = ["predict", str(tmp_path / "in"), "--out", str(out), "--model", str(model)]
    with caplog.at_level(logging.WARNING):
        assert main([*args, "--no-estimate", "--confidence"]) == 0
    assert f"{out / 'rot_classes.tif'}: not north-up (rotated or flipped)" in caplog.text
    with rasterio.open(out / "rot_classes.tif") as src:
        assert src.transform.almost_equals(grid) and (src.width, src.height) == (80, 64)
    assert not list(out.glob("*.vrt"))
    assert is_cog(out / "rot_confidence.tif") and (out / "rot_confidence.qml").is_file()
    record = json.loads((out / ".landcover/done/rot.json").read_text())
    assert "rot_confidence.qml" in record["outputs"]
    assert (out / "collection.json").is_file()  # STAC places a rotated scene by its outline
    areas = json.loads((out / "rot_areas.json").read_text())
    hectares = sum(c["hectares"] for c in areas["classes"]) + areas.get("nodata_hectares", 0)
    assert hectares == pytest.approx(64 * 80 * 4 / 10_000, rel=1e-6)  # 4 m² per pixel


def test_a_rotated_scene_beside_north_up_ones_leaves_the_mosaic_to_them(tmp_path: Path) -> None:
    model = make_onnx(tmp_path / "tiny.onnx")
    _rotated(tmp_path / "in" / "rot.tif")
    write_geotiff(tmp_path / "in" / "up.tif", np.moveaxis(coded_image(48, 40, seed=1), 2, 0))
    out = tmp_path / "out"
    args = ["predict", str(tmp_path / "in"), "--out", str(out), "--model", str(model)]
    assert main([*args, "--no-estimate"]) == 0
    text = (out / "mosaic_32633.vrt").read_text()
    assert "up_classes.tif" in text and "rot_classes.tif" not in text


def _confidence_cog(path: Path) -> Path:
    data = np.full((1100, 1000), 200, dtype=np.uint8)
    data[:, :500] = 0  # nodata: left out of the averaged overviews
    info = RasterInfo(
        path, 1000, 1100, crs=None, transform=None, nodata=0, gsd_m=None, dtype="uint8"
    )
    writer = CogWriter(path, info, nodata=0, resampling="AVERAGE")
    writer.write(data, Window(col_off=0, row_off=0, width=1000, height=1100))
    return writer.close()


def test_confidence_gets_averaged_overviews(tmp_path: Path) -> None:
    conf = _confidence_cog(tmp_path / "x_confidence.tif")
    assert is_cog(conf)
    with rasterio.open(conf) as src:
        assert src.overviews(1)[0] == 2 and src.nodata == 0
        half = src.read(1, out_shape=(550, 500))
    assert set(np.unique(half[:, 260:])) == {200}


def test_overviews_are_best_effort(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = rasterio.shutil.copy

    def no_cog(src: object, dst: object, driver: str = "GTiff", **kw: object) -> None:
        if driver == "COG":
            raise rasterio.errors.RasterioError("COG driver failed")
        copy(src, dst, driver=driver, **kw)

    monkeypatch.setattr(rasterio.shutil, "copy", no_cog)
    with caplog.at_level(logging.WARNING):
        conf = _confidence_cog(tmp_path / "x_confidence.tif")
    assert f"{conf}: no overviews (COG driver failed)" in caplog.text
    assert not is_cog(conf)
    with rasterio.open(conf) as src:
        assert src.nodata == 0 and src.read(1)[0, 600] == 200
    assert [p.name for p in tmp_path.iterdir()] == ["x_confidence.tif"]
