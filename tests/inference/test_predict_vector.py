"""``predict --confidence --vector``: the confidence raster, polygons and QGIS styles per scene."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcover.batch.scene import predict_file
from landcover.cli import main
from landcover.errors import LandcoverError
from landcover.inference.options import PredictOptions
from landcover.inference.predict import prepare_out_dir
from tests.inference.conftest import IdentityPredictor, K, write_geotiff

pyogrio = pytest.importorskip("pyogrio")

SOFT_TOP = 0.5 + 0.5 / K  # the top probability of SoftPredictor
SOFT_CODE = int(np.rint(SOFT_TOP * 255))  # 146


class SoftPredictor(IdentityPredictor):
    """The identity model's classes with probability 0.5 + 0.5 / K (the rest spread evenly)."""

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        return 0.5 * super().predict_batch(x) + np.float32(0.5 / K)


def scene(path: Path) -> tuple[Path, np.ndarray]:
    """A 2 m GeoTIFF (48 x 64): agriculture left, rangeland right, a 10 x 10 urban block, a
    2 x 2 water patch, and a 4 x 4 nodata corner (all bands 0). Returns it and its classes."""
    classes = np.ones((48, 64), np.uint8)
    classes[:, 32:] = 2
    classes[20:30, 10:20] = 0
    classes[40:42, 50:52] = 4
    red = np.where(classes == 0, K, classes).astype(np.uint8)  # red % K is the class
    image = np.stack([red, np.full_like(red, 50), np.full_like(red, 50)])
    image[:, :4, :4] = 0
    classes[:4, :4] = 255
    return write_geotiff(path, image, nodata=0), classes


def test_confidence_raster_polygons_and_styles(tmp_path: Path) -> None:
    src, classes = scene(tmp_path / "scene.tif")
    out = tmp_path / "out"
    out.mkdir()
    result = predict_file(
        SoftPredictor(gsd_m=2.0),
        src,
        out,
        PredictOptions(confidence=True, vector=True),
        progress=False,
    )
    names = {p.name for p in result.outputs}
    assert {
        "scene_classes.tif",
        "scene_classes.qml",
        "scene_classes.tif.aux.xml",
        "scene_confidence.tif",
        "scene_polygons.gpkg",
        "scene_polygons.qml",
    } <= names
    with (
        rasterio.open(out / "scene_classes.tif") as c,
        rasterio.open(out / "scene_confidence.tif") as f,
    ):
        np.testing.assert_array_equal(c.read(1), classes)
        assert c.tags()["LANDCOVER_MODEL_GSD"] == "2"
        assert (f.dtypes[0], f.nodata, f.crs, f.transform) == ("uint8", 0, c.crs, c.transform)
        conf = f.read(1)
    np.testing.assert_array_equal(conf, np.where(classes == 255, 0, SOFT_CODE))
    meta, _, _, values = pyogrio.raw.read(out / "scene_polygons.gpkg", layer="scene_polygons")
    fields = dict(zip(meta["fields"], values, strict=True))
    assert sorted(fields["class_id"].tolist()) == [0, 1, 2, 4]
    valid = np.count_nonzero(classes != 255)
    assert fields["area_ha"].sum() == pytest.approx(valid * 4.0 / 1e4)
    np.testing.assert_allclose(fields["confidence"], SOFT_CODE / 255, atol=1e-4)


def test_mmu_applies_to_the_polygons_not_the_raster(tmp_path: Path) -> None:
    src, classes = scene(tmp_path / "scene.tif")
    out = tmp_path / "out"
    out.mkdir()
    # The water patch is 4 px of 4 m²: 0.0016 ha, under an MMU of 0.002 ha.
    options = PredictOptions(vector=True, mmu_ha=0.002)
    predict_file(IdentityPredictor(gsd_m=2.0), src, out, options, progress=False)
    with rasterio.open(out / "scene_classes.tif") as c:
        assert (c.read(1) == 4).sum() == 4
    meta, _, _, values = pyogrio.raw.read(out / "scene_polygons.gpkg", layer="scene_polygons")
    fields = dict(zip(meta["fields"], values, strict=True))
    assert sorted(fields["class_id"].tolist()) == [0, 1, 2]
    assert "confidence" not in fields  # no confidence raster was written


def test_earlier_polygons_are_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "x_polygons.gpkg").write_bytes(b"")
    with pytest.raises(LandcoverError, match="already holds results"):
        prepare_out_dir(tmp_path)
    prepare_out_dir(tmp_path, overwrite=True)


def test_cli_predict_vector(tiny_onnx: Path, tmp_path: Path, capsys) -> None:
    src, _ = scene(tmp_path / "s.tif")
    out = tmp_path / "o"
    argv = ["-q", "predict", "--model", str(tiny_onnx), str(src), "--out", str(out)]
    assert main([*argv, "--mmu", "0.5"]) == 2
    assert "--mmu takes hectares >= 0 and applies to --vector" in capsys.readouterr().err
    assert main([*argv, "--vector", "--confidence", "--mmu", "0.001"]) == 0
    for suffix in ("_confidence.tif", "_polygons.gpkg", "_polygons.qml", "_classes.qml"):
        assert (out / f"s{suffix}").is_file()


def test_cli_predict_vector_without_pyogrio(
    tiny_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyogrio" else real(name, *a)
    )
    src, _ = scene(tmp_path / "s.tif")
    argv = ["-q", "predict", "--model", str(tiny_onnx), str(src), "--out", str(tmp_path / "o")]
    assert main([*argv, "--vector"]) == 2
    assert "pip install 'landcover[gis]'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # refused before mapping anything
