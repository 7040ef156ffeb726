"""Class rasters rewritten as Cloud-Optimized GeoTIFFs: valid COGs holding the same map."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

from landcover.batch.cog import CogWriter, cog_overview_factors, is_cog, to_cog
from landcover.errors import LandcoverError
from landcover.io.raster import RasterInfo
from tests.batch.class_rasters import UTM, pattern, write_class_raster

cogeo = pytest.importorskip("rio_cogeo.cogeo", reason="rio-cogeo checks the COG layout")

# 1100 x 900 px in 4 px squares: over one 512 px tile, so the COG gets overviews (x2, x4).
HEIGHT, WIDTH = 900, 1100


@pytest.fixture
def classes_tif(tmp_path: Path) -> Path:
    labels = pattern(HEIGHT, WIDTH, seed=2, block=4)
    transform = from_origin(500000, 5000000, 10, 10)
    return write_class_raster(tmp_path / "s_classes.tif", labels, UTM, transform, tiled=True)


def _facts(path: Path) -> dict[str, object]:
    with rasterio.open(path) as src:
        return {
            "pixels": src.read(1),
            "crs": src.crs,
            "transform": src.transform,
            "nodata": src.nodata,
            "dtype": src.dtypes[0],
            "colormap": src.colormap(1),
            "tags": {k: v for k, v in src.tags().items() if k != "AREA_OR_POINT"},
        }


def test_cog_is_valid_and_holds_the_same_map(classes_tif: Path, tmp_path: Path) -> None:
    before = _facts(classes_tif)
    assert not is_cog(classes_tif)
    out = to_cog(classes_tif, tmp_path / "s_cog.tif")
    valid, errors, _warnings = cogeo.cog_validate(str(out))
    assert valid and errors == []
    assert is_cog(out)
    after = _facts(out)
    assert np.array_equal(after.pop("pixels"), before.pop("pixels"))  # type: ignore[arg-type]
    assert after == before
    assert after["tags"]["LANDCOVER_SCHEMA"] == "deepglobe"  # type: ignore[index]
    assert after["colormap"][255] == (0, 0, 0, 0)  # type: ignore[index]


def test_overviews_take_the_most_frequent_class(classes_tif: Path, tmp_path: Path) -> None:
    out = to_cog(classes_tif, tmp_path / "s_cog.tif")
    with rasterio.open(out) as src:
        assert src.overviews(1) == [2, 4]
        assert src.profile["blockxsize"] == 512
        assert src.compression.name == "deflate"
    full = pattern(HEIGHT, WIDTH, seed=2, block=4)
    with rasterio.open(out, overview_level=0) as ov:  # 2x: each pixel covers 2x2 of one class
        half = ov.read(1)
    assert half.shape == (HEIGHT // 2, WIDTH // 2)
    # Row 0 of the overview covers full rows 0 (nodata, not voted) and 1: the class of row 1.
    assert np.array_equal(half[1:], full[2::2, ::2])
    assert np.array_equal(half[0], full[1, ::2])
    assert set(np.unique(half)) <= set(range(7))


def test_in_place_is_atomic_and_done_once(classes_tif: Path) -> None:
    before = _facts(classes_tif)
    assert to_cog(classes_tif) == classes_tif
    assert is_cog(classes_tif)
    after = _facts(classes_tif)
    assert np.array_equal(after.pop("pixels"), before.pop("pixels"))  # type: ignore[arg-type]
    assert after == before
    assert sorted(p.name for p in classes_tif.parent.iterdir()) == ["s_classes.tif"]
    mtime = os.stat(classes_tif).st_mtime_ns
    to_cog(classes_tif)  # already a COG: left untouched
    assert os.stat(classes_tif).st_mtime_ns == mtime


def test_refuses_to_overwrite_and_leaves_no_temporary_file(
    classes_tif: Path, tmp_path: Path
) -> None:
    out = tmp_path / "taken.tif"
    out.write_bytes(b"x")
    with pytest.raises(LandcoverError, match="already exists"):
        to_cog(classes_tif, out)
    assert out.read_bytes() == b"x"
    to_cog(classes_tif, out, overwrite=True)
    assert is_cog(out)
    with pytest.raises(LandcoverError, match="no such class raster"):
        to_cog(tmp_path / "missing_classes.tif")
    broken = tmp_path / "broken_classes.tif"
    broken.write_bytes(b"not a tiff")
    with pytest.raises(LandcoverError, match="cannot read"):
        to_cog(broken)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["broken_classes.tif", "s_classes.tif", "taken.tif"]


def test_class_names_sidecar_follows_the_cog(classes_tif: Path, tmp_path: Path) -> None:
    # predict writes the class names (which a GeoTIFF cannot hold) in a GDAL .aux.xml sidecar
    names = "".join(f"<Category>{n}</Category>" for n in ("urban_land", "water"))
    pam = f'<PAMDataset><PAMRasterBand band="1"><CategoryNames>{names}</CategoryNames>'
    sidecar = tmp_path / "s_classes.tif.aux.xml"
    sidecar.write_text(pam + "</PAMRasterBand></PAMDataset>")
    out = to_cog(classes_tif, tmp_path / "s_cog.tif")
    assert "<Category>water</Category>" in (tmp_path / "s_cog.tif.aux.xml").read_text()
    to_cog(classes_tif)
    assert "<Category>water</Category>" in sidecar.read_text()
    assert is_cog(out) and is_cog(classes_tif)
    hidden = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert hidden == []  # no temporary file, nor its sidecar, left behind


@pytest.mark.parametrize(("width", "height"), [(2448, 2448), (1100, 900), (513, 40), (512, 300)])
def test_overview_factors_are_the_cog_drivers(width: int, height: int, tmp_path: Path) -> None:
    labels = np.zeros((height, width), dtype=np.uint8)
    path = write_class_raster(tmp_path / "z_classes.tif", labels, UTM, from_origin(0, 0, 1, 1))
    with rasterio.open(to_cog(path, tmp_path / "z_cog.tif")) as src:
        assert cog_overview_factors(width, height) == src.overviews(1)


def _written(path: Path, labels: np.ndarray, constant_px: float) -> list[np.ndarray]:
    """``labels`` through a :class:`CogWriter`; the COG's full resolution and overviews."""
    info = RasterInfo(path, WIDTH, HEIGHT, UTM, from_origin(0, 0, 1, 1), None, 1.0, "uint8")
    writer = CogWriter(path, info, nodata=255, constant_px=constant_px)
    writer.write(labels, Window(col_off=0, row_off=0, width=WIDTH, height=HEIGHT))
    writer.close()
    assert cogeo.cog_validate(str(path))[0]
    with rasterio.open(path) as src:
        levels = [src.read(1)]
        assert src.overviews(1) == [2, 4]
    for level in (0, 1):
        with rasterio.open(path, overview_level=level) as ov:
            levels.append(ov.read(1))
    return levels


def test_overviews_within_a_model_pixel_are_sampled_to_the_same_map(tmp_path: Path) -> None:
    """A map constant over 4 px squares (its model's pixels): sampled overviews up to x4 are
    the voted ones (row 0 aside: nodata, left out of the vote)."""
    labels = pattern(HEIGHT, WIDTH, seed=3, block=4)
    voted = _written(tmp_path / "v_classes.tif", labels, constant_px=1)
    sampled = _written(tmp_path / "s_classes.tif", labels, constant_px=4)
    assert np.array_equal(sampled[0], labels) and np.array_equal(voted[0], labels)
    for v, s in zip(voted[1:], sampled[1:], strict=True):
        assert np.array_equal(v[1:], s[1:])


def test_overviews_coarser_than_a_model_pixel_are_voted(tmp_path: Path) -> None:
    """2 px model pixels; every other pixel of every other row a dot of class 6 on 4 px squares
    of classes 0-5: the x2 overview samples (dots or squares, by GDAL's phase), the x4 one
    votes (each 4 x 4 block holds 12 pixels of its square and 4 dots)."""
    squares = pattern(HEIGHT, WIDTH, seed=4, block=4) % 6
    labels = squares.copy()
    labels[::2, ::2] = 6
    labels[0] = 255
    _, half, quarter = _written(tmp_path / "n_classes.tif", labels, constant_px=2)
    assert any(np.array_equal(half[1:], labels[r::2, c::2][1:]) for r in (0, 1) for c in (0, 1))
    assert np.array_equal(quarter[1:], squares[4::4, ::4])
