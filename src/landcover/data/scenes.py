"""Scene lists: large georeferenced rasters with their labels, as GIS users keep them.

A scene list is a YAML or CSV file naming, per scene, the raster (GeoTIFF, COG, VRT) and its
labels: a vector file (GeoPackage, GeoJSON, Shapefile; ``field`` names the class attribute) or a
label raster on any grid and CRS. YAML::

    field: class            # default for every scene (vector labels)
    values: {10: forest, 20: shrub}   # optional: label codes -> class names
    scenes:
      - {image: ortho.tif, labels: drawn.gpkg}
      - {image: s2.tif, labels: worldcover.tif, values: {10: forest, 30: grass}}

CSV: columns ``image,labels`` and optionally ``field``. Relative paths are relative to the list.
Rasters and labels may also be remote (``https://``, ``s3://``, ``gs://``, ``az://``, ``/vsi...``):
they are read by GDAL window by window (:mod:`landcover.io.remote`), as ``predict`` reads URLs.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from landcover.errors import InputError, LandcoverIOError
from landcover.io.remote import input_path, is_remote

#: Label files read as vectors (through pyogrio); anything else is read as a label raster.
VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml", ".sqlite")

#: Scene list suffixes (anything else is not a scene list).
LIST_SUFFIXES = (".yaml", ".yml", ".csv")


@dataclass(frozen=True)
class Scene:
    """One raster and its labels.

    Args:
        image: the raster (any CRS; a projected one in metres for training).
        labels: a vector file or a label raster.
        field: the class attribute of a vector file.
        values: label codes (as written in the labels) -> class names; codes may also be
            class names themselves.
    """

    image: Path
    labels: Path
    field: str | None = None
    values: dict[Any, str] = dataclasses.field(default_factory=dict)

    @property
    def is_vector(self) -> bool:
        """Whether the labels are a vector file."""
        return self.labels.suffix.lower() in VECTOR_SUFFIXES

    @property
    def name(self) -> str:
        """The raster's file name, which names the scene in splits and messages."""
        return self.image.name


def is_scene_list(path: str | Path) -> bool:
    """Whether ``path`` looks like a scene list (a YAML or CSV file)."""
    p = Path(path)
    return p.is_file() and p.suffix.lower() in LIST_SUFFIXES


def read_scene_list(path: str | Path) -> list[Scene]:
    """The scenes of a YAML or CSV scene list.

    Raises:
        LandcoverIOError: naming the list when it is missing or unreadable.
        InputError: naming the list when an entry lacks ``image`` or ``labels``, names a
            missing file, or a vector label file has no ``field``.
    """
    p = Path(path)
    if not p.is_file():
        raise LandcoverIOError("no such scene list", p)
    try:
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".csv":
            doc: Any = {"scenes": list(csv.DictReader(text.splitlines()))}
        else:
            doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, csv.Error) as e:
        raise LandcoverIOError(f"cannot read scene list ({' '.join(str(e).split())})", p) from e
    if isinstance(doc, list):
        doc = {"scenes": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("scenes"), list) or not doc["scenes"]:
        raise InputError("a scene list needs 'scenes': a list of {image, labels}", p)
    defaults = {"field": doc.get("field"), "values": doc.get("values") or {}}
    return [_scene(entry, defaults, p) for entry in doc["scenes"]]


def _scene(entry: Any, defaults: dict[str, Any], source: Path) -> Scene:
    if not isinstance(entry, dict) or not entry.get("image") or not entry.get("labels"):
        raise InputError(f"scene entry {entry!r} needs 'image' and 'labels'", source)
    image, labels = (_resolve(str(entry[k]), source) for k in ("image", "labels"))
    values = entry.get("values") or defaults["values"]
    if not isinstance(values, dict):
        raise InputError(f"'values' of {image.name} must map label codes to class names", source)
    scene = Scene(
        image=image,
        labels=labels,
        field=entry.get("field") or defaults["field"],
        values={k: str(v) for k, v in values.items()},
    )
    if scene.is_vector and not scene.field:
        raise InputError(f"vector labels {labels.name} need 'field' (the class attribute)", source)
    return scene


def _resolve(value: str, source: Path) -> Path:
    if is_remote(value):  # checked when opened, naming the URL
        return input_path(value)
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = source.parent / path
    if not path.exists():
        raise InputError(f"no such file {value}", source)
    return path
