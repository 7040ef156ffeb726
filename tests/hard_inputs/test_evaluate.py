"""Issue 7 hard inputs for ``evaluate`` (cases not already covered in tests/evaluation/; see
the lead's report table), with the tiny ONNX model of ``conftest.models``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def evaluate(cli, models, data: Path, out: Path, *extra: str | Path) -> tuple[int, str, str]:
    """``landcover evaluate`` with the tiny DeepGlobe ONNX and no gallery."""
    args = ("--model", models["onnx"], "--data", data, "--out", out, "--gallery", "0")
    return cli("evaluate", *args, *extra)


@pytest.mark.parametrize(
    ("kind", "name", "problem"),
    [
        ("zero_byte", "x_sat.jpg", "empty file (0 bytes)"),
        ("truncated", "x_sat.jpg", "not a readable image, or truncated"),
        ("truncated", "x_mask.png", "not a readable image, or truncated"),
        ("text", "x_sat.jpg", "not a readable image, or truncated"),
        ("folder", "x_sat.jpg", "is a folder, not an image file"),
        ("unreadable", "x_mask.png", "permission denied"),
        ("two_bands", "x_sat.tif", "has 2 bands; RGB needs 3 (use --bands to choose)"),
    ],
)
def test_bad_pair_is_skipped_listed_and_exit_code_nonzero(
    tmp_path: Path, make, deny, cli, models, kind: str, name: str, problem: str
) -> None:
    data = tmp_path / "data"
    make.pair(data, "good")
    bad = data / name
    partner = data / ("x_mask.png" if "_sat" in name else "x_sat.png")
    (make.mask if partner.name.endswith("_mask.png") else make.image)(partner)
    if kind == "unreadable":
        make.mask(bad)
        deny.open(bad)
    elif kind == "two_bands":
        make.bands(bad, 2)
    else:
        getattr(make, kind)(bad)
    out = tmp_path / "report"
    code, _, err = evaluate(cli, models, data, out)
    assert code == 1
    assert err.splitlines()[0] == "landcover evaluate: 1 pairs skipped:"
    assert err.splitlines()[1].startswith(f"  {bad}: {problem}")
    metrics = json.loads((out / "metrics.json").read_text())
    # 'good' alone is scored: 4 of its 32 columns are 'unknown' (ignored).
    assert (metrics["images"], metrics["pixels"]) == (1, 32 * 28)
    image = name if "_sat" in name else partner.name
    assert [f["image"] for f in metrics["failed"]] == [image]


def test_two_bands_with_bands_option(tmp_path: Path, make, cli, models) -> None:
    data = tmp_path / "data"
    data.mkdir()
    make.bands(data / "x_sat.tif", 2)
    make.mask(data / "x_mask.png")
    code, _, _ = evaluate(cli, models, data, tmp_path / "r", "--bands", "2,2,1")
    assert code == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["images"] == 1


def test_bare_onnx_and_other_schema_models_are_refused(
    tmp_path: Path, make, cli, models, expect_error
) -> None:
    data = tmp_path / "data"
    make.pair(data, "a")
    args = ("--data", data, "--out", tmp_path / "r")
    code, _, err = cli("evaluate", "--model", models["bare_onnx"], *args)
    assert code == 2
    expect_error(err, "evaluate", f"{models['bare_onnx']}: ONNX model has no 'landcover_meta'")
    code, _, err = cli("evaluate", "--model", models["dubai_onnx"], *args, "--schema", "deepglobe")
    assert code == 2
    expect_error(
        err,
        "evaluate",
        f"{models['dubai_onnx']}: model predicts schema 'dubai'",
        "but the data uses 'deepglobe'",
    )
    assert not (tmp_path / "r").exists()


def test_report_folder_not_writable(tmp_path: Path, make, deny, cli, models, expect_error) -> None:
    data = tmp_path / "data"
    make.pair(data, "a")
    ro = tmp_path / "ro"
    ro.mkdir()
    deny.write(ro)
    code, _, err = evaluate(cli, models, data, ro)
    assert code == 2
    expect_error(err, "evaluate", f"{ro}: output folder is not writable")
    assert list(ro.iterdir()) == []


def test_modes_depths_odd_sizes_and_unicode_names_are_scored(
    tmp_path: Path, make, cli, models
) -> None:
    data = tmp_path / "données"
    data.mkdir()
    sizes = {}
    for mode in ("L", "RGBA", "P"):
        make.mode_png(data / f"{mode}_sat.png", mode)
        sizes[f"{mode}_sat.png"] = (32, 32)
    make.uint16(data / "u16_sat.tif")
    make.bands(data / "five_sat.tif", 5)
    sizes.update({"u16_sat.tif": (32, 32), "five_sat.tif": (32, 32)})
    for i, (h, w) in enumerate([(1, 40), (40, 1), (5, 7), (33, 65)]):
        name = f"tuile n°{i} à Dubaï"
        make.image(data / f"{name}_sat.png", h, w)
        sizes[f"{name}_sat.png"] = (h, w)
    for key, (h, w) in sizes.items():
        make.mask(
            data / key.replace("_sat.png", "_mask.png").replace("_sat.tif", "_mask.png"), h, w
        )
    out = tmp_path / "rapport é"
    code, _, _ = evaluate(cli, models, data, out)
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    scored = sum(h * w - (np.arange(w) % 7 == 6).sum() * h for h, w in sizes.values())
    assert (metrics["images"], metrics["pixels"], metrics["failed"]) == (len(sizes), scored, [])


def test_nodata_and_nan_pixels_are_not_scored(tmp_path: Path, make, cli, models, caplog) -> None:
    data = tmp_path / "data"
    data.mkdir()
    make.float_nodata(data / "f_sat.tif")  # rows 0-3 nodata, rows 4-5 NaN
    make.mask(data / "f_mask.png")
    with caplog.at_level(logging.INFO):
        code, _, _ = evaluate(cli, models, data, tmp_path / "r")
    assert code == 0
    assert "f_sat.tif: 192 nodata pixels, not scored" in caplog.text
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["pixels"] == 26 * (32 - 4)  # 26 valid rows, 4 'unknown' columns ignored


def test_off_palette_mask_warns_with_counts(tmp_path: Path, make, cli, models, caplog) -> None:
    data = tmp_path / "data"
    data.mkdir()
    make.image(data / "o_sat.png")
    make.off_palette_mask(data / "o_mask.png")
    with caplog.at_level(logging.WARNING):
        code, _, _ = evaluate(cli, models, data, tmp_path / "r")
    assert code == 0
    assert "o_mask.png: 3 pixels off the deepglobe palette ((255, 0, 0): 3), not scored" in (
        caplog.text
    )
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["pixels"] == 32 * 28 - 3


def test_palette_mode_mask_is_read_as_rgb(tmp_path: Path, make, cli, models) -> None:
    data = tmp_path / "data"
    data.mkdir()
    make.image(data / "p_sat.png")
    Image.open(make.mask(data / "p_mask.png")).quantize(8).save(data / "p_mask.png")
    code, _, _ = evaluate(cli, models, data, tmp_path / "r")
    assert code == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["pixels"] == 32 * 28
