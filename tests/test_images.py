"""Tests for landcover.io.images: formats converted to RGB, clear errors naming the file."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landcover.errors import LandcoverError
from landcover.io.images import read_mask_rgb, read_rgb
from landcover.io.pictures import check_file
from tests.helpers import write_image

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def write_tif(path: Path, data: np.ndarray, nodata: float | None = None) -> Path:
    count, h, w = data.shape
    with rasterio.open(
        path, "w", driver="GTiff", width=w, height=h, count=count, dtype=data.dtype, nodata=nodata
    ) as dst:
        dst.write(data)
    return path


def test_png_modes_become_rgb(tmp_path: Path) -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    Image.fromarray(grey, "L").save(tmp_path / "g.png")
    assert read_rgb(tmp_path / "g.png").tolist() == np.repeat(grey[..., None], 3, 2).tolist()
    rgba = np.zeros((3, 4, 4), np.uint8)
    rgba[..., 0] = 200
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert read_rgb(tmp_path / "a.png")[0, 0].tolist() == [200, 0, 0]
    pal = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
    pal.putpalette([0, 255, 255, 255, 255, 0] + [0] * 762)
    pal.save(tmp_path / "p.png")
    assert read_mask_rgb(tmp_path / "p.png").tolist() == [[[0, 255, 255], [255, 255, 0]]]


def test_jpeg(tmp_path: Path) -> None:
    path = write_image(tmp_path / "x y é.jpg", 20, 30)
    arr = read_rgb(path)
    assert arr.shape == (20, 30, 3) and arr.dtype == np.uint8


def test_uint16_tiff_is_stretched(tmp_path: Path) -> None:
    data = np.linspace(0, 4000, 3 * 10 * 10).reshape(3, 10, 10).astype(np.uint16)
    arr = read_rgb(write_tif(tmp_path / "a.tif", data))
    assert arr.dtype == np.uint8 and arr.shape == (10, 10, 3)
    assert arr[..., 0].min() == 0 and arr[..., 0].max() == 255


def test_bands(tmp_path: Path, caplog) -> None:
    data = np.stack([np.full((4, 4), v, np.uint8) for v in (10, 20, 30, 40)])
    path = write_tif(tmp_path / "four.tif", data)
    with caplog.at_level(logging.INFO):
        assert read_rgb(path)[0, 0].tolist() == [10, 20, 30]
    # GDAL writes a 4-band uint8 GeoTIFF as RGB plus alpha: the colour interpretation says it
    assert "4 bands, RGB = bands 1,2,3 by their colour interpretation" in caplog.text
    assert read_rgb(path, bands=[4, 3, 2])[0, 0].tolist() == [40, 30, 20]
    with pytest.raises(LandcoverError, match="does not name 3 of its 4 bands"):
        read_rgb(path, bands=[5, 1, 2])
    two = write_tif(tmp_path / "two.tif", data[:2])
    with pytest.raises(LandcoverError, match="has 2 bands; RGB needs 3") as e:
        read_rgb(two)
    assert str(e.value).startswith(str(two))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "empty file (0 bytes)"),
        (lambda p: p.mkdir(), "is a folder, not an image file"),
        (lambda p: p.write_text("hello"), "not a readable image"),
        (lambda p: None, "no such file"),
    ],
)
def test_bad_files(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "bad.jpg"
    make(path)
    with pytest.raises(LandcoverError, match=re.escape(message)) as e:
        read_rgb(path)
    assert str(e.value).startswith(f"{path}: ")


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated(tmp_path: Path, suffix: str) -> None:
    path = write_image(tmp_path / f"t{suffix}", 64, 64)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(LandcoverError, match="truncated") as e:
        read_rgb(path)
    assert str(e.value).startswith(str(path))
    assert check_file(path) == path  # non-empty: only decoding finds the damage
