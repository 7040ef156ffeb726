"""The legend of a class raster: class names and colours stored in the GeoTIFF itself.

``predict`` writes, besides the colour table, two GeoTIFF metadata tags on every class raster:
``LANDCOVER_SCHEMA`` (the schema name) and ``LANDCOVER_CLASSES`` (JSON: ``[{"value", "name",
"color"}]``). Every command that reads a class raster (``vectorize``, ``zonal``, ``change``,
``sample``, ``assess``, ``report``) gets names and colours from :func:`read_legend`, so a map
keeps its classes wherever it is copied. A raster without the tags (made by another tool) falls
back to its colour table (values up to the last non-black entry) and names ``class_<value>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from landcover.errors import LandcoverIOError
from landcover.io.raster import open_raster

SCHEMA_TAG = "LANDCOVER_SCHEMA"
CLASSES_TAG = "LANDCOVER_CLASSES"
MODEL_GSD_TAG = "LANDCOVER_MODEL_GSD"
"""The model's own GSD (metres per pixel), a tag ``predict`` writes on the class raster."""


@dataclass(frozen=True)
class Legend:
    """Class names and colours of a class raster.

    Args:
        schema: the schema's name (``""`` when unknown).
        names: class names, by pixel value ``0..K-1``.
        colors: ``uint8`` array ``(K, 3)``.
        nodata: the raster's nodata value, or ``None``.
    """

    schema: str
    names: tuple[str, ...]
    colors: np.ndarray
    nodata: int | None = None

    @property
    def num_classes(self) -> int:
        """Number of classes ``K``."""
        return len(self.names)

    def tags(self) -> dict[str, str]:
        """The GeoTIFF metadata tags that store this legend."""
        classes = [
            {"value": i, "name": n, "color": [int(c) for c in self.colors[i]]}
            for i, n in enumerate(self.names)
        ]
        return {SCHEMA_TAG: self.schema, CLASSES_TAG: json.dumps(classes)}


def legend_of_schema(schema: Any, nodata: int | None = None) -> Legend:
    """The legend of a :class:`~landcover.schema.ClassSchema`."""
    return Legend(schema.name, tuple(schema.classes), np.asarray(schema.palette), nodata)


def legend_from_dataset(src: Any) -> Legend:
    """The legend of an open rasterio dataset (tags, else colour table, else generic)."""
    tags = src.tags()
    nodata = None if src.nodata is None else int(src.nodata)
    if CLASSES_TAG in tags:
        classes = sorted(json.loads(tags[CLASSES_TAG]), key=lambda c: c["value"])
        names = tuple(str(c["name"]) for c in classes)
        colors = np.array([c["color"] for c in classes], dtype=np.uint8).reshape(-1, 3)
        return Legend(tags.get(SCHEMA_TAG, ""), names, colors, nodata)
    try:
        cmap = src.colormap(1)
    except ValueError:
        cmap = {}
    # GeoTIFF colour tables keep no alpha: the classes are the values up to the last coloured one.
    values = [v for v, rgba in cmap.items() if any(rgba[:3]) and v != nodata]
    k = max(values) + 1 if values else 0
    colors = np.array([cmap.get(v, (0, 0, 0, 0))[:3] for v in range(k)], np.uint8).reshape(-1, 3)
    return Legend("", tuple(f"class_{v}" for v in range(k)), colors, nodata)


def read_legend(path: str | Path) -> Legend:
    """The legend of the class raster at ``path`` (see :func:`legend_from_dataset`)."""
    try:
        with open_raster(path) as src:
            return legend_from_dataset(src)
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("cannot read this class raster", path) from e


def recorded_gsd(path: Path) -> float | None:
    """The GSD ``predict`` recorded in ``<stem>_areas.json`` beside ``<stem>_classes.tif``."""
    stem = path.name.removesuffix(".tif").removesuffix("_classes")
    sidecar = path.with_name(f"{stem}_areas.json")
    if not sidecar.is_file():
        return None
    value = json.loads(sidecar.read_text()).get("gsd_m")
    return None if value is None else float(value)
