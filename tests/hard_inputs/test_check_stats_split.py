"""Issue 7 hard inputs for ``check``, ``stats`` and ``split`` (cases not already covered in
tests/data/test_check.py, test_stats.py and test_split.py; see the lead's report table)."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import landcover.data.stats as stats_mod
from landcover.data.stats import CHART_PNG, PER_IMAGE_CSV, STATS_JSON
from landcover.schema import DEEPGLOBE

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


# --- check ---------------------------------------------------------------------------------


def test_check_two_bands_needs_bands_option(tmp_path: Path, make, cli) -> None:
    make.mask(tmp_path / "x_mask.png")
    image = make.bands(tmp_path / "x_sat.tif", 2)
    code, out, _ = cli("check", tmp_path, "--json")
    [error] = json.loads(out)["errors"]
    assert code == 1
    assert error == {
        "file": "x_sat.tif",
        "kind": "unreadable",
        "problem": "has 2 bands; RGB needs 3 (use --bands to choose)",
    }
    assert image.is_file()
    code, out, _ = cli("check", tmp_path, "--json", "--bands", "1,2,2")
    assert (code, json.loads(out)["errors"]) == (0, [])


def test_check_accepts_modes_depths_and_many_bands_with_notes(
    tmp_path: Path, make, cli, caplog
) -> None:
    for mode in ("L", "RGBA", "P"):
        make.mode_png(tmp_path / f"{mode}_sat.png", mode)
    make.uint16(tmp_path / "u16_sat.tif")
    make.float_nodata(tmp_path / "f32_sat.tif")
    make.bands(tmp_path / "five_sat.tif", 5)
    for stem in ("L", "RGBA", "P", "u16", "f32", "five"):
        make.mask(tmp_path / f"{stem}_mask.png")
    with caplog.at_level(logging.INFO):
        code, out, _ = cli("check", tmp_path, "--json")
    assert (code, json.loads(out)) == (0, {"pairs": 6, "errors": [], "warnings": []})
    notes = caplog.text
    assert "L_sat.png: converted L image to RGB" in notes
    assert "RGBA_sat.png: converted RGBA image to RGB" in notes
    assert "P_sat.png: converted P image to RGB" in notes
    assert "u16_sat.tif: scaled uint16 to 8 bits (2-98 % percentile stretch)" in notes
    assert "f32_sat.tif: scaled float32 to 8 bits" in notes
    assert "five_sat.tif: 5 bands, using the first three as RGB: neither colour" in notes


@pytest.mark.parametrize("shape", [(1, 40), (40, 1), (5, 7), (33, 65)])
def test_check_small_thin_and_odd_sizes(tmp_path: Path, make, cli, shape) -> None:
    make.pair(tmp_path, "odd", *shape)
    code, out, _ = cli("check", tmp_path, "--json")
    assert (code, json.loads(out)) == (0, {"pairs": 1, "errors": [], "warnings": []})


# --- stats ---------------------------------------------------------------------------------


def test_stats_missing_folder(tmp_path: Path, cli, expect_error) -> None:
    code, _, err = cli("stats", tmp_path / "nope", "--out", tmp_path / "o")
    assert code == 2
    expect_error(err, "stats", f"{tmp_path / 'nope'}: no such folder")
    assert not (tmp_path / "o").exists()


BAD_MASKS = {
    "zero_byte": ("zero_byte", "empty file (0 bytes)"),
    "truncated": ("truncated", "not a readable image, or truncated"),
    "text": ("text", "not a readable image"),
    "folder": ("folder", "is a folder, not an image file"),
}


@pytest.mark.parametrize("kind", [*BAD_MASKS, "unreadable"])
def test_stats_bad_mask_is_listed_and_the_rest_counted(
    tmp_path: Path, make, deny, cli, kind: str
) -> None:
    data = tmp_path / "data"
    make.pair(data, "good")
    make.image(data / "bad_sat.png")
    mask = data / "bad_mask.png"
    if kind == "unreadable":
        make.mask(mask)
        deny.open(mask)
        problem = "permission denied"
    else:
        maker, problem = BAD_MASKS[kind]
        getattr(make, maker)(mask)
    out = tmp_path / "out"
    code, stdout, _ = cli("stats", data, "--out", out)
    assert code == 1
    *_, head, line = stdout.splitlines()
    assert head == "1 masks could not be read:"
    assert line.startswith(f"  {mask}: {problem}")
    counted = json.loads((out / STATS_JSON).read_text())
    assert counted["images"] == 1
    assert sum(counted["pixel_counts"].values()) == 32 * 32


def test_stats_palette_mode_masks_off_palette_and_all_ignore(tmp_path: Path, make, cli) -> None:
    data = tmp_path / "data"
    data.mkdir()
    make.image(data / "p_sat.png")
    Image.open(make.mask(data / "p_mask.png")).quantize(8).save(data / "p_mask.png")
    make.image(data / "o_sat.png")
    make.off_palette_mask(data / "o_mask.png")
    make.image(data / "a_sat.png")
    make.all_ignore_mask(data / "a_mask.png")
    code, stdout, _ = cli("stats", data, "--out", tmp_path / "out")
    assert code == 0
    assert (
        "warning: 3 off-palette pixels in 1 masks (counted as ignored; see 'landcover check')"
        in stdout
    )
    counts = json.loads((tmp_path / "out" / STATS_JSON).read_text())["pixel_counts"]
    # p: the palette PNG decodes exactly; o: 3 red pixels become unknown; a: all unknown.
    per_mask = np.bincount(np.arange(32) % 7, minlength=7) * 32
    expected = 2 * per_mask
    expected[0] -= 1  # o's row 0, columns 0-2 were classes 0, 1, 2
    expected[1] -= 1
    expected[2] -= 1
    expected[6] += 3 + 32 * 32
    assert list(counts.values()) == expected.tolist()


def test_stats_odd_sizes_and_unicode_names(tmp_path: Path, make, cli) -> None:
    data = tmp_path / "données brutes"
    for i, shape in enumerate([(1, 40), (40, 1), (5, 7), (33, 65)]):
        make.pair(data, f"tuile n°{i} à Dubaï", *shape)
    code, stdout, _ = cli("stats", data, "--out", tmp_path / "sortie é")
    assert code == 0 and "4 masks counted" in stdout
    with open(tmp_path / "sortie é" / PER_IMAGE_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["image"], int(r["pixels"])) for r in rows) == [
        ("tuile n°0 à Dubaï_sat.png", 40),
        ("tuile n°1 à Dubaï_sat.png", 40),
        ("tuile n°2 à Dubaï_sat.png", 35),
        ("tuile n°3 à Dubaï_sat.png", 33 * 65),
    ]


def test_stats_interrupted_leaves_no_results(
    tmp_path: Path, make, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    for i in range(3):
        make.pair(data, f"t{i}")
    real = stats_mod.mask_counts
    calls: list[int] = []

    def interrupted(rgb: np.ndarray, schema=DEEPGLOBE):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(rgb, schema)

    monkeypatch.setattr(stats_mod, "mask_counts", interrupted)
    out = tmp_path / "out"
    code, _, err = cli("stats", data, "--out", out)
    assert code == 130 and "interrupted" in err
    assert list(out.iterdir()) == []
    for name in (STATS_JSON, PER_IMAGE_CSV, CHART_PNG):
        assert not (out / name).exists()


# --- split ---------------------------------------------------------------------------------


def test_split_missing_and_empty_folder(tmp_path: Path, cli, expect_error) -> None:
    code, _, err = cli("split", tmp_path / "nope", "--out", tmp_path / "s.csv")
    assert code == 2
    expect_error(err, "split", f"{tmp_path / 'nope'}: no such folder")
    (tmp_path / "empty").mkdir()
    code, _, err = cli("split", tmp_path / "empty", "--out", tmp_path / "s.csv")
    assert code == 2
    expect_error(err, "split", f"{tmp_path / 'empty'}: no image/mask pairs found")
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("kind", ["zero_byte", "folder", "unreadable"])
def test_split_leaves_out_unusable_pairs_and_lists_them(
    tmp_path: Path, make, deny, cli, kind: str
) -> None:
    data = tmp_path / "data"
    for i in range(4):
        make.pair(data, f"t{i}")
    make.mask(data / "bad_mask.png")
    image = data / "bad_sat.jpg"
    problem = {
        "zero_byte": "empty file (0 bytes)",
        "folder": "is a folder, not an image file",
        "unreadable": "permission denied",
    }[kind]
    if kind == "unreadable":
        make.image(image)
        deny.open(image)
    else:
        getattr(make, kind)(image)
    out = tmp_path / "split.csv"
    code, stdout, _ = cli("split", data, "--out", out)
    assert code == 1
    assert stdout.splitlines()[-2:] == ["1 files left out of the split:", f"  {image}: {problem}"]
    with open(out, encoding="utf-8") as f:
        files = [row["file"] for row in csv.DictReader(f)]
    assert sorted(files) == [f"t{i}_sat.png" for i in range(4)]


def test_split_all_pairs_unusable_writes_nothing(tmp_path: Path, make, cli, expect_error) -> None:
    data = tmp_path / "data"
    data.mkdir()
    make.mask(data / "a_mask.png")
    make.zero_byte(data / "a_sat.jpg")
    code, _, err = cli("split", data, "--out", tmp_path / "s.csv")
    assert code == 2
    expect_error(err, "split", "none of the 1 pairs can be used", "a_sat.jpg: empty file")
    assert not (tmp_path / "s.csv").exists()


def test_split_output_not_writable_or_a_folder(
    tmp_path: Path, make, deny, cli, expect_error
) -> None:
    data = tmp_path / "data"
    for i in range(3):
        make.pair(data, f"t{i}")
    code, _, err = cli("split", data, "--out", tmp_path)
    assert code == 2
    expect_error(err, "split", f"{tmp_path}: is a folder; --out names the split CSV file")
    ro = tmp_path / "ro"
    ro.mkdir()
    deny.write(ro)
    code, _, err = cli("split", data, "--out", ro / "split.csv")
    assert code == 2
    expect_error(err, "split", f"{ro}: cannot write here")
    assert list(ro.iterdir()) == []


def test_split_unicode_names(tmp_path: Path, make, cli) -> None:
    data = tmp_path / "dossier été"
    for i in range(3):
        make.pair(data, f"tuile n°{i} à Dubaï")
    out = tmp_path / "découpe.csv"
    code, _, _ = cli("split", data, "--out", out, "--val", "0.34", "--test", "0.34")
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "file,split"
    assert sorted(line.split(",")[0] for line in text.splitlines()[1:]) == [
        f"tuile n°{i} à Dubaï_sat.png" for i in range(3)
    ]
