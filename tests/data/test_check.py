"""Tests for landcover.data.check and the ``check`` command, bad inputs included (issue 7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.cli import main
from landcover.data.check import check_dataset, format_report
from landcover.errors import LandcoverError
from landcover.io import pictures
from landcover.schema import DEEPGLOBE, DUBAI
from tests.helpers import label_grid, write_dataset, write_image, write_mask


def run_json(args: list[str], capsys) -> tuple[int, dict]:
    code = main(["check", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_clean_dataset(dataset, capsys) -> None:
    root, _ = dataset
    code, report = run_json([str(root)], capsys)
    assert (code, report) == (0, {"pairs": 3, "errors": [], "warnings": []})
    assert main(["check", str(root)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[1].split() == ["image/mask", "pairs", "3", "ok"]
    assert "OK: 3 pairs, 0 errors, 0 warnings" in table


def test_missing_path_and_empty_folder(tmp_path: Path, capsys) -> None:
    assert main(["check", str(tmp_path / "nope")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"landcover check: error: {tmp_path / 'nope'}: no such folder"
    )
    (tmp_path / "empty").mkdir()
    assert main(["check", str(tmp_path / "empty")]) == 2
    assert "empty: no images found" in capsys.readouterr().err


def broken_dataset(root: Path) -> None:
    write_dataset(root, n=1, stem="good")
    write_mask(root / "zero_mask.png", label_grid())
    (root / "zero_sat.jpg").write_bytes(b"")
    write_mask(root / "text_mask.png", label_grid())
    (root / "text_sat.jpg").write_text("this is not a JPEG\n")
    write_mask(root / "dir_mask.png", label_grid())
    (root / "dir_sat.jpg").mkdir()
    write_image(root / "trunc_sat.jpg")
    data = (root / "trunc_sat.jpg").read_bytes()
    (root / "trunc_sat.jpg").write_bytes(data[: len(data) // 2])
    write_mask(root / "trunc_mask.png", label_grid())
    write_image(root / "pngtrunc_sat.jpg")
    write_mask(root / "pngtrunc_mask.png", label_grid())
    data = (root / "pngtrunc_mask.png").read_bytes()
    (root / "pngtrunc_mask.png").write_bytes(data[: len(data) - 30])
    write_image(root / "size_sat.jpg", 32, 48)
    write_mask(root / "size_mask.png", label_grid(32))


def test_bad_files_are_errors_naming_the_file(tmp_path: Path, capsys) -> None:
    root = tmp_path / "d"
    broken_dataset(root)
    code, report = run_json([str(root)], capsys)
    assert code == 1
    assert report["pairs"] == 7
    errors = {e["file"]: (e["kind"], e["problem"]) for e in report["errors"]}
    assert errors["zero_sat.jpg"] == ("unreadable", "empty file (0 bytes)")
    assert errors["dir_sat.jpg"] == ("unreadable", "is a folder, not an image file")
    assert errors["text_sat.jpg"][1].startswith("not a readable image")
    assert errors["trunc_sat.jpg"][1].startswith("not a readable image, or truncated")
    assert errors["pngtrunc_mask.png"][1].startswith("not a readable image, or truncated")
    assert errors["size_sat.jpg"] == (
        "size_mismatch",
        "image is 48x32 but its mask size_mask.png is 32x32",
    )
    assert len(errors) == 6 and report["warnings"] == []
    assert main(["check", str(root)]) == 1
    table = capsys.readouterr().out
    assert "unreadable or truncated files      5  error    " in table
    assert "FAILED: 7 pairs, 6 errors, 0 warnings" in table


def test_off_palette_and_all_ignore_are_warnings(tmp_path: Path, capsys) -> None:
    root = tmp_path / "d"
    write_dataset(root, n=1)
    write_image(root / "odd_sat.jpg")
    rgb = DEEPGLOBE.decode(label_grid())
    rgb[0, :3] = (255, 0, 0)
    rgb[1, 0] = (255, 0, 0)
    rgb[2, 0] = (100, 20, 0)  # thresholds to black = unknown: not off-palette
    rgb[3, 0] = (200, 0, 10)
    Image.fromarray(rgb).save(root / "odd_mask.png")
    write_image(root / "blank_sat.jpg")
    write_mask(root / "blank_mask.png", np.full((32, 32), 6, np.uint8))
    code, report = run_json([str(root)], capsys)
    assert code == 0 and report["errors"] == []
    warnings = {w["file"]: w for w in report["warnings"]}
    odd = warnings["odd_mask.png"]
    assert (odd["kind"], odd["pixels"], odd["colors"]) == (
        "off_palette",
        5,
        [[255, 0, 0, 4], [200, 0, 10, 1]],
    )
    assert (
        odd["problem"] == "5 off-palette pixels ((255,0,0) x4, (200,0,10) x1), counted as ignored"
    )
    assert warnings["blank_mask.png"]["problem"] == "every pixel is 'unknown' (ignored)"


def test_unpaired_files_are_warnings(dataset) -> None:
    root, _ = dataset
    write_image(root / "lonely_sat.jpg")
    write_mask(root / "orphan_mask.png", label_grid())
    report = check_dataset(root, DEEPGLOBE)
    assert report.ok and report.pairs == 3
    assert [(f.kind, f.path.name) for f in report.warnings] == [
        ("unpaired_image", "lonely_sat.jpg"),
        ("unpaired_mask", "orphan_mask.png"),
    ]


def test_no_pairs_is_an_error(tmp_path: Path) -> None:
    write_image(tmp_path / "a_sat.jpg")
    report = check_dataset(tmp_path, DEEPGLOBE)
    assert not report.ok and report.errors[0].kind == "no_pairs"


def test_names_with_spaces_and_non_ascii(tmp_path: Path, capsys) -> None:
    root = tmp_path / "dossier été"
    write_dataset(root, n=2, stem="tuile n°{i} à Dubaï")
    code, report = run_json([str(root)], capsys)
    assert (code, report["pairs"]) == (0, 2)
    (root / "tuile n°0 à Dubaï_sat.jpg").write_bytes(b"")
    code, report = run_json([str(root)], capsys)
    assert code == 1 and report["errors"][0]["file"] == "tuile n°0 à Dubaï_sat.jpg"


def test_images_and_masks_folders_and_globs(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    write_image(tmp_path / "images" / "a.png")
    write_mask(tmp_path / "masks" / "a.png", label_grid())
    assert check_dataset(tmp_path, DEEPGLOBE).pairs == 1
    assert check_dataset(tmp_path, DEEPGLOBE, "images/*.png", "masks/*.png").pairs == 1


def test_dubai_schema_nearest(tmp_path: Path) -> None:
    write_image(tmp_path / "x_sat.jpg")
    rgb = DUBAI.decode(label_grid(32, 6))
    rgb[0, 0] = (62, 18, 150)  # anti-aliased building: nearest, not off-palette
    Image.fromarray(rgb).save(tmp_path / "x_mask.png")
    assert check_dataset(tmp_path, DUBAI).findings == []
    rgb[1, 1] = (0, 0, 0)  # far from every Dubai colour: off-palette
    Image.fromarray(rgb).save(tmp_path / "x_mask.png")
    [warning] = check_dataset(tmp_path, DUBAI).findings
    assert (warning.kind, warning.details["colors"]) == ("off_palette", [[0, 0, 0, 1]])


def test_unreadable_permissions(dataset, monkeypatch) -> None:
    root, _ = dataset
    target = root / "tile1_sat.jpg"
    if os.geteuid() != 0:
        target.chmod(0)
    else:  # root reads everything: simulate the refusal where the file is opened
        real_open = open

        def fake_open(path, *args, **kwargs):
            if Path(path) == target:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(pictures, "open", fake_open, raising=False)
    report = check_dataset(root, DEEPGLOBE)
    assert [(f.path, f.problem) for f in report.errors] == [(target, "permission denied")]


def test_format_report_limits_rows(tmp_path: Path) -> None:
    for i in range(4):
        write_image(tmp_path / f"i{i}_sat.jpg")
    report = check_dataset(tmp_path, DEEPGLOBE)
    text = format_report(report, limit=2)
    assert "... and 2 more (see --json)" in text
    assert "images without a mask              4  warning  i0_sat.jpg: no matching mask" in text


def test_mismatched_globs(tmp_path: Path) -> None:
    with pytest.raises(LandcoverError, match="give both"):
        check_dataset(tmp_path, DEEPGLOBE, image_glob="*.jpg")
