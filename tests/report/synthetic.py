"""Tiny ``predict`` run folders with known answers, written by code for the report tests.

:func:`write_run` makes a folder as ``landcover predict`` would (class GeoTIFF with its legend
tags and colour table, palette ``_color.png``, ``_overlay.jpg``, ``_areas.json``, ``areas.csv``)
plus, on request, ``_confidence.tif`` and ``_polygons.gpkg``, through the package's own writers.

Scene ``geo`` (EPSG:32633, 10 m pixels, 40 x 20 px, origin 500000 E / 4000000 N)::

    columns 0-19, rows 0-11   agriculture_land (1)   240 px = 2.40 ha, confidence 230
    columns 0-19, rows 12-19  forest_land (3)        160 px = 1.60 ha, confidence 230
    columns 20-39             water (4)              400 px = 4.00 ha, confidence 120

Scene :data:`PLAIN` (no georeferencing, 30 x 16 px, a name to escape in URLs): rows 0-7
urban_land (0), rows 8-15 barren_land (5), nodata (255) in columns 0-1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from landcover.inference.areas import area_table, write_areas_csv, write_areas_json
from landcover.inference.writers import write_color_png, write_overlay_jpg
from landcover.io.legend import legend_of_schema
from landcover.io.raster import NODATA_LABEL, class_colormap
from landcover.schema import DEEPGLOBE, count_labels

GSD = 10.0
ORIGIN = (500000.0, 4000000.0)
CRS = "EPSG:32633"
IMAGE_GREY = 128
PLAIN = "plain scène #2"


@dataclass(frozen=True)
class Block:
    """A rectangle of one class: rows ``r0:r1``, columns ``c0:c1``."""

    name: str
    r0: int
    r1: int
    c0: int
    c1: int

    @property
    def index(self) -> int:
        return DEEPGLOBE.classes.index(self.name)

    def centre(self) -> tuple[float, float]:
        """Centre as fractional (column, row)."""
        return (self.c0 + self.c1) / 2.0, (self.r0 + self.r1) / 2.0


GEO_BLOCKS = (
    Block("agriculture_land", 0, 12, 0, 20),
    Block("forest_land", 12, 20, 0, 20),
    Block("water", 0, 20, 20, 40),
)
PLAIN_BLOCKS = (Block("urban_land", 0, 8, 2, 30), Block("barren_land", 8, 16, 2, 30))


def geo_labels() -> np.ndarray:
    """The ``geo`` scene's class raster (20 rows x 40 columns)."""
    labels = np.zeros((20, 40), dtype=np.uint8)
    for b in GEO_BLOCKS:
        labels[b.r0 : b.r1, b.c0 : b.c1] = b.index
    return labels


def plain_labels() -> np.ndarray:
    """The ``plain`` scene's class raster (16 x 30, nodata in the first two columns)."""
    labels = np.full((16, 30), NODATA_LABEL, dtype=np.uint8)
    for b in PLAIN_BLOCKS:
        labels[b.r0 : b.r1, b.c0 : b.c1] = b.index
    return labels


def geo_transform() -> object:
    from rasterio import Affine

    return Affine(GSD, 0.0, ORIGIN[0], 0.0, -GSD, ORIGIN[1])


def write_tif(path: Path, data: np.ndarray, georef: bool, classes: bool = True) -> Path:
    """A one-band uint8 GeoTIFF; a class raster gets the legend tags and colour table."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1}
    profile["dtype"] = "uint8"
    if georef:
        profile.update(crs=CRS, transform=geo_transform())
    if classes:
        profile["nodata"] = NODATA_LABEL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
            if classes:
                dst.write_colormap(1, class_colormap(DEEPGLOBE.palette))
                dst.update_tags(**legend_of_schema(DEEPGLOBE, NODATA_LABEL).tags())
    return path


def write_scene(out: Path, stem: str, labels: np.ndarray, georef: bool) -> dict:
    """One scene's outputs and its input image (uniform grey PNG); returns its area table."""
    image = out.parent / f"{stem}_input.png"
    Image.fromarray(np.full((*labels.shape, 3), IMAGE_GREY, np.uint8)).save(image)
    write_tif(out / f"{stem}_classes.tif", labels, georef)
    write_color_png(out / f"{stem}_color.png", labels, DEEPGLOBE.palette)
    rgb = np.full((*labels.shape, 3), IMAGE_GREY, np.uint8)
    write_overlay_jpg(out / f"{stem}_overlay.jpg", rgb, labels, DEEPGLOBE.palette)
    counts = count_labels(labels, DEEPGLOBE.num_classes)
    nodata = int(np.count_nonzero(labels == NODATA_LABEL))
    table = area_table(counts, DEEPGLOBE, GSD if georef else None, nodata, gsd_source="given")
    table["image"] = str(image)
    write_areas_json(out / f"{stem}_areas.json", table)
    return table


def write_confidence(out: Path, stem: str) -> Path:
    """``geo``'s confidence: 230 in the left half, 120 in the right half."""
    conf = np.full((20, 40), 230, dtype=np.uint8)
    conf[:, 20:] = 120
    return write_tif(out / f"{stem}_confidence.tif", conf, georef=True, classes=False)


def write_polygons(out: Path, stem: str) -> Path:
    """``geo``'s polygons, one per block, in the raster's CRS, as ``vectorize`` would."""
    import pyogrio.raw
    import shapely

    x0, y0 = ORIGIN
    boxes = [
        shapely.box(x0 + b.c0 * GSD, y0 - b.r1 * GSD, x0 + b.c1 * GSD, y0 - b.r0 * GSD)
        for b in GEO_BLOCKS
    ]
    fields = [
        np.array([b.index for b in GEO_BLOCKS], dtype=np.int32),
        np.array([b.name for b in GEO_BLOCKS], dtype=object),
        np.array([(b.r1 - b.r0) * (b.c1 - b.c0) * GSD**2 / 1e4 for b in GEO_BLOCKS]),
    ]
    path = out / f"{stem}_polygons.gpkg"
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array(boxes, dtype=object)),
        fields,
        ["class_id", "class_name", "area_ha"],
        driver="GPKG",
        geometry_type="Polygon",
        crs=CRS,
    )
    return path


def write_run(root: Path, *, extras: bool = True, plain: bool = True) -> Path:
    """A run folder ``root/run`` with scene ``geo`` (and :data:`PLAIN`); ``extras`` adds ``geo``'s
    confidence and (when pyogrio is installed) polygons. Returns the folder."""
    import importlib.util

    out = root / "run"
    out.mkdir(parents=True)
    tables = {"geo": write_scene(out, "geo", geo_labels(), georef=True)}
    if plain:
        tables[PLAIN] = write_scene(out, PLAIN, plain_labels(), georef=False)
    write_areas_csv(out / "areas.csv", tables)
    if extras:
        write_confidence(out, "geo")
        if importlib.util.find_spec("pyogrio") is not None:
            write_polygons(out, "geo")
    return out
