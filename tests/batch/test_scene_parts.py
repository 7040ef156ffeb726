"""A scene mapped in parts and assembled equals the scene mapped in one go, file for file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landcover.batch.scene import predict_file
from landcover.batch.scene_parts import assemble_parts, predict_part, scene_plan
from landcover.inference.options import PredictOptions
from landcover.inference.predictor import load_predictor
from landcover.io.raster import RasterReader
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE
from tests.inference.conftest import coded_image, make_onnx, write_geotiff
from tests.io.test_remote import write_cog


@pytest.mark.parametrize(("n_parts", "reduced"), [(2, False), (3, False), (3, True)])
def test_parts_assemble_to_the_single_process_result(
    tmp_path: Path, n_parts: int, reduced: bool
) -> None:
    if reduced:  # a 0.5 m COG for a 1.2 m model: every block read from its x2 overview
        meta = ModelMeta("tiny", DEEPGLOBE, gsd_m=1.2, tile_size=32)
        predictor = load_predictor(make_onnx(tmp_path / "tiny.onnx", meta))
        image = write_cog(tmp_path / "big.tif", 300, 260, seed=3)
        with RasterReader(image) as reader:
            assert reader.reduction(0.5 / 1.2) == 2
    else:
        predictor = load_predictor(make_onnx(tmp_path / "tiny.onnx"))
        rgb = np.moveaxis(coded_image(150, 130, seed=3), 2, 0)
        image = write_geotiff(tmp_path / "big.tif", rgb)
    options = PredictOptions(block_size=48, confidence=True, probabilities=True, overlap=0.25)
    (tmp_path / "one").mkdir()
    (tmp_path / "parts").mkdir()
    one = predict_file(predictor, image, tmp_path / "one", options, progress=False)
    n_blocks, gsd = scene_plan(predictor, image, options)
    assert n_blocks >= n_parts
    ranges = [range(int(a[0]), int(a[-1]) + 1) for a in np.array_split(range(n_blocks), n_parts)]
    part_dir = tmp_path / "parts" / ".landcover" / "parts" / "big"
    for i, r in enumerate(ranges):
        assert predict_part(predictor, image, part_dir, i, r, gsd, options) == i
    two = assemble_parts(
        predictor, image, tmp_path / "parts", "big", part_dir, list(enumerate(ranges)), gsd,
        options,
    )  # fmt: skip
    assert [p.name for p in two.outputs] == [p.name for p in one.outputs]
    for name in ("big_classes.tif", "big_confidence.tif", "big_probabilities.tif"):
        with (
            rasterio.open(tmp_path / "one" / name) as a,
            rasterio.open(tmp_path / "parts" / name) as b,
        ):
            assert np.array_equal(a.read(), b.read()), name
            assert a.transform == b.transform and a.crs == b.crs
    for name in ("big_color.png", "big_overlay.jpg"):
        a = np.asarray(Image.open(tmp_path / "one" / name))
        b = np.asarray(Image.open(tmp_path / "parts" / name))
        assert np.array_equal(a, b), name
    areas = [json.loads((tmp_path / d / "big_areas.json").read_text()) for d in ("one", "parts")]
    assert areas[0]["classes"] == areas[1]["classes"]
    assert not part_dir.exists()
