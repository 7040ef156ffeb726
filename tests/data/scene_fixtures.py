"""Tiny georeferenced scenes made by code: a raster, polygon labels and a label raster.

The scene is 64x64 pixels of 1 m in UTM 31N (EPSG:32631), top-left corner at (500000, 4000064).
Polygons (field ``class``): a forest square over pixels rows 8..23, cols 8..23 and a water
square over rows 40..55, cols 30..45; everything else unlabelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
import yaml
from rasterio.transform import from_origin

from landcover.models.meta import ModelMeta

# A test module that imports these fixtures is skipped on a core install (no pyogrio).
pytest.importorskip("pyogrio", reason="scene lists with polygons need pip install 'landcover[gis]'")
import pyogrio.raw  # noqa: E402

CRS = "EPSG:32631"
X0, Y0 = 500000.0, 4000064.0
SCHEMA = {
    "name": "three",
    "mask_format": "index",
    "classes": ["forest", "water", "nodata"],
    "ignore": "nodata",
}


def write_raster(
    path: Path, size: int = 64, gsd: float = 1.0, bands: int = 3, crs: str = CRS
) -> Path:
    """An 8-bit scene whose band b holds ``(row + col + 10 b) % 256``."""
    rows, cols = np.mgrid[0:size, 0:size]
    data = np.stack([(rows + cols + 10 * b) % 256 for b in range(bands)]).astype(np.uint8)
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": bands, "dtype": "uint8",
        "crs": crs, "transform": from_origin(X0, Y0, gsd, gsd),
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def pixel_box(row0: int, row1: int, col0: int, col1: int) -> shapely.Polygon:
    """The square covering pixel rows ``row0..row1-1`` and cols ``col0..col1-1`` (1 m)."""
    return shapely.box(X0 + col0, Y0 - row1, X0 + col1, Y0 - row0)


def write_polygons(
    path: Path, geoms: list, values: list, crs: str = CRS, field: str = "class"
) -> Path:
    """A vector file of ``geoms`` with the attribute ``field`` = ``values``."""
    kind = object if isinstance(values[0], str) else np.int32
    pyogrio.raw.write(
        path, shapely.to_wkb(np.array(geoms, dtype=object)),
        [np.array(values, dtype=kind)], [field], geometry_type="Polygon", crs=crs,
    )  # fmt: skip
    return path


def default_polygons(path: Path, values: tuple = ("forest", "water")) -> Path:
    """The forest and water squares of the module docstring."""
    return write_polygons(path, [pixel_box(8, 24, 8, 24), pixel_box(40, 56, 30, 46)], list(values))


def write_schema(path: Path, **extra: object) -> Path:
    """The three-class index schema (forest, water, nodata ignored)."""
    path.write_text(yaml.safe_dump({**SCHEMA, **extra}), encoding="utf-8")
    return path


def write_list(path: Path, scenes: list[dict], **extra: object) -> Path:
    """A YAML scene list."""
    path.write_text(yaml.safe_dump({**extra, "scenes": scenes}), encoding="utf-8")
    return path


@dataclass
class Model:
    """A stand-in predictor holding only its metadata (the tests patch the mapping itself)."""

    meta: ModelMeta
