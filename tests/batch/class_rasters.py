"""Tiny class rasters made by code for the COG, VRT and STAC tests: a fake finished run folder.

The run folder holds, like ``landcover predict`` leaves it:

- ``a_classes.tif``: EPSG:32633, 40 x 30 px of 10 m, north-west corner (500000, 5000400);
- ``b_classes.tif``: EPSG:32633, 20 x 25 px of 10 m, corner (500500, 5000300): 50 columns
  east and 10 rows south of ``a``, so the union is 70 x 35 px with a gap between them;
- ``c_classes.tif``: EPSG:4326, 16 x 12 px of 0.0001 degree, corner (15.0, 45.0);
- ``nocrs_classes.tif``: no CRS;

each with the DeepGlobe colour table and legend tags, nodata 255 in its first row, and an
``_areas.json`` for ``a`` and ``b``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import from_origin

from landcover.io.legend import legend_of_schema
from landcover.io.raster import class_colormap
from landcover.schema import DEEPGLOBE

UTM = "EPSG:32633"
WGS84 = "EPSG:4326"
LAYOUT = {
    "a": (UTM, from_origin(500000, 5000400, 10, 10), 30, 40),
    "b": (UTM, from_origin(500500, 5000300, 10, 10), 25, 20),
    "c": (WGS84, from_origin(15.0, 45.0, 0.0001, 0.0001), 12, 16),
    "nocrs": (None, None, 8, 8),
}


def pattern(height: int, width: int, seed: int, block: int = 1) -> np.ndarray:
    """Classes 0..6 in squares of ``block`` px, shifted by ``seed``; first row nodata (255)."""
    rows = np.arange(height)[:, None] // block
    cols = np.arange(width)[None, :] // block
    labels = ((rows * 3 + cols + seed) % 7).astype(np.uint8)
    labels[0] = 255
    return labels


def write_class_raster(
    path: Path,
    labels: np.ndarray,
    crs: str | None,
    transform: object,
    nodata: int | None = 255,
    tiled: bool = False,
) -> Path:
    """A class GeoTIFF as predict writes it: colour table, legend tags, nodata."""
    height, width = labels.shape
    profile: dict[str, object] = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "compress": "deflate",
    }
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    if crs is not None:
        profile.update(crs=crs, transform=transform)
    if nodata is not None:
        profile["nodata"] = nodata
    with warnings.catch_warnings():  # the raster without a CRS
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        dst = rasterio.open(path, "w", **profile)
    with dst:
        dst.write(labels, 1)
        dst.write_colormap(1, class_colormap(DEEPGLOBE.palette))
        dst.update_tags(**legend_of_schema(DEEPGLOBE).tags())
    return path


def write_areas(path: Path, labels: np.ndarray, image: str, gsd_m: float) -> Path:
    """The ``_areas.json`` predict writes beside a class raster (pixel area ``gsd_m`` squared)."""
    counts = [int(np.count_nonzero(labels == k)) for k in range(len(DEEPGLOBE.classes))]
    total = sum(counts)
    classes = [
        {
            "index": k,
            "name": name,
            "pixels": counts[k],
            "fraction": counts[k] / total,
            "hectares": counts[k] * gsd_m**2 / 10_000,
        }
        for k, name in enumerate(DEEPGLOBE.classes)
    ]
    table = {
        "gsd_m": gsd_m,
        "gsd_source": "georeferencing",
        "valid_pixels": total,
        "nodata_pixels": int(np.count_nonzero(labels == 255)),
        "classes": classes,
        "image": image,
    }
    path.write_text(json.dumps(table, indent=2), encoding="utf-8")
    return path


def make_run(folder: Path) -> dict[str, np.ndarray]:
    """Write the run folder described in the module docstring; returns the labels by stem."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = {}
    for seed, (stem, (crs, transform, height, width)) in enumerate(LAYOUT.items()):
        labels[stem] = pattern(height, width, seed)
        write_class_raster(folder / f"{stem}_classes.tif", labels[stem], crs, transform)
    for stem in ("a", "b"):
        write_areas(folder / f"{stem}_areas.json", labels[stem], f"/data/{stem}.tif", 10.0)
    return labels
