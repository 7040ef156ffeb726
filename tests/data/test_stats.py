"""Tests for landcover.data.stats, the distribution chart and the ``stats`` command."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.cli import main
from landcover.data.pairs import find_pairs
from landcover.data.stats import compute_stats, mask_counts
from landcover.errors import LandcoverError
from landcover.io import atomic
from landcover.io.atomic import atomic_path, prepare_output_dir, prepare_output_file
from landcover.schema import DEEPGLOBE, DUBAI
from landcover.viz.distribution import plot_class_distribution
from tests.helpers import label_grid, write_image, write_mask


def test_mask_counts_exact_with_off_palette() -> None:
    labels = label_grid(32)
    rgb = DEEPGLOBE.decode(labels)
    rgb[0, 0] = (255, 0, 0)  # off-palette -> counted as unknown (6)
    counts, off = mask_counts(rgb, DEEPGLOBE)
    expected = np.bincount(labels.ravel(), minlength=7)
    expected[labels[0, 0]] -= 1
    expected[6] += 1
    assert off == 1 and counts.tolist() == expected.tolist()


def test_compute_stats_totals(dataset) -> None:
    root, labels = dataset
    stats = compute_stats(find_pairs(root).pairs, DEEPGLOBE)
    expected = sum(np.bincount(lab.ravel(), minlength=7) for lab in labels)
    assert stats.pixel_counts.tolist() == expected.tolist()
    assert stats.fractions.sum() == pytest.approx(1.0)
    assert stats.to_dict() == {
        "classes": list(DEEPGLOBE.classes),
        "pixel_counts": dict(zip(DEEPGLOBE.classes, map(int, expected), strict=True)),
        "fractions": dict(
            zip(DEEPGLOBE.classes, (expected / expected.sum()).tolist(), strict=True)
        ),
        "images": 3,
    }


def test_cli_stats_outputs(dataset, tmp_path: Path, capsys) -> None:
    root, labels = dataset
    out = tmp_path / "out"
    assert main(["stats", str(root), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "class_distribution.png",
        "class_stats.json",
        "per_image.csv",
    ]
    doc = json.loads((out / "class_stats.json").read_text())
    assert list(doc) == ["classes", "pixel_counts", "fractions", "images"]
    assert doc["images"] == 3 and doc["pixel_counts"]["urban_land"] == int(
        sum((lab == 0).sum() for lab in labels)
    )
    rows = list(csv.DictReader(open(out / "per_image.csv", encoding="utf-8")))
    assert [r["image"] for r in rows] == ["tile0_sat.jpg", "tile1_sat.jpg", "tile2_sat.jpg"]
    assert rows[0]["pixels"] == "1024" and rows[0]["off_palette"] == "0"
    assert rows[0]["urban_land"] == f"{5 * 32 / 1024:.6f}"
    assert rows[0]["present"] == ";".join(DEEPGLOBE.classes)
    printed = capsys.readouterr().out
    assert "3 masks counted" in printed
    # refused without --overwrite, accepted with it
    assert main(["stats", str(root), "--out", str(out)]) == 2
    assert "already holds results" in capsys.readouterr().err
    assert main(["stats", str(root), "--out", str(out), "--overwrite"]) == 0


def test_stats_bad_mask_does_not_stop_the_run(dataset, tmp_path: Path, capsys) -> None:
    root, _ = dataset
    write_image(root / "bad_sat.jpg")
    (root / "bad_mask.png").write_text("not a png")
    out = tmp_path / "out"
    assert main(["stats", str(root), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "1 masks could not be read:" in printed and "bad_mask.png: not a readable" in printed
    assert json.loads((out / "class_stats.json").read_text())["images"] == 3


def test_stats_all_masks_bad(tmp_path: Path, capsys) -> None:
    write_image(tmp_path / "a_sat.jpg")
    (tmp_path / "a_mask.png").write_bytes(b"")
    assert main(["stats", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "none of the 1 masks could be read" in capsys.readouterr().err
    assert list((tmp_path / "o").iterdir()) == []


def test_stats_dubai_schema(tmp_path: Path, capsys) -> None:
    write_image(tmp_path / "x_sat.jpg")
    write_mask(tmp_path / "x_mask.png", label_grid(32, 6), DUBAI)
    out = tmp_path / "o"
    assert main(["stats", str(tmp_path), "--out", str(out), "--schema", "dubai"]) == 0
    doc = json.loads((out / "class_stats.json").read_text())
    assert doc["classes"] == list(DUBAI.classes) and doc["pixel_counts"]["building"] == 6 * 32


def test_stats_empty_folder_and_output_is_a_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["stats", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "no image/mask pairs found" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    with pytest.raises(LandcoverError, match="output path is a file, not a folder"):
        prepare_output_dir(tmp_path / "file", ["a.json"])


def test_output_folder_not_writable(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    if os.geteuid() != 0:
        out.chmod(0o500)
    else:  # root writes everywhere: simulate a read-only folder
        monkeypatch.setattr(atomic.os, "access", lambda path, mode: False)
    with pytest.raises(LandcoverError, match="not writable") as e:
        prepare_output_dir(out, ["a.json"])
    assert str(e.value).startswith(str(out))


def test_prepare_output_file_refusals(tmp_path: Path) -> None:
    with pytest.raises(LandcoverError, match="is a folder; give the name of the CSV to write"):
        prepare_output_file(tmp_path, "the CSV")
    with pytest.raises(LandcoverError, match="output folder does not exist") as e:
        prepare_output_file(tmp_path / "nope" / "a.csv", "the CSV")
    assert str(e.value).startswith(str(tmp_path / "nope"))
    done = tmp_path / "a.csv"
    done.write_text("x")
    with pytest.raises(LandcoverError, match="already exists; use --overwrite"):
        prepare_output_file(done, "the CSV")
    assert prepare_output_file(done, "the CSV", overwrite=True) == done
    assert done.read_text() == "x"  # only checked, never touched


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_chart_has_dark_edges(tmp_path: Path) -> None:
    path = plot_class_distribution(
        DEEPGLOBE.classes, [0.1, 0.1, 0.1, 0.1, 0.1, 0.5, 0.0], DEEPGLOBE.colors, tmp_path / "c.png"
    )
    img = np.asarray(Image.open(path).convert("RGB"))
    assert img[0, 0].tolist() == [255, 255, 255]  # white page
    # the white barren_land bar (half of all pixels) is outlined in dark grey
    assert (np.abs(img.astype(int) - 0x33).max(axis=2) <= 8).sum() > 500


def test_atomic_files_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "a.json") as tmp:
            tmp.write_text("{}")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
