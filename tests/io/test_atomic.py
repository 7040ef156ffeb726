"""Temporary output files are never mistaken for results (the cause of a flaky kill test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasterio.windows import Window

from landcover.batch.records import RunFolder, read_records, remove_stale_temps, write_record
from landcover.io.atomic import TEMP_SUFFIX, atomic_path, reserve_temp
from landcover.io.raster import RasterInfo, RasterWriter


def test_temp_names_are_hidden_and_end_in_tmp(tmp_path: Path) -> None:
    tmp = reserve_temp(tmp_path / "a_classes.tif")
    assert tmp.parent == tmp_path
    assert tmp.name.startswith(".a_classes.tif.") and tmp.suffix == TEMP_SUFFIX == ".tmp"


def test_result_globs_never_see_a_file_being_written(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    (folder.records / "done").mkdir(parents=True)
    info = RasterInfo(tmp_path / "in.tif", 8, 8, None, None, None, None, "uint8")
    writer = RasterWriter(tmp_path / "a_classes.tif", info)
    with atomic_path(folder.record_path("done", "b")) as tmp:
        tmp.write_text("{", encoding="utf-8")  # a record half written when a worker dies
        assert list(tmp_path.glob("*_classes.tif")) == []
        assert list((folder.records / "done").glob("*.json")) == []
        assert read_records(folder, "done") == {}
    writer.write(np.zeros((8, 8), dtype=np.uint8), Window(col_off=0, row_off=0, width=8, height=8))
    assert writer.close().name == "a_classes.tif"
    assert [p.name for p in tmp_path.glob("*_classes.tif")] == ["a_classes.tif"]


def test_stale_temps_of_killed_writers_are_removed(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    (folder.records / "done").mkdir(parents=True)
    write_record(folder, "done", "a", {"outputs": []})
    stale = [reserve_temp(tmp_path / "b_classes.tif")]
    stale.append(reserve_temp(folder.record_path("done", "b")))
    assert sorted(remove_stale_temps(tmp_path)) == sorted(stale)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["a.json"]
