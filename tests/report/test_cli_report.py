"""``landcover report`` and ``predict --report`` on the command line."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.cli import main
from tests.report.synthetic import write_run


def test_report_command_prints_the_page(tmp_path: Path, capsys) -> None:
    run = write_run(tmp_path, extras=False)
    assert main(["-q", "report", str(run), "--model-name", "my model"]) == 0
    assert capsys.readouterr().out.strip() == f"report: {run / 'index.html'}"
    assert "my model" in (run / "index.html").read_text(encoding="utf-8")
    assert main(["-q", "report", str(run)]) == 2  # refuses to replace it
    assert "use --overwrite" in capsys.readouterr().err
    assert main(["-q", "report", str(run), "--overwrite"]) == 0


def test_report_command_refuses_other_folders(tmp_path: Path, capsys) -> None:
    assert main(["-q", "report", str(tmp_path)]) == 2
    assert "not a 'landcover predict' output folder" in capsys.readouterr().err


def test_help_explains_each_option(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = capsys.readouterr().out
    for option in ("--model-name", "--overwrite", "index.html", "file://"):
        assert option in text


def test_predict_report_writes_and_prints_the_page(tmp_path: Path, capsys) -> None:
    pytest.importorskip("onnx")
    from tests.inference.conftest import make_onnx

    model = make_onnx(tmp_path / "tiny.onnx")
    image = tmp_path / "scene.png"
    rgb = np.random.default_rng(0).integers(0, 256, (24, 36, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(image)
    out = tmp_path / "out"
    argv = ["-q", "predict", str(image), "--model", str(model), "--no-estimate", "--out", str(out)]
    assert main([*argv, "--report"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == f"report: {out / 'index.html'}"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "tiny.onnx" in html and (out / "report_assets" / "scene-000.js").is_file()


def test_the_report_does_not_repeat_what_predict_said_of_the_bands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A 4-band GeoTIFF with no band meaning: predict warns once that it takes bands 1-3; the
    # report reads the image again for its preview and says nothing more.
    pytest.importorskip("onnx")
    import rasterio
    from rasterio.transform import from_origin

    from tests.inference.conftest import make_onnx

    model = make_onnx(tmp_path / "tiny.onnx")
    image = tmp_path / "four.tif"
    data = np.random.default_rng(0).integers(0, 256, (4, 24, 36), dtype=np.uint8)
    profile = dict(driver="GTiff", width=36, height=24, count=4, dtype="uint8", crs="EPSG:32633")
    with rasterio.open(image, "w", transform=from_origin(0, 0, 1, 1), **profile) as dst:
        dst.write(data)
        dst.colorinterp = [rasterio.enums.ColorInterp.undefined] * 4
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        argv = ["predict", str(image), "--model", str(model), "--out", str(out), "--report"]
        assert main(argv) == 0
    said = [r.getMessage() for r in caplog.records if r.name == "landcover.io.bands"]
    assert len(said) == 1 and "using the first three as RGB" in said[0], said
