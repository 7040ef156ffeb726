"""``landcover.predict_paths`` and ``landcover predict`` write the same run, file for file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rasterio import Affine

import landcover
from landcover.cli import main
from tests.inference.conftest import coded_image, make_onnx, write_geotiff

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

# JSON written with the time of the run (records, STAC): compared without their time fields.
TIMED = {"collection.json"}


def _inputs(folder: Path) -> list[Path]:
    folder.mkdir()
    tf = Affine(2.0, 0.0, 500_000.0, 0.0, -2.0, 4_000_000.0)
    geo = write_geotiff(
        folder / "g.tif", np.moveaxis(coded_image(96, 80, seed=1), 2, 0), transform=tf
    )
    png = folder / "p.png"
    Image.fromarray(coded_image(50, 70, seed=2)).save(png)
    return [geo, png]


def _files(out: Path) -> dict[str, Path]:
    return {str(p.relative_to(out)): p for p in sorted(out.rglob("*")) if p.is_file()}


def _without_times(value: object) -> object:
    """A JSON value with its time stamps and durations dropped."""
    if isinstance(value, dict):
        drop = {"finished", "seconds", "created", "updated", "datetime", "temporal"}
        return {k: _without_times(v) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_library_call_and_cli_write_the_same_files(tmp_path: Path) -> None:
    model = make_onnx(tmp_path / "tiny.onnx")
    inputs = _inputs(tmp_path / "in")
    cli_out, api_out = tmp_path / "cli" / "run", tmp_path / "api" / "run"  # STAC ids: "run"
    argv = ["-q", "predict", *map(str, inputs), "--model", str(model), "--out", str(cli_out)]
    assert main([*argv, "--gsd", "2", "--confidence"]) == 0
    options = landcover.PredictOptions(gsd_m=2.0, confidence=True)
    predictor = landcover.load_predictor(model)
    result = landcover.predict_paths(predictor, inputs, api_out, options, progress=False)
    assert not result.failures and [s.stem for s in result.scenes] == ["g", "p"]
    cli_files, api_files = _files(cli_out), _files(api_out)
    assert sorted(cli_files) == sorted(api_files)
    assert {"g_classes.tif", "mosaic_32633.vrt", "collection.json", ".landcover/run.json"} <= set(
        cli_files
    )
    same_bytes = 0
    for name, a in cli_files.items():
        b = api_files[name]
        if a.suffix == ".json" and (
            name.startswith(".landcover/") or name in TIMED or "items" in name
        ):
            assert _without_times(json.loads(a.read_text())) == _without_times(
                json.loads(b.read_text())
            ), name
        else:
            assert a.read_bytes() == b.read_bytes(), name
            same_bytes += 1
    assert same_bytes == 19  # 8 files per scene, areas.csv, the VRT and its .qml: byte for byte
