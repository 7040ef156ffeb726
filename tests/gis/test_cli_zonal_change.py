"""``landcover zonal`` and ``landcover change`` from the command line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from landcover.cli import main
from tests.gis.test_change import AFTER3, BEFORE3, write_map
from tests.gis.test_zonal import LABELS, utm_box, write_classes, write_regions

pyogrio = pytest.importorskip("pyogrio")
pytest.importorskip("exactextract")


def test_zonal_writes_csv_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raster = write_classes(tmp_path / "map.tif", LABELS)
    later = write_classes(tmp_path / "later.tif", np.zeros((4, 4), dtype=np.uint8))
    regions = write_regions(
        tmp_path / "r.gpkg", [utm_box(0, 0, 2, 2), utm_box(20, 20, 21, 21)], ["west", "away"]
    )
    out = tmp_path / "t.csv"
    argv = ["zonal", str(raster), str(later), str(regions), "--field", "name", "--out", str(out)]
    assert main(["-q", *argv]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 5 and lines[0].startswith("raster,name,total_ha,valid_ha")
    assert lines[1].startswith(f"{raster},west,0.04,0.04,1,0.04,0,0,1,0,0")
    assert lines[2].startswith(f"{raster},away,0.01,0,0,0,0,0,,,")
    printed = capsys.readouterr().out
    assert "west" in printed and "urban (100.0%)" in printed and "2 regions x 2 raster" in printed
    assert main(["-q", *argv]) == 2  # refuses to overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main(["-q", *argv, "--overwrite"]) == 0


def test_zonal_writes_a_joined_geopackage(tmp_path: Path) -> None:
    raster = write_classes(tmp_path / "map.tif", LABELS)
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 4, 4)], ["all"])
    out = tmp_path / "joined.gpkg"
    assert main(["-q", "zonal", str(raster), str(regions), "--out", str(out)]) == 0
    meta, _, _, values = pyogrio.raw.read(out)
    cols = dict(zip(meta["fields"], values, strict=True))
    assert list(cols["name"]) == ["all"] and list(cols["source_fid"]) == [1]
    assert cols["valid_fraction"] == pytest.approx([0.75])
    assert cols["water_ha"] == pytest.approx([0.04])


def test_change_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = write_map(tmp_path / "b.tif", BEFORE3)
    a = write_map(tmp_path / "a.tif", AFTER3)
    out = tmp_path / "out"
    assert main(["-q", "change", str(b), str(a), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "changed 0.03 of 0.10 ha (30.0%)" in printed
    assert (out / "matrix_pixels.csv").read_text().splitlines()[1] == "urban,3,1,0"
    assert main(["-q", "change", str(b), str(a), "--out", str(out)]) == 2
    assert main(["-q", "change", str(b), str(a), "--out", str(out), "--overwrite"]) == 0


def test_change_refuses_other_grids_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = write_map(tmp_path / "b.tif", BEFORE3)
    a = write_map(tmp_path / "a.tif", np.zeros((3, 5)))
    assert main(["-q", "change", str(b), str(a), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(f"landcover change: error: {a}: not on the grid of {b}")
    assert "size 4x3 vs 5x3 px" in err and "--align" in err
    assert main(["-q", "change", str(b), str(a), "--out", str(tmp_path / "o"), "--align"]) == 0


@pytest.mark.parametrize("missing", ["exactextract", "pyogrio"])
def test_missing_gis_extra_gives_an_install_hint(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
) -> None:
    raster = write_classes(tmp_path / "map.tif", LABELS)
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 1, 1)], ["a"])
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a)
    )
    argv = ["zonal", str(raster), str(regions), "--out", str(tmp_path / "t.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"needs {missing}; install it with: pip install 'landcover[gis]'" in err
    assert not (tmp_path / "t.csv").exists()


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    for command, options in (
        ("zonal", ["--field", "--layer", "--out", "--overwrite", ".gpkg"]),
        ("change", ["--out", "--align", "--overwrite", "nearest"]),
    ):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert all(option in text for option in options)
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert "landcover zonal" in top and "landcover change" in top
