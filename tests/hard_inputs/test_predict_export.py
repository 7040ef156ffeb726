"""Issue 7 hard inputs for ``predict`` and ``export`` (cases not already covered in
tests/inference/; see the lead's report table). Models: a width-4 seed U-Net and its ONNX."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import rasterio

from landcover.io.raster import NODATA_LABEL

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

OUTPUTS = (
    "_classes.tif",
    "_classes.qml",
    "_classes.tif.aux.xml",
    "_color.png",
    "_overlay.jpg",
    "_areas.json",
)


def outputs_of(folder: Path, stem: str) -> list[str]:
    """Names of the result files of ``stem`` in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f"{stem}_"))


def no_temporaries(folder: Path) -> bool:
    """True when no temporary file is left in ``folder`` (the run records, ``.landcover/``,
    are no temporaries)."""
    return not [p for p in folder.rglob("*") if ".tmp" in p.name]


# --- predict: folder runs with bad files -----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "problem"),
    [
        ("truncated", "cut.jpg", "not a readable image, or truncated"),
        ("truncated", "cut.png", "not a readable image, or truncated"),
        ("folder", "dir.jpg", "is a folder, not an image file"),
        ("unreadable", "locked.png", "permission denied"),
        ("two_bands", "two.tif", "has 2 bands; RGB needs 3 (use --bands to choose)"),
    ],
)
def test_predict_folder_lists_bad_file_and_goes_on(
    tmp_path: Path, make, deny, cli, models, kind: str, name: str, problem: str
) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    make.image(inp / "good.png")
    bad = inp / name
    if kind == "unreadable":
        make.image(bad)
        deny.open(bad)
    elif kind == "two_bands":
        make.bands(bad, 2)
    else:
        getattr(make, kind)(bad)
    out = tmp_path / "out"
    code, stdout, _ = cli("predict", "--model", models["onnx"], inp, "--out", out)
    assert code == 1
    *_, failed, summary = stdout.splitlines()
    assert failed.startswith(f"FAILED {bad}: {problem}")
    assert summary == "1 of 2 inputs failed"
    assert outputs_of(out, "good") == sorted(f"good{s}" for s in OUTPUTS)
    assert outputs_of(out, bad.stem) == []
    assert no_temporaries(out)


def test_predict_two_bands_with_bands_option(tmp_path: Path, make, cli, models) -> None:
    image = make.bands(tmp_path / "two.tif", 2)
    out = tmp_path / "out"
    code, _, _ = cli("predict", "--model", models["onnx"], image, "--out", out, "--bands", "1,2,2")
    assert code == 0
    with rasterio.open(out / "two_classes.tif") as src:
        assert (src.width, src.height) == (32, 32) and src.read(1).max() < 7


def test_predict_float_nodata_nan_and_five_bands_with_notes(
    tmp_path: Path, make, cli, models, caplog
) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    make.float_nodata(inp / "f32.tif")
    make.bands(inp / "five.tif", 5)
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        code, _, _ = cli("predict", "--model", models["onnx"], inp, "--out", out)
    assert code == 0
    assert "f32.tif: scaled float32 to 8 bits (2-98 % percentile stretch)" in caplog.text
    assert "five.tif: 5 bands, using the first three as RGB: neither colour" in caplog.text
    with rasterio.open(out / "f32_classes.tif") as src:
        labels, nodata = src.read(1), src.nodata
    assert nodata == NODATA_LABEL
    assert (labels[:6] == NODATA_LABEL).all()  # rows 0-3 nodata, rows 4-5 NaN
    assert (labels[6:] < 7).all()
    areas = json.loads((out / "f32_areas.json").read_text())
    assert areas["valid_pixels"] == 26 * 32


# --- predict: models ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("bare_onnx", "ONNX model has no 'landcover_meta' metadata; export it with"),
        ("junk.onnx", "not a readable ONNX model"),
        ("empty.pt", "not a readable checkpoint"),
        ("missing.onnx", "no such model file"),
    ],
)
def test_predict_refuses_bad_model_files(
    tmp_path: Path, make, cli, models, expect_error, model: str, problem: str
) -> None:
    if model in models:
        path = models[model]
    else:
        path = tmp_path / model
        if model == "junk.onnx":
            make.corrupted_checkpoint(path)
        elif model == "empty.pt":
            make.zero_byte(path)
    image = make.image(tmp_path / "a.png")
    code, _, err = cli("predict", "--model", path, image, "--out", tmp_path / "out")
    assert code == 2
    expect_error(err, "predict", f"{path}: {problem}")
    assert not (tmp_path / "out").exists()


def test_predict_ctrl_c_keeps_only_complete_files(
    tmp_path: Path, make, cli, models, monkeypatch: pytest.MonkeyPatch
) -> None:
    from landcover.batch import scene as predict_mod

    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("a", "b", "c"):
        make.image(inp / f"{name}.png", 40, 40)
    real = predict_mod.write_overlay_jpg
    done: list[str] = []

    def interrupted(path, *args, **kwargs):
        if Path(path).name == "b_overlay.jpg":
            raise KeyboardInterrupt  # after b's GeoTIFF and PNG, before its overlay
        done.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(predict_mod, "write_overlay_jpg", interrupted)
    out = tmp_path / "out"
    code, _, err = cli("predict", "--model", models["onnx"], inp, "--out", out)
    assert code == 130
    assert err.strip() == "landcover predict: interrupted; finished outputs are kept"
    assert outputs_of(out, "a") == sorted(f"a{s}" for s in OUTPUTS)
    # each one complete: the class raster with its styles, the colour PNG
    assert outputs_of(out, "b") == [
        "b_classes.qml",
        "b_classes.tif",
        "b_classes.tif.aux.xml",
        "b_color.png",
    ]
    with rasterio.open(out / "b_classes.tif") as src:
        assert src.read(1).shape == (40, 40)
    # c was in flight beside b (two scenes at a time): finished whole or stopped before its
    # next block with nothing left, and never recorded as done (the next run maps it again)
    assert outputs_of(out, "c") in ([], sorted(f"c{s}" for s in OUTPUTS))
    assert sorted(p.name for p in (out / ".landcover" / "done").iterdir()) == ["a.json"]
    assert no_temporaries(out)


# --- export -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("missing.pt", "no such checkpoint file"),
        ("folder.pt", "is a folder, not a checkpoint file"),
        ("empty.pt", "not a readable checkpoint"),
        ("junk.ckpt", "not a readable checkpoint (UnpicklingError"),
        ("onnx", "is already an ONNX model; export needs a checkpoint"),
    ],
)
def test_export_refuses_bad_checkpoints(
    tmp_path: Path, make, cli, models, expect_error, source: str, problem: str
) -> None:
    path = models.get(source, tmp_path / source)
    if source == "folder.pt":
        make.folder(path)
    elif source == "empty.pt":
        make.zero_byte(path)
    elif source == "junk.ckpt":
        make.corrupted_checkpoint(path)
    out = tmp_path / "m.onnx"
    code, _, err = cli("export", path, "--onnx", out)
    assert code == 2
    expect_error(err, "export", f"{path}: {problem}")
    assert not out.exists() and no_temporaries(tmp_path)


def test_export_refuses_existing_file_unless_overwrite(
    tmp_path: Path, cli, models, expect_error
) -> None:
    out = tmp_path / "m.onnx"
    out.write_text("mine")
    code, _, err = cli("export", models["ckpt"], "--onnx", out)
    assert code == 2
    expect_error(err, "export", f"{out}: already exists; use --overwrite to replace it")
    assert out.read_text() == "mine"
    code, stdout, _ = cli("export", models["ckpt"], "--onnx", out, "--overwrite")
    assert code == 0 and stdout.strip() == f"wrote {out}"
    assert out.read_bytes()[:2] != b"mi" and no_temporaries(tmp_path)


@pytest.mark.parametrize("where", ["folder", "missing", "not_writable"])
def test_export_refuses_bad_destinations(
    tmp_path: Path, deny, cli, models, expect_error, where: str
) -> None:
    if where == "folder":
        out, named, problem = tmp_path, tmp_path, "is a folder; give the name of the ONNX file"
    elif where == "missing":
        out, named, problem = tmp_path / "nope" / "m.onnx", tmp_path / "nope", "does not exist"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        deny.write(ro)
        out, named, problem = ro / "m.onnx", ro, "output folder is not writable"
    code, _, err = cli("export", models["ckpt"], "--onnx", out)
    assert code == 2
    expect_error(err, "export", f"{named}: ", problem)
    assert not (tmp_path / "m.onnx").exists()


def test_export_interrupted_leaves_nothing(
    tmp_path: Path, cli, models, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnx

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx.checker, "check_model", interrupted)  # after the graph is written
    out = tmp_path / "m.onnx"
    code, _, err = cli("export", models["ckpt"], "--onnx", out)
    assert code == 130 and "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_export_other_schema_keeps_its_classes(tmp_path: Path, cli, models) -> None:
    from landcover.inference.predictor import load_predictor

    out = tmp_path / "dubaï model.onnx"
    code, _, _ = cli("export", models["dubai_ckpt"], "--onnx", out)
    assert code == 0
    assert load_predictor(out).meta.schema.name == "dubai"
