"""``landcover predict`` end to end with a tiny ONNX model, and the hard inputs of issue 7."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landcover.cli import main
from tests.inference.conftest import K, coded_image

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def _run(*argv: str) -> int:
    return main(["-q", "predict", *argv])


def test_outputs_and_run_table(tiny_onnx: Path, tmp_path: Path, capsys) -> None:
    img = tmp_path / "scène 1.png"
    Image.fromarray(coded_image(45, 37)).save(img)
    out = tmp_path / "out"
    args = ("--model", str(tiny_onnx), str(img), "--probabilities", "--no-estimate")
    assert _run(*args, "--out", str(out)) == 0
    names = sorted(p.name for p in out.iterdir() if p.name != ".landcover")
    assert names == sorted(
        [
            f"scène 1{s}"
            for s in (
                "_classes.tif",
                "_classes.qml",
                "_classes.tif.aux.xml",
                "_color.png",
                "_overlay.jpg",
                "_areas.json",
                "_probabilities.tif",
            )
        ]
        + ["areas.csv"]
    )
    with rasterio.open(out / "scène 1_classes.tif") as src:
        assert (src.width, src.height) == (37, 45)
        labels = src.read(1)
    with rasterio.open(out / "scène 1_probabilities.tif") as src:
        probs = src.read()
    assert probs.shape == (K, 45, 37)
    # The class written is the most probable one (up to uint8 rounding of near ties).
    np.testing.assert_array_equal(np.take_along_axis(probs, labels[None], 0)[0], probs.max(0))
    areas = json.loads((out / "scène 1_areas.json").read_text())
    assert sum(c["pixels"] for c in areas["classes"]) == 45 * 37
    assert areas["gsd_m"] is None and all(c["hectares"] is None for c in areas["classes"])
    assert areas["gsd_source"] == "unknown" and areas["image"] == str(img)
    printed = capsys.readouterr().out
    assert "scène 1" in printed and "GSD: 1 unknown (no resampling, no hectares)" in printed


def test_unknown_gsd_is_estimated_and_hectares_marked(
    tiny_onnx: Path, tmp_path: Path, capsys
) -> None:
    img = tmp_path / "plain.jpg"
    Image.fromarray(coded_image(64, 64)).save(img)
    assert _run("--model", str(tiny_onnx), str(img), "--out", str(tmp_path / "o")) == 0
    areas = json.loads((tmp_path / "o" / "plain_areas.json").read_text())
    gsd = areas["gsd_m"]
    assert gsd > 0 and areas["gsd_source"] == "estimated" and areas["hectares_estimated"]
    ha = sum(c["hectares"] for c in areas["classes"])
    assert ha == pytest.approx(64 * 64 * gsd**2 / 10_000)
    printed = capsys.readouterr().out
    low, high = areas["gsd_interval_m"]
    assert low <= gsd <= high
    assert f"GSD: 1 estimated ({gsd:.3g} m); estimated interval {low:.3g}-{high:.3g} m" in printed
    assert "hectares marked ~ rest on the estimate: give --gsd when you know it" in printed
    with open(tmp_path / "o" / "areas.csv", encoding="utf-8") as f:
        assert f.readline().strip() == (
            "image,output,class,pixels,fraction,hectares,gsd_m,gsd_source"
        )
        assert f.readline().strip().endswith(",estimated")


def test_same_command_resumes_other_options_refused(tiny_onnx: Path, tmp_path: Path, capsys):
    img = tmp_path / "a.jpg"
    Image.fromarray(coded_image(20, 20)).save(img)
    out = tmp_path / "out"
    args = ("--model", str(tiny_onnx), str(img), "--out", str(out))
    assert _run(*args) == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("a_*")}
    assert _run(*args) == 0  # resumes: nothing left to do, nothing rewritten
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("a_*")} == before
    capsys.readouterr()
    assert _run(*args, "--overlap", "0.5") == 2
    assert "holds a run with another --overlap; use --overwrite" in capsys.readouterr().err
    assert _run(*args, "--overlap", "0.5", "--overwrite") == 0


def test_folder_of_an_unrecorded_run_is_refused(tiny_onnx: Path, tmp_path: Path, capsys):
    img = tmp_path / "a.jpg"
    Image.fromarray(coded_image(20, 20)).save(img)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a_classes.tif").write_bytes(b"from another tool")
    assert _run("--model", str(tiny_onnx), str(img), "--out", str(out)) == 2
    assert "already holds results (a_classes.tif); use --overwrite" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA"])
def test_greyscale_rgba_palette_pngs(tiny_onnx: Path, tmp_path: Path, mode: str) -> None:
    img = tmp_path / f"{mode}.png"
    Image.fromarray(coded_image(30, 21)).convert(mode).save(img)
    assert _run("--model", str(tiny_onnx), str(img), "--out", str(tmp_path / "o")) == 0
    with rasterio.open(tmp_path / "o" / f"{mode}_classes.tif") as src:
        assert (src.height, src.width) == (30, 21)


@pytest.mark.parametrize("shape", [(1, 40), (40, 1), (3, 3), (33, 65)])
def test_thin_small_and_odd_images(tiny_onnx: Path, tmp_path: Path, shape) -> None:
    img = tmp_path / "thin.png"
    Image.fromarray(coded_image(*shape)).save(img)
    assert _run("--model", str(tiny_onnx), str(img), "--out", str(tmp_path / "o")) == 0
    with rasterio.open(tmp_path / "o" / "thin_classes.tif") as src:
        assert (src.height, src.width) == shape and src.read(1).max() < K


def test_bad_file_in_folder_does_not_stop_the_run(tiny_onnx: Path, tmp_path: Path, capsys):
    inp = tmp_path / "in"
    inp.mkdir()
    Image.fromarray(coded_image(20, 20)).save(inp / "ok.png")
    (inp / "text.jpg").write_text("hello")
    (inp / "empty.png").write_bytes(b"")
    assert _run("--model", str(tiny_onnx), str(inp), "--out", str(tmp_path / "o")) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "text.jpg" in out and "empty.png" in out
    assert (tmp_path / "o" / "ok_classes.tif").is_file()


def test_missing_input_and_empty_folder(tiny_onnx: Path, tmp_path: Path, capsys) -> None:
    assert _run("--model", str(tiny_onnx), str(tmp_path / "nope.tif"), "--out", "o") == 2
    assert "nope.tif: no such file" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert _run("--model", str(tiny_onnx), str(tmp_path / "empty"), "--out", "o") == 2
    assert "holds no images" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_output_folder(tiny_onnx: Path, tmp_path: Path, capsys) -> None:
    img = tmp_path / "a.png"
    Image.fromarray(coded_image(8, 8)).save(img)
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert _run("--model", str(tiny_onnx), str(img), "--out", str(out)) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        out.chmod(0o700)


def test_one_scene_predict_loads_only_what_it_uses(tiny_onnx: Path, tmp_path: Path) -> None:
    """No torch or pyplot; and, for one local scene with no bar shown, neither tqdm nor pystac
    (start-up time: issue 29). urllib.request is not checked: rasterio loads it through boto3
    where boto3 is installed."""
    img = tmp_path / "a.png"
    Image.fromarray(coded_image(16, 16)).save(img)
    code = (
        "import sys; from landcover.cli import main; "
        f"rc = main(['-q', 'predict', '--model', {str(tiny_onnx)!r}, {str(img)!r}, "
        f"'--out', {str(tmp_path / 'o')!r}]); "
        "assert rc == 0, rc; "
        "unused = ('torch', 'matplotlib.pyplot', 'tqdm', 'pystac'); "
        "bad = [m for m in unused if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_truncated_geotiff_and_text_tif_are_listed(tiny_onnx: Path, tmp_path: Path, capsys):
    from tests.inference.conftest import write_geotiff

    inp = tmp_path / "in"
    inp.mkdir()
    full = write_geotiff(inp / "whole.tif", np.moveaxis(coded_image(300, 300), -1, 0))
    data = full.read_bytes()
    (inp / "cut.tif").write_bytes(data[: len(data) // 2])
    (inp / "notes.tif").write_text("not a raster")
    assert _run("--model", str(tiny_onnx), str(inp), "--out", str(tmp_path / "o")) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "cut.tif" in out and "notes.tif" in out
    assert (tmp_path / "o" / "whole_classes.tif").is_file()
    assert not (tmp_path / "o" / "cut_classes.tif").exists()
    assert not list((tmp_path / "o").glob(".*part"))
