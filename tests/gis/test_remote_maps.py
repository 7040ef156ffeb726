"""``vectorize``, ``zonal``, ``change`` and ``sample`` on class rasters served over HTTP give what
they give on the same files on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcover.cli import main
from tests.gis.test_change import AFTER3, BEFORE3, write_map
from tests.gis.test_zonal import utm_box, write_regions
from tests.remote_servers import RangeServer

pyogrio = pytest.importorskip("pyogrio")
pytest.importorskip("exactextract")


def _run(argv: list[str]) -> None:
    assert main(["-q", *argv]) == 0, argv


def test_gis_commands_read_urls_as_files(tmp_path: Path) -> None:
    www = tmp_path / "www"
    www.mkdir()
    b = write_map(www / "before.tif", BEFORE3)
    a = write_map(www / "after.tif", AFTER3)
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 2, 4)], ["west"])
    with RangeServer(www) as server:
        for where, (before, after) in {
            "local": (str(b), str(a)),
            "http": (server.url("before.tif"), server.url("after.tif")),
        }.items():
            out = tmp_path / where
            out.mkdir()
            _run(["vectorize", before, "--out", str(out / "poly.geojson")])
            _run(["zonal", before, str(regions), "--field", "name", "--out", str(out / "z.csv")])
            _run(["change", before, after, "--out", str(out / "change")])
            _run(["sample", before, "--out", str(out / "points.csv"), "--seed", "1"])
        assert server.sent()["before.tif"] > 0
    local, http = tmp_path / "local", tmp_path / "http"
    assert (local / "poly.geojson").read_text() == (http / "poly.geojson").read_text()
    zl, zh = (local / "z.csv").read_text(), (http / "z.csv").read_text()
    assert zh == zl.replace(str(b), server.url("before.tif"))  # the raster column: the URL
    for name in ("matrix_pixels.csv", "summary.csv"):
        assert (local / "change" / name).read_text() == (http / "change" / name).read_text()
    with (
        rasterio.open(local / "change/change.tif") as x,
        rasterio.open(http / "change/change.tif") as y,
    ):
        assert np.array_equal(x.read(1), y.read(1))
    pl, ph = (local / "points.csv").read_text(), (http / "points.csv").read_text()
    assert ph == pl.replace(str(b), server.url("before.tif"))
