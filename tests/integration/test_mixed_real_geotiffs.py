"""A run over real GeoTIFFs of mixed CRSs, band counts and bit depths plus one rotated grid
exits 0 with every scene mapped, through the command line with the bundled model."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import rasterio
from rasterio import Affine

from landcover.cli import main

OTHER = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "gsd" / "other"
FILES = (
    "CosmiQ__RGB-PanSharpen_img1447.tif",  # EPSG:4326, 3 x uint8
    "Helya-Haji__austin_29.tif",  # EPSG:26914
    "Helya-Haji__wielkopolskie_9.tif",  # no CRS
    "jgrss__rgbn.tif",  # 4 bands: red, green, blue, undefined
    "planetlabs__1056417_2017-03-08_RE3_3A_Visual_clip.tif",  # RapidEye RGBA
    "team-kotl__merged-landsat.tif",  # 6 x uint16, nothing names the bands
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.shared,
    pytest.mark.skipif(not OTHER.is_dir(), reason=f"real data not found at {OTHER}"),
]


def _rotated_copy(src_path: Path, dst: Path, degrees: float = 25.0) -> Path:
    """``src_path`` with its grid turned about its corner: a valid north-not-up GeoTIFF."""
    with rasterio.open(src_path) as src:
        data, profile, t = src.read(), src.profile, src.transform
    turned = Affine.translation(t.c, t.f) @ Affine.rotation(degrees) @ Affine.scale(t.a, t.e)
    profile.update(driver="GTiff", transform=turned)
    with rasterio.open(dst, "w", **profile) as out:
        out.write(data)
    return dst


def _total_ha(areas_json: Path) -> float:
    table = json.loads(areas_json.read_text())
    return sum(c["hectares"] for c in table["classes"])


def test_mixed_real_geotiffs_and_a_rotated_grid_all_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in FILES:
        (inputs / name).symlink_to((OTHER / name).resolve())
    _rotated_copy(OTHER / "Helya-Haji__austin_29.tif", inputs / "rotated.tif")
    out = tmp_path / "out"
    code = main(["predict", str(inputs), "--out", str(out), "--confidence", "--vector", "--report"])
    assert code == 0, capsys.readouterr().err
    stems = [Path(n).stem for n in FILES] + ["rotated"]
    assert sorted(p.name for p in out.glob("*_classes.tif")) == sorted(
        f"{s}_classes.tif" for s in stems
    )
    for stem in stems:
        assert (out / f"{stem}_confidence.qml").is_file() and (out / f"{stem}_polygons.gpkg")
        with sqlite3.connect(out / f"{stem}_polygons.gpkg") as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == 10300
        db.close()
    hectares = [_total_ha(out / f"{s}_areas.json") for s in ("rotated", "Helya-Haji__austin_29")]
    assert hectares[0] == pytest.approx(hectares[1], rel=1e-6) and hectares[0] > 0
    vrts = sorted(p.name for p in out.glob("mosaic_*.vrt"))
    assert "mosaic_26914.vrt" in vrts and "mosaic_32651.vrt" in vrts
    assert all((out / v).with_suffix(".qml").is_file() for v in vrts)
    assert "rotated_classes.tif" not in "".join((out / v).read_text() for v in vrts)
    assert (out / "index.html").is_file() and not (out / ".landcover.lock").exists()
