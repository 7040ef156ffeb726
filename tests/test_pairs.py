"""Tests for landcover.data.pairs: layouts, unpaired files, tiles.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from landcover.data.pairs import (
    find_pairs,
    gsd_of,
    read_image_table,
    read_tiles_csv,
    tiles_row,
)
from landcover.errors import LandcoverError
from tests.helpers import label_grid, write_image, write_mask


def test_sat_mask_layout_recursive(dataset) -> None:
    root, _ = dataset
    (root / "sub").mkdir()
    write_image(root / "sub" / "deep_sat.jpg")
    write_mask(root / "sub" / "deep_mask.png", label_grid())
    write_image(root / "alone_sat.jpg")
    found = find_pairs(root)
    assert [p.key for p in found.pairs] == [
        "sub/deep_sat.jpg",
        "tile0_sat.jpg",
        "tile1_sat.jpg",
        "tile2_sat.jpg",
    ]
    assert found.pairs[0].mask == root / "sub" / "deep_mask.png"
    assert found.unpaired_images == [root / "alone_sat.jpg"] and found.unpaired_masks == []


def test_images_masks_folders(tmp_path: Path) -> None:
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
    write_image(tmp_path / "images" / "a.jpg")
    write_mask(tmp_path / "masks" / "a.png", label_grid())
    write_mask(tmp_path / "masks" / "b.png", label_grid())
    found = find_pairs(tmp_path)
    assert [(p.key, p.mask.name) for p in found.pairs] == [("images/a.jpg", "a.png")]
    assert found.unpaired_masks == [tmp_path / "masks" / "b.png"]


def test_globs(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    write_image(tmp_path / "img" / "x 1.png")
    write_mask(tmp_path / "lab" / "x 1_label.png", label_grid())
    found = find_pairs(tmp_path, "img/*.png", "lab/*_label.png")
    assert [p.key for p in found.pairs] == ["img/x 1.png"]
    with pytest.raises(LandcoverError, match="exactly one"):
        find_pairs(tmp_path, "img/*/*.png", "lab/*.png")


def test_missing_and_file_root(tmp_path: Path) -> None:
    with pytest.raises(LandcoverError, match="no such folder"):
        find_pairs(tmp_path / "nope")
    (tmp_path / "f").write_text("x")
    with pytest.raises(LandcoverError, match="is a file"):
        find_pairs(tmp_path / "f")


def test_tiles_csv_and_gsd(dataset) -> None:
    root, _ = dataset
    (root.parent / "tiles.csv").write_text(
        "image,deepglobe_id,gsd_m\ndata/tile0_sat.jpg,5,0.5\ndata/tile1_sat.jpg,,0.5\n,9,1\n"
    )
    tiles = read_tiles_csv(root)
    assert sorted(p.name for p in tiles) == ["tile0_sat.jpg", "tile1_sat.jpg"]
    assert gsd_of(find_pairs(root).pairs, tiles) == 0.5
    (root.parent / "tiles.csv").write_text(
        "image,gsd_m\ndata/tile0_sat.jpg,0.5\ndata/tile1_sat.jpg,1\n"
    )
    with pytest.raises(LandcoverError, match="different ground sampling distances"):
        gsd_of(find_pairs(root).pairs, read_tiles_csv(root))
    assert read_tiles_csv(root / "nowhere") == {}


def test_tiles_row_finds_one_image_as_the_table_does(dataset) -> None:
    root, _ = dataset
    assert tiles_row(root / "tile0_sat.jpg") is None  # no tiles.csv at all
    (root.parent / "tiles.csv").write_text(
        "image,gsd_m\n./data/../data/tile0_sat.jpg,0.5\ndata/tile1_sat.jpg,1.2\n,9\n"
    )
    table = read_tiles_csv(root)
    for name in ("tile0_sat.jpg", "tile1_sat.jpg"):
        row = tiles_row(root / name)
        assert row is not None and row == table[(root / name).resolve()]
    assert tiles_row(root / "tile0_sat.jpg")["gsd_m"] == "0.5"  # normalised path matches
    assert tiles_row(root / "other_sat.jpg") is None
    (root.parent / "tiles.csv").write_text("file,gsd_m\nx,1\n")
    with pytest.raises(LandcoverError, match="no 'image' column"):
        tiles_row(root / "tile0_sat.jpg")


def test_read_image_table_errors(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("file,id\na,1\n")
    with pytest.raises(LandcoverError, match="no 'image' column") as e:
        read_image_table(tmp_path / "t.csv")
    assert str(e.value).startswith(str(tmp_path / "t.csv"))
    with pytest.raises(LandcoverError, match="no such file"):
        read_image_table(tmp_path / "none.csv")
