"""Integration tests on ../shared/data (kept fast: never decodes all 2117 masks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landcover.cli import main
from landcover.data.check import check_dataset
from landcover.data.pairs import find_pairs
from landcover.data.split import read_groups, read_split
from landcover.data.stats import compute_stats
from landcover.schema import DEEPGLOBE, DUBAI

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found at {DATA}"),
]


@pytest.mark.parametrize(
    ("folder", "pairs"),
    [
        ("deepglobe/quadrants512", 2117),
        ("deepglobe/fullres", 5),
        ("deepglobe/thumbs256", 254),
        ("dubai", 72),
    ],
)
def test_pair_counts(folder: str, pairs: int) -> None:
    found = find_pairs(DATA / folder)
    assert len(found.pairs) == pairs
    assert found.unpaired_images == [] and found.unpaired_masks == []


def test_check_reports_stray_red_pixels(capsys) -> None:
    # train_0180..0189: train_0182_mask.png has one stray (255,0,0) pixel
    args = ["--image-glob", "train_018*_sat.jpg", "--mask-glob", "train_018*_mask.png"]
    code = main(["check", str(DATA / "deepglobe/quadrants512"), *args, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["errors"] == []
    assert report["warnings"] == [
        {
            "file": "train_0182_mask.png",
            "kind": "off_palette",
            "problem": "1 off-palette pixels ((255,0,0) x1), counted as ignored",
            "pixels": 1,
            "colors": [[255, 0, 0, 1]],
        }
    ]


def test_fullres_clean_and_stats() -> None:
    report = check_dataset(DATA / "deepglobe/fullres", DEEPGLOBE)
    assert (report.pairs, report.findings) == (5, [])
    stats = compute_stats(find_pairs(DATA / "deepglobe/fullres").pairs, DEEPGLOBE)
    assert stats.to_dict()["images"] == 5
    assert int(stats.pixel_counts.sum()) == 5 * 2448 * 2448


def test_dubai_masks_load_with_dubai_schema() -> None:
    pairs = find_pairs(DATA / "dubai").pairs[:4]
    stats = compute_stats(pairs, DUBAI)
    assert stats.failures == [] and len(stats.images) == 4
    total = sum(m.pixels for m in stats.images)
    # anti-aliased colours map to the nearest class: off-palette pixels are rare
    assert stats.off_palette < 0.01 * total
    assert (stats.pixel_counts[:5] > 0).sum() >= 3


def test_split_groups_on_real_tiles_csv(tmp_path: Path, capsys) -> None:
    root = DATA / "deepglobe/quadrants512"
    out = tmp_path / "split.csv"
    assert main(["split", str(root), "--out", str(out), "--groups", "tiles.csv:deepglobe_id"]) == 0
    split = read_split(out)
    assert len(split) == 2117
    groups = read_groups("tiles.csv:deepglobe_id", find_pairs(root).pairs, root)
    assert len(groups) > 500
    where: dict[str, set[str]] = {}
    for key, gid in groups.items():
        where.setdefault(gid, set()).add(split[key])
    assert all(len(s) == 1 for s in where.values())
    counts = {s: list(split.values()).count(s) for s in ("train", "val", "test")}
    assert abs(counts["val"] - 318) <= 4 and abs(counts["test"] - 318) <= 4
