"""Tests for landcover.data.split and the ``split`` command."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from landcover.cli import main
from landcover.data.pairs import Pair, find_pairs
from landcover.data.split import (
    read_groups,
    read_split,
    select_split,
    split_counts,
    split_pairs,
    write_split,
)
from landcover.errors import LandcoverError


def make_pairs(n: int, root: Path = Path("/d")) -> list[Pair]:
    return [
        Pair(root / f"t{i:03d}_sat.jpg", root / f"t{i:03d}_mask.png", f"t{i:03d}_sat.jpg")
        for i in range(n)
    ]


def test_split_fractions_exact_and_reproducible() -> None:
    pairs = make_pairs(100)
    a = split_pairs(pairs, val=0.15, test=0.15, seed=0)
    assert split_counts(a) == {"train": 70, "val": 15, "test": 15}
    assert set(a) == {p.key for p in pairs}
    assert split_pairs(list(reversed(pairs)), 0.15, 0.15, seed=0) == a
    assert split_pairs(pairs, 0.15, 0.15, seed=1) != a


def test_split_keeps_groups_together() -> None:
    pairs = make_pairs(60)
    # groups of 1..4 images; every 7th file has no group
    groups = {p.key: f"g{i // (1 + i % 4)}" for i, p in enumerate(pairs) if i % 7}
    m = split_pairs(pairs, 0.2, 0.1, seed=3, groups=groups)
    where: dict[str, set[str]] = {}
    for key, gid in groups.items():
        where.setdefault(gid, set()).add(m[key])
    assert all(len(s) == 1 for s in where.values())
    counts = split_counts(m)
    assert abs(counts["val"] - 12) <= 3 and abs(counts["test"] - 6) <= 3
    assert sum(counts.values()) == 60


def test_split_small_dataset_gets_one_image_per_split() -> None:
    assert split_counts(split_pairs(make_pairs(3), 0.1, 0.1)) == {"train": 1, "val": 1, "test": 1}
    assert split_counts(split_pairs(make_pairs(5), 0, 0)) == {"train": 5, "val": 0, "test": 0}


@pytest.mark.parametrize(("val", "test"), [(-0.1, 0.1), (0.5, 0.5), (1.0, 0.0)])
def test_split_bad_fractions(val: float, test: float) -> None:
    with pytest.raises(LandcoverError, match="must be in"):
        split_pairs(make_pairs(10), val, test)


def test_read_groups_relative_to_csv(tmp_path: Path) -> None:
    data = tmp_path / "set" / "quads"
    pairs = make_pairs(4, data)
    data.mkdir(parents=True)
    with open(tmp_path / "set" / "tiles.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image", "deepglobe_id"])
        w.writerows([["quads/t000_sat.jpg", "7"], ["quads/t001_sat.jpg", "7"]])
        w.writerows([["quads/t002_sat.jpg", ""], ["other/x_sat.jpg", "9"]])
    groups = read_groups("tiles.csv:deepglobe_id", pairs, data)
    assert groups == {"t000_sat.jpg": "7", "t001_sat.jpg": "7"}
    with pytest.raises(LandcoverError, match="no column 'tile'") as e:
        read_groups("tiles.csv:tile", pairs, data)
    assert "tiles.csv" in str(e.value)
    with pytest.raises(LandcoverError, match="no row names any image"):
        read_groups(f"{tmp_path / 'set' / 'tiles.csv'}:deepglobe_id", make_pairs(2), data)
    with pytest.raises(LandcoverError, match="FILE.csv:COLUMN"):
        read_groups("tiles.csv", pairs, data)
    with pytest.raises(LandcoverError, match="no such file"):
        read_groups("nope.csv:id", pairs, data)


def test_write_read_split_round_trip(tmp_path: Path) -> None:
    m = split_pairs(make_pairs(20), seed=5)
    m["dir with space/é_sat.jpg"] = "val"
    path = tmp_path / "split.csv"
    write_split(path, m)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "file,split"
    assert read_split(path) == m
    assert [p.name for p in tmp_path.iterdir()] == ["split.csv"]  # no temporary left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,subset\na.jpg,train\n", "header 'file,split'"),
        ("file,split\na.jpg,training\n", "line 2"),
        ("", "header"),
    ],
)
def test_read_split_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(LandcoverError, match=message) as e:
        read_split(path)
    assert str(e.value).startswith(str(path))


def test_read_split_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LandcoverError, match="no such split file"):
        read_split(tmp_path / "missing.csv")


def test_select_split_by_key_then_unique_name() -> None:
    pairs = make_pairs(4, Path("/elsewhere"))
    split = {
        "t000_sat.jpg": "train",  # key
        "sub/t001_sat.jpg": "val",  # unique name
        "a/t002_sat.jpg": "val",  # ambiguous name: not matched
        "b/t002_sat.jpg": "test",
    }
    assert [p.key for p in select_split(pairs, split, "val")] == ["t001_sat.jpg"]
    assert [p.key for p in select_split(pairs, split, "train")] == ["t000_sat.jpg"]
    assert select_split(pairs, split, "test") == []
    with pytest.raises(LandcoverError, match="unknown split"):
        select_split(pairs, split, "valid")
    with pytest.raises(LandcoverError, match="no image of the dataset"):
        select_split(pairs, {"zzz_sat.jpg": "train"}, "train")


def test_cli_split(dataset, tmp_path: Path, capsys) -> None:
    root, _ = dataset
    out = tmp_path / "new" / "split.csv"
    assert main(["split", str(root), "--out", str(out), "--val", "0.34", "--test", "0.33"]) == 0
    printed = capsys.readouterr().out
    assert "train       1   33.3%" in printed and "3 images" in printed
    assert split_counts(read_split(out)) == {"train": 1, "val": 1, "test": 1}
    keys = {p.key for p in find_pairs(root).pairs}
    assert set(read_split(out)) == keys
    assert main(["split", str(root), "--out", str(out)]) == 2
    assert "already exists; use --overwrite" in capsys.readouterr().err
    assert main(["split", str(root), "--out", str(out), "--overwrite", "--val", "0"]) == 0
    assert split_counts(read_split(out))["val"] == 0
