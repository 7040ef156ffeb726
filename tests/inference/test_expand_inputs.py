"""Folder expansion: images kept, masks of labelled pairs and our own outputs left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from landcover.errors import LandcoverIOError
from landcover.inference.predict import expand_inputs


def test_folder_skips_masks_of_pairs_and_outputs(tmp_path: Path) -> None:
    for name in ("a_sat.jpg", "a_mask.png", "lonely_mask.png", "b.png", "b_classes.tif"):
        (tmp_path / name).write_bytes(b"x")
    names = [p.name for p in expand_inputs([tmp_path])]
    assert names == ["a_sat.jpg", "b.png", "lonely_mask.png"]
    # Named explicitly, a mask is mapped like any image.
    assert expand_inputs([tmp_path / "a_mask.png"]) == [tmp_path / "a_mask.png"]


def test_a_missing_input_is_an_os_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.tif"
    with pytest.raises(LandcoverIOError, match="no such file or folder") as e:
        expand_inputs([missing])
    assert isinstance(e.value, OSError) and e.value.filename == str(missing)
