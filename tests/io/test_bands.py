"""Bands by meaning: red, green and blue from colour interpretation or band descriptions."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin

from landcover.io.bands import select_bands
from landcover.io.images import read_rgb

LANDSAT = ("Coastal aerosol", "Blue", "Green", "Red", "NIR", "SWIR 1")


def landsat_like(path: Path, descriptions: bool = True, colorinterp: bool = False) -> Path:
    """A 6-band uint16 GeoTIFF, 30 m UTM, each band another pattern (so any swap shows)."""
    ramp = np.arange(16 * 20, dtype=np.uint16).reshape(16, 20)
    data = np.stack([(ramp * (7 * i + 3)) % 997 for i in range(6)]).astype(np.uint16)
    profile = dict(driver="GTiff", width=20, height=16, count=6, dtype="uint16",
                   crs="EPSG:32651", transform=from_origin(300000, 1600000, 30, 30),
                   photometric="MINISBLACK")  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        if descriptions:
            for i, name in enumerate(LANDSAT, start=1):
                dst.set_band_description(i, name)
        if colorinterp:
            u = ColorInterp.undefined
            dst.colorinterp = [u, ColorInterp.blue, ColorInterp.green, ColorInterp.red, u, u]
    return path


def test_six_bands_by_their_descriptions(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = landsat_like(tmp_path / "landsat.tif")
    with caplog.at_level(logging.INFO):
        rgb = read_rgb(path)
    assert f"{path}: 6 bands, RGB = bands 4,3,2 by their descriptions" in caplog.text
    assert "WARNING" not in caplog.text
    assert np.array_equal(rgb, read_rgb(path, bands=[4, 3, 2]))
    assert not np.array_equal(rgb, read_rgb(path, bands=[1, 2, 3]))


def test_six_bands_by_their_colour_interpretation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = landsat_like(tmp_path / "ci.tif", descriptions=False, colorinterp=True)
    with caplog.at_level(logging.INFO):
        read_rgb(path)
    assert f"{path}: 6 bands, RGB = bands 4,3,2 by their colour interpretation" in caplog.text


def test_descriptions_win_over_gdals_default_rgb_labels(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """GDAL labels a 4-band 8-bit GeoTIFF red, green, blue, alpha whatever it holds; the maker's
    band descriptions (here BGR + NIR) say what the bands are."""
    path = tmp_path / "bgrn.tif"
    data = np.stack([np.full((8, 8), v, dtype=np.uint8) for v in (10, 20, 30, 40)])
    profile = dict(driver="GTiff", width=8, height=8, count=4, dtype="uint8")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        for i, name in enumerate(("Blue", "Green", "Red", "NIR"), start=1):
            dst.set_band_description(i, name)
    with rasterio.open(path) as src:
        assert src.colorinterp[:3] == (ColorInterp.red, ColorInterp.green, ColorInterp.blue)
    with caplog.at_level(logging.INFO):
        rgb = read_rgb(path)
    assert f"{path}: 4 bands, RGB = bands 3,2,1 by their descriptions" in caplog.text
    assert rgb[0, 0].tolist() == [30, 20, 10]


def test_without_meaning_the_first_three_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = landsat_like(tmp_path / "plain.tif", descriptions=False)
    with caplog.at_level(logging.WARNING):
        assert np.array_equal(read_rgb(path), read_rgb(path, bands=[1, 2, 3]))
    assert f"{path}: 6 bands, using the first three as RGB" in caplog.text
    assert "(override with --bands)" in caplog.text


def test_names_that_say_more_than_a_colour_are_not_taken() -> None:
    names = ["Red Edge 1", "NIR red", "green", "blue", "SR_B4 red", "Band 6"]
    assert select_bands(6, None, "x.tif", descriptions=names) == [5, 3, 4]
    twice = ["red", "red", "green", "blue"]
    assert select_bands(4, None, "x.tif", descriptions=twice) == [1, 2, 3]  # ambiguous: warned
    assert select_bands(6, [4, 3, 2], "x.tif", descriptions=twice) == [4, 3, 2]  # --bands wins
