"""Training views for the GSD estimator: the hold-out split and views only by downsampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcover.errors import InputError
from landcover.training.gsd_views import (
    MIN_VIEW,
    GsdFile,
    held_out,
    make_view,
    read_gsd_table,
    source_of,
)


def test_source_of_names_the_folder_or_the_owner() -> None:
    assert source_of("neon/weecology__HARV_001.tif") == "neon"
    assert source_of("deepglobe/SahZaire__1499_sat.jpg") == "deepglobe"
    assert source_of("other/weecology__australia.tif") == "weecology"
    assert source_of("other/CosmiQ__RGB-PanSharpen_img1447.tif") == "CosmiQ"


def test_held_out_is_a_fixed_share_of_each_source_by_file_name() -> None:
    files = [GsdFile(Path(f"n/{i}.tif"), 0.1, "neon") for i in range(20)]
    files += [GsdFile(Path(f"s/{i}.tif"), 10.0, "s2") for i in range(10)]
    files += [GsdFile(Path("o/only.tif"), 5.0, "single")]
    test = held_out(files)
    assert len([p for p in test if p.parent.name == "n"]) == 6
    assert len([p for p in test if p.parent.name == "s"]) == 3
    assert Path("o/only.tif") not in test  # round(0.3) = 0: a single file is trained on
    assert held_out(list(reversed(files))) == test  # order-free: by name alone


def test_read_gsd_table(tmp_path: Path) -> None:
    (tmp_path / "gsd.csv").write_text("file,gsd_m\nother/ab__x.tif,0.25\n", encoding="utf-8")
    assert read_gsd_table(tmp_path) == [GsdFile(tmp_path / "other/ab__x.tif", 0.25, "ab")]
    with pytest.raises(InputError, match="no gsd.csv"):
        read_gsd_table(tmp_path / "missing")


def test_views_are_only_downsampled_to_the_target_and_capped_at_the_crop() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (600, 500, 3), dtype=np.uint8)
    native = make_view(image, 0.5, 0.5, 224, rng)
    assert native is not None and native.shape == (224, 224, 3) and native.dtype == np.uint8
    four_x = make_view(image, 0.5, 2.0, 224, rng)  # 600 / 4 = 150 rows, 500 / 4 = 125 cols
    assert four_x is not None and sorted(four_x.shape[:2]) == [125, 150]
    assert make_view(image, 0.5, 0.5 * 600 / (MIN_VIEW - 1), 224, rng) is None  # too small
    with pytest.raises(InputError, match="never upsampled"):
        make_view(image, 0.5, 0.4, 224, rng)
