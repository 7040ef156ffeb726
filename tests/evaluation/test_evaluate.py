"""``evaluate_pairs`` and ``landcover evaluate`` on synthetic data with an oracle model."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.cli import main
from landcover.data.pairs import find_pairs
from landcover.evaluation.evaluate import evaluate_pairs
from landcover.schema import DUBAI
from tests.evaluation.conftest import (
    H,
    OraclePredictor,
    W,
    oracle_predict,
    synthetic_labels,
    write_pair,
)

pytest.importorskip("scipy")


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_report_has_exact_scores_from_one_accumulated_matrix(data_dir, oracle, tmp_path) -> None:
    out = tmp_path / "report"
    pairs = find_pairs(data_dir).pairs
    result = evaluate_pairs(oracle, pairs, out, gallery=2, predict=oracle_predict, progress=False)
    m = json.loads((out / "metrics.json").read_text())
    # 4800 scored pixels, 480 of them (true water in 'b') predicted forest.
    assert (m["images"], m["pixels"]) == (3, 4800)
    assert m["pixel_accuracy"] == pytest.approx(0.9)
    assert m["iou"] == {
        "urban_land": 1.0,
        "agriculture_land": 1.0,
        "rangeland": None,  # absent from truth and prediction: not in the mean
        "forest_land": 0.75,
        "water": 0.0,
        "barren_land": 1.0,
    }
    assert m["miou"] == pytest.approx(3.75 / 5)
    assert m["recall"]["water"] == 0.0 and m["precision"]["forest_land"] == 0.75
    assert result.confusion[4, 3] == 480 and result.confusion[6].sum() == 0

    conf = read_csv(out / "confusion.csv")
    assert conf[4]["truth\\predicted"] == "water" and conf[4]["forest_land"] == "480"

    rows = {r["image"]: r for r in read_csv(out / "per_image.csv")}
    assert rows["b_sat.png"]["pixel_accuracy"] == "0.750000"
    assert rows["b_sat.png"]["miou"] == "0.375000"
    assert (rows["b_sat.png"]["confused_true"], rows["b_sat.png"]["confused_pred"]) == (
        "water",
        "forest_land",
    )
    assert rows["c_sat.png"]["pixels"] == str(H * W // 2)

    flags = read_csv(out / "flags.csv")
    assert [(f["image"], f["predicted_class"], f["mask_class"]) for f in flags] == [
        ("b_sat.png", "forest_land", "water")
    ]
    assert float(flags[0]["area_fraction"]) == pytest.approx(0.25)

    gallery = out / "gallery"
    assert sorted(p.name for p in (gallery / "worst").iterdir()) == [
        "01_b_sat.png",
        "02_a_sat.png",
    ]
    assert len(list((gallery / "best").iterdir())) == 2
    assert len(list((gallery / "random").iterdir())) == 2
    assert [p.name for p in (gallery / "flagged").iterdir()] == ["01_b_sat.png"]
    assert Image.open(out / "confusion.png").format == "PNG"
    assert not list(out.rglob(".*tmp*"))
    assert "mIoU" in result.summary() and "0.7500" in result.summary()


def test_cli_writes_report_and_refuses_to_overwrite(data_dir, oracle_cli, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["evaluate", "--data", str(data_dir), "--out", str(out), "--gallery", "1"]) == 0
    printed = capsys.readouterr().out
    assert "water" in printed and "pixel accuracy" in printed and "1 images flagged" in printed
    (out / "gallery" / "worst" / "99_stale.png").write_bytes(b"x")

    assert main(["evaluate", "--data", str(data_dir), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out}: output folder already holds results (confusion.csv" in err
    assert "--overwrite" in err

    args = ["evaluate", "--data", str(data_dir), "--out", str(out), "--overwrite"]
    assert main([*args, "--gallery", "0"]) == 0
    assert not (out / "gallery").exists()  # the old galleries went with the old report
    assert json.loads((out / "metrics.json").read_text())["images"] == 3


def test_size_mismatch_pair_is_skipped_listed_and_exit_code_nonzero(
    data_dir, oracle_cli, tmp_path, capsys
) -> None:
    img, _ = synthetic_labels()["a"]
    write_pair(data_dir, "odd", img, np.zeros((H, W + 2), np.uint8), "png")
    out = tmp_path / "r"
    assert main(["evaluate", "--data", str(data_dir), "--out", str(out), "--gallery", "0"]) == 1
    err = capsys.readouterr().err
    assert f"{data_dir / 'odd_mask.png'}: mask is 50x40 but its image odd_sat.png is 48x40" in err
    m = json.loads((out / "metrics.json").read_text())
    assert m["images"] == 3 and m["failed"][0]["image"] == "odd_sat.png"


def test_all_ignore_mask_is_kept_unscored(data_dir, oracle, tmp_path) -> None:
    img, _ = synthetic_labels()["a"]
    write_pair(data_dir, "d", img, np.full((H, W), 6, np.uint8), "png")
    result = evaluate_pairs(
        oracle,
        find_pairs(data_dir).pairs,
        tmp_path / "r",
        predict=oracle_predict,
        progress=False,
        gallery=0,
    )
    row = next(r for r in result.images if r.name == "d_sat.png")
    assert row.pixels == 0 and np.isnan(row.miou)
    assert result.scores.pixels == 4800 and not result.failed
    csv_row = next(
        r for r in read_csv(tmp_path / "r" / "per_image.csv") if r["image"] == "d_sat.png"
    )
    assert csv_row["pixel_accuracy"] == "" and csv_row["miou"] == ""


def test_missing_and_empty_data_folder(oracle_cli, tmp_path, capsys) -> None:
    missing = tmp_path / "nope"
    assert main(["evaluate", "--data", str(missing), "--out", str(tmp_path / "r")]) == 2
    assert f"landcover evaluate: error: {missing}: no such folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["evaluate", "--data", str(empty), "--out", str(tmp_path / "r")]) == 2
    assert f"{empty}: no image/mask pairs found" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_data_of_another_schema_is_refused(data_dir, oracle_cli, tmp_path, capsys) -> None:
    out = tmp_path / "r"
    args = ["evaluate", "--data", str(data_dir), "--out", str(out)]
    assert main([*args, "--schema", "dubai"]) == 2
    err = capsys.readouterr().err
    assert "model predicts schema 'deepglobe'" in err and "data uses 'dubai'" in err

    dubai = tmp_path / "dubai"
    dubai.mkdir()
    labels = np.zeros((H, W), np.uint8)
    Image.fromarray(DUBAI.decode(labels)).save(dubai / "t_sat.png")
    Image.fromarray(DUBAI.decode(labels)).save(dubai / "t_mask.png")
    assert main(["evaluate", "--data", str(dubai), "--out", str(tmp_path / "r2")]) == 2
    err = capsys.readouterr().err
    assert "none of the 1 pairs could be evaluated" in err
    assert (
        f"{dubai / 't_mask.png'}: 100% of the mask's colours are far from the 'deepglobe' palette"
        in err
    )


def test_interrupted_run_leaves_no_report(data_dir, oracle, tmp_path) -> None:
    calls = []

    def predict(predictor, image, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return oracle_predict(predictor, image)

    out = tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        evaluate_pairs(oracle, find_pairs(data_dir).pairs, out, predict=predict, progress=False)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "broken.pt",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("torch") is None,
                reason="a .pt model needs PyTorch: pip install 'landcover[train]'",
            ),
        ),
        "broken.onnx",
    ],
)
def test_corrupted_model_file(name: str, data_dir, tmp_path, capsys) -> None:
    model = tmp_path / name
    model.write_bytes(b"not a model at all")
    args = ["evaluate", "--model", str(model), "--data", str(data_dir)]
    assert main([*args, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert f"landcover evaluate: error: {model}: not a readable" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_tiny_checkpoint_end_to_end(tiny_checkpoint, tmp_path, capsys) -> None:
    """A real (untrained) model, predicted by the real engine, on JPEG DeepGlobe-style pairs."""
    from tests.helpers import write_image, write_mask

    data = tmp_path / "dg"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(44, 56), (64, 40)]):
        write_image(data / f"{i}_sat.jpg", h, w, seed=i)
        write_mask(data / f"{i}_mask.png", rng.integers(0, 7, (h, w)).astype(np.uint8))
    out = tmp_path / "r"
    args = ["evaluate", "--model", str(tiny_checkpoint), "--data", str(data), "--out", str(out)]
    assert main([*args, "--gallery", "1", "--flag-threshold", "0.1"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    cm = np.array([[int(v) for v in list(r.values())[1:]] for r in read_csv(out / "confusion.csv")])
    assert cm.shape == (7, 7)
    assert (
        m["pixels"]
        == cm[:6].sum()
        == int(
            np.count_nonzero(
                np.concatenate(
                    [
                        np.asarray(Image.open(data / f"{i}_mask.png")).reshape(-1, 3).any(1)
                        for i in range(2)
                    ]
                )
            )
        )
    )
    assert m["pixel_accuracy"] == pytest.approx(np.trace(cm[:6, :6]) / cm[:6].sum(), abs=1e-6)
    assert len(read_csv(out / "per_image.csv")) == 2
    assert "mIoU" in capsys.readouterr().out


def test_split_subset_selects_pairs(data_dir, oracle_cli, tmp_path) -> None:
    from landcover.data.split import write_split

    split = tmp_path / "split.csv"
    write_split(split, {"a_sat.png": "train", "b_sat.png": "test", "c_sat.png": "test"})
    out = tmp_path / "r"
    args = ["evaluate", "--data", str(data_dir), "--out", str(out), "--gallery", "0"]
    assert main([*args, "--split", str(split), "--subset", "test"]) == 0
    assert [r["image"] for r in read_csv(out / "per_image.csv")] == ["b_sat.png", "c_sat.png"]
    assert json.loads((out / "metrics.json").read_text())["pixels"] == 1920 + 960


def test_output_path_that_is_a_file_is_refused(data_dir, oracle_cli, tmp_path, capsys) -> None:
    out = tmp_path / "report.txt"
    out.write_text("mine")
    assert main(["evaluate", "--data", str(data_dir), "--out", str(out)]) == 2
    assert f"{out}: output path is a file" in capsys.readouterr().err
    assert out.read_text() == "mine"


def test_unknown_gsd_is_estimated_per_image_as_predict_does(
    data_dir: Path, oracle: OraclePredictor, tmp_path: Path
) -> None:
    from landcover.data.pairs import find_pairs
    from landcover.inference.gsd import estimate_gsd_array
    from landcover.io.images import read_rgb

    seen: list[float | None] = []

    def recording(predictor, image, *, gsd_m=None, **kw):  # noqa: ANN001, ANN202
        seen.append(gsd_m)
        return oracle_predict(predictor, image, **kw)

    pairs = find_pairs(data_dir).pairs
    result = evaluate_pairs(oracle, pairs, tmp_path / "r", predict=recording, progress=False)
    expected = [estimate_gsd_array(read_rgb(p.image)).metres for p in pairs]
    assert seen == pytest.approx(expected) and all(g > 0 for g in seen)
    metrics = json.loads((result.out / "metrics.json").read_text())
    assert metrics["gsd_m"].startswith("estimated per image, ")
    seen.clear()
    evaluate_pairs(oracle, pairs, tmp_path / "n", predict=recording, progress=False, estimate=False)
    assert seen == [None, None, None]


def test_evaluate_overlap_is_range_checked_like_predict(data_dir: Path, tmp_path: Path, capsys):
    for command in ("evaluate", "predict"):
        args = ["--data", str(data_dir)] if command == "evaluate" else [str(data_dir)]
        with pytest.raises(SystemExit):
            main([command, *args, "--out", str(tmp_path / command), "--overlap", "25"])
        assert "must be in [0, 1), got 25 (a fraction, not a percent: 0.25)" in (
            capsys.readouterr().err
        )
