"""Every GeoPackage landcover writes is version 1.3 (GDAL 3.6 / QGIS 3.22 open it without a
warning), and no pyogrio INFO line reaches the console."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from landcover.io.gpkg import GPKG_USER_VERSION, write_gpkg_layer

pyogrio = pytest.importorskip("pyogrio")
shapely = pytest.importorskip("shapely")
pytest.importorskip("exactextract")

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"


def gpkg_version(path: Path) -> tuple[int, int]:
    """SQLite's ``application_id`` and ``user_version`` of a GeoPackage (1.3.0 -> 10300)."""
    with sqlite3.connect(path) as db:
        app = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    return app, version


def test_the_helper_writes_geopackage_1_3_with_several_layers(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    wkb = shapely.to_wkb(shapely.points([1.0, 2.0], [3.0, 4.0]))
    for layer in ("a", "b"):
        write_gpkg_layer(
            path, wkb, [np.array([1, 2])], ["v"], layer=layer, geometry_type="Point", crs=None
        )
    write_gpkg_layer(
        path, wkb, [np.array([3, 4])], ["v"], layer="b", geometry_type="Point", crs=None,
        append=True,
    )  # fmt: skip
    assert gpkg_version(path) == (GPKG_APPLICATION_ID, GPKG_USER_VERSION) == (0x47504B47, 10300)
    assert [str(n) for n, _ in pyogrio.list_layers(path)] == ["a", "b"]
    assert pyogrio.read_info(path, layer="b")["features"] == 4


def test_polygons_points_and_zonal_tables_are_geopackage_1_3(tmp_path: Path) -> None:
    from landcover.accuracy.design import draw_sample
    from landcover.gis.vectorize import vectorize
    from landcover.gis.zonal import zonal_table
    from landcover.gis.zonal_output import write_zonal_gpkg
    from tests.gis.test_zonal import LABELS, utm_box, write_classes, write_regions

    raster = write_classes(tmp_path / "map_classes.tif", LABELS)
    polygons = vectorize(raster, tmp_path / "polygons.gpkg", simplify_m=0).path
    points = draw_sample([raster], tmp_path / "points.gpkg", total=20, seed=1).files[0]
    regions = write_regions(tmp_path / "r.gpkg", [utm_box(0, 0, 4, 4)], ["all"])
    write_zonal_gpkg([zonal_table(raster, regions)], tmp_path / "zonal.gpkg")
    for path in (polygons, points, tmp_path / "zonal.gpkg"):
        assert gpkg_version(path) == (GPKG_APPLICATION_ID, 10300), path.name
    with sqlite3.connect(polygons) as db:  # QGIS's default style still applies
        assert db.execute("SELECT useAsDefault FROM layer_styles").fetchall() == [(1,)]
    db.close()


def test_zonal_prints_no_third_party_info_line(tmp_path: Path) -> None:
    from tests.gis.test_zonal import LABELS, utm_box, write_classes, write_regions

    raster = write_classes(tmp_path / "map.tif", LABELS)
    boxes = [utm_box(0, 0, 2, 2), utm_box(2, 2, 4, 4)]
    regions = write_regions(tmp_path / "r.gpkg", boxes, ["a", "b"])
    out = tmp_path / "z.gpkg"
    cmd = [sys.executable, "-m", "landcover", "zonal", str(raster), str(regions), "--out", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.is_file()
    assert "Created" not in run.stderr and "pyogrio" not in run.stderr
    assert all(line.startswith(("INFO: ", "WARNING: ")) for line in run.stderr.splitlines())
