"""A STAC catalogue of a run: ``collection.json`` and one Item per scene in ``items/``.

STAC (SpatioTemporal Asset Catalog, https://stacspec.org) is the JSON format in which the
Earth-observation world describes rasters so that tools (QGIS's STAC browser, pystac, odc-stac,
STAC Browser, stac-fastapi) can find and open them. Written with plain dicts and :mod:`json`
(pystac is not needed), following STAC 1.1.0 and these extensions:

- projection v2.0.0: ``proj:code`` (``EPSG:<n>``, else ``proj:wkt2``), ``proj:shape``,
  ``proj:transform`` and ``proj:bbox`` in the raster's own CRS;
- raster v1.1.0: ``raster:bands`` with ``nodata`` 255, ``data_type`` ``uint8`` and
  ``spatial_resolution`` (ground metres per pixel);
- classification v2.0.0: ``classification:classes`` (value, name, ``color_hint`` as
  ``RRGGBB``, and per scene ``count`` and ``percentage`` of valid pixels; value 255 is the
  ``nodata`` class).

Everything is read from the run folder (``<stem>_classes.tif`` and the ``<stem>_areas.json``
beside it), so the catalogue can be rebuilt from the folder alone. Item geometry and bbox are
the raster's outline taken to WGS84 (edges densified, so UTM outlines keep their curvature).
The scenes' acquisition times are unknown to the tool: an Item's ``datetime`` (required by
STAC) is the time given in :class:`SceneInfo`, else the class raster's modification time (when
the map was made), which is also its ``created``. Links are relative (``root``, ``parent``,
``collection``, ``item``), so the folder can be moved or served anywhere; ``self`` links, which
STAC wants absolute, are written only when the URL where the folder is served is given
(``href_root``), otherwise the catalogue is "self-contained" in STAC's sense.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import rasterio

from landcover.batch.cog import COG_MEDIA_TYPE, GEOTIFF_MEDIA_TYPE
from landcover.batch.mosaic import find_class_rasters
from landcover.errors import InputError, LandcoverIOError
from landcover.io.atomic import prepare_output_file, write_text_atomic
from landcover.io.ground import ground_gsd
from landcover.io.legend import Legend, read_legend
from landcover.io.raster import NODATA_LABEL, open_raster
from landcover.wording import plural

log = logging.getLogger(__name__)

STAC_VERSION = "1.1.0"
PROJECTION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
RASTER = "https://stac-extensions.github.io/raster/v1.1.0/schema.json"
CLASSIFICATION = "https://stac-extensions.github.io/classification/v2.0.0/schema.json"
COLLECTION_FILE = "collection.json"
ITEMS_DIR = "items"
CLASSES_SUFFIX = "_classes.tif"
EDGE_POINTS = 16  # points per raster edge in the WGS84 outline
COORD_DECIMALS = 7  # about 1 cm
# Other files predict writes per scene: asset key, suffix, media type, roles.
SIDE_ASSETS = (
    ("color", "_color.png", "image/png", ["overview"]),
    ("overlay", "_overlay.jpg", "image/jpeg", ["overview"]),
    ("areas", "_areas.json", "application/json", ["metadata"]),
)


@dataclass(frozen=True)
class SceneInfo:
    """One mapped scene, as a finished run folder describes it.

    Attributes:
        stem: the outputs' name (``<stem>_classes.tif``); the Item's id.
        classes: the class raster.
        image: the input image, if known.
        gsd_m: the input's metres per pixel used for the prediction, if known.
        hectares: hectares per class name (``None`` values when the GSD was unknown).
        pixels: pixels per class name.
        nodata_pixels: pixels left out as nodata.
        acquired: the scene's acquisition time, if known (else the Item's ``datetime`` is the
            class raster's modification time).
        source_item: the href of the STAC Item the input came from (a ``derived_from`` link).
        footprint: the source Item's GeoJSON geometry (else the raster's outline is used).
    """

    stem: str
    classes: Path
    image: Path | None = None
    gsd_m: float | None = None
    hectares: dict[str, float | None] = field(default_factory=dict)
    pixels: dict[str, int] = field(default_factory=dict)
    nodata_pixels: int = 0
    acquired: datetime | None = None
    source_item: str | None = None
    footprint: dict[str, Any] | None = None


def scene_info(classes_tif: str | Path) -> SceneInfo:
    """The :class:`SceneInfo` of one class raster, with its ``<stem>_areas.json`` if present.

    Raises:
        LandcoverIOError: when the areas file is not readable JSON.
    """
    path = Path(classes_tif)
    name = path.name
    stem = name[: -len(CLASSES_SUFFIX)] if name.endswith(CLASSES_SUFFIX) else path.stem
    areas = path.with_name(f"{stem}_areas.json")
    if not areas.is_file():
        return SceneInfo(stem, path)
    try:
        table = json.loads(areas.read_text(encoding="utf-8"))
        classes = table.get("classes", [])
        return SceneInfo(
            stem,
            path,
            Path(table["image"]) if table.get("image") else None,
            table.get("gsd_m"),
            {c["name"]: c.get("hectares") for c in classes},
            {c["name"]: int(c["pixels"]) for c in classes},
            int(table.get("nodata_pixels", 0)),
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LandcoverIOError(f"not a readable area table ({e})", areas) from e


def scenes_of_run(run_dir: str | Path) -> list[SceneInfo]:
    """The scenes of a run folder: its ``*_classes.tif`` with their ``_areas.json``."""
    return [scene_info(p) for p in find_class_rasters(run_dir)]


def write_stac(
    run_dir: str | Path,
    scenes: Sequence[SceneInfo] | None = None,
    legend: Legend | None = None,
    *,
    collection_id: str | None = None,
    description: str | None = None,
    license: str = "other",
    href_root: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``collection.json`` and ``items/<stem>.json`` for the scenes of a run folder.

    Args:
        run_dir: the run folder; the catalogue is written in it.
        scenes: the scenes (default: :func:`scenes_of_run`); their class rasters should be in
            ``run_dir`` (assets are linked by relative paths). Scenes without a CRS are left
            out with a warning.
        legend: class names and colours (default: the first class raster's).
        collection_id: the Collection's id (default ``landcover-<folder name>``).
        description: the Collection's description (Markdown).
        license: SPDX license of the maps, or ``"other"``.
        href_root: URL where ``run_dir`` will be served, for absolute ``self`` links.
        overwrite: replace an existing catalogue (and drop Items of scenes no longer listed).

    Returns:
        The path of ``collection.json``.

    Raises:
        InputError: when no scene has a CRS.
        LandcoverIOError: when a file cannot be read or written, or a catalogue exists and
            ``overwrite`` is false.
    """
    folder = Path(run_dir)
    scenes = scenes_of_run(folder) if scenes is None else list(scenes)
    collection_path = prepare_output_file(folder / COLLECTION_FILE, "the collection", overwrite)
    items = [i for i in (_item_or_none(s, folder, legend) for s in scenes) if i is not None]
    if not items:
        raise InputError("no georeferenced class raster to catalogue", folder)
    legend = legend or read_legend(scenes[0].classes)
    cid = collection_id or "landcover-" + (re.sub(r"[^0-9A-Za-z._-]+", "-", folder.name) or "run")
    items_dir = folder / ITEMS_DIR
    items_dir.mkdir(exist_ok=True)
    written = set()
    for item in items:
        item["collection"] = cid
        item["links"] = [*_item_links(item["id"], href_root), *item["links"]]
        path = items_dir / f"{item['id']}.json"
        write_text_atomic(path, json.dumps(item, indent=2) + "\n")
        written.add(path.name)
    for stale in items_dir.glob("*.json"):  # only reached with overwrite (or a new folder)
        if stale.name not in written:
            stale.unlink()
    collection = _collection(cid, items, legend, folder, description, license, href_root)
    write_text_atomic(collection_path, json.dumps(collection, indent=2) + "\n")
    log.info("%s: STAC collection of %s", collection_path, plural(len(items), "item"))
    return collection_path


def _item_or_none(scene: SceneInfo, folder: Path, legend: Legend | None) -> dict[str, Any] | None:
    try:
        with open_raster(scene.classes) as src:
            if src.crs is None:
                log.warning("%s: no CRS; left out of the STAC catalogue", scene.classes)
                return None
            return stac_item(scene, src, folder, legend or read_legend(scene.classes))
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("cannot read this class raster", scene.classes) from e


def stac_item(scene: SceneInfo, src: Any, folder: Path, legend: Legend) -> dict[str, Any]:
    """The STAC Item (without links) of one scene whose class raster is open as ``src``.

    Args:
        scene: the scene.
        src: its class raster, open in rasterio (with a CRS).
        folder: the run folder (asset paths are relative to ``folder/items``).
        legend: class names and colours.
    """
    t = src.transform
    geometry = scene.footprint or wgs84_outline(src.crs, t, src.width, src.height)
    stamp = datetime.fromtimestamp(scene.classes.stat().st_mtime, UTC)
    epsg = src.crs.to_epsg()
    properties: dict[str, Any] = {
        "datetime": _iso(scene.acquired or stamp),
        "created": _iso(stamp),
        "proj:code": None if epsg is None else f"EPSG:{epsg}",
        "proj:shape": [src.height, src.width],
        "proj:transform": [t.a, t.b, t.c, t.d, t.e, t.f],
        "proj:bbox": list(src.bounds),
    }
    if epsg is None:
        properties["proj:wkt2"] = src.crs.to_wkt(version="WKT2_2019")
    if scene.gsd_m:
        properties["gsd"] = float(scene.gsd_m)
    if scene.hectares and any(v is not None for v in scene.hectares.values()):
        properties["landcover:hectares"] = {
            name: None if ha is None else round(ha, 6) for name, ha in scene.hectares.items()
        }
    if scene.image is not None:
        properties["landcover:image"] = scene.image.name
    if legend.schema:
        properties["landcover:schema"] = legend.schema
    gsd = ground_gsd(src.crs, t, src.width, src.height)
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": [PROJECTION, RASTER, CLASSIFICATION],
        "id": scene.stem,
        "geometry": geometry,
        "bbox": _bbox(geometry),
        "properties": properties,
        "links": _source_links(scene),
        "assets": _assets(scene, src, folder, legend, gsd),
    }


def _source_links(scene: SceneInfo) -> list[dict[str, str]]:
    """A ``derived_from`` link to the STAC Item the scene's image came from, if any."""
    if scene.source_item is None:
        return []
    return [{"rel": "derived_from", "href": scene.source_item, "type": "application/geo+json"}]


def wgs84_outline(crs: Any, transform: Any, width: int, height: int) -> dict[str, Any]:
    """The raster's outline as a GeoJSON Polygon in WGS84 longitude/latitude.

    Each edge is sampled at :data:`EDGE_POINTS` points before the transformation, so that the
    outline of a projected raster follows its curved edges.
    """
    # lazy: a plain predict run does not need it (start-up time)
    from rasterio.warp import transform_geom

    n = EDGE_POINTS
    cols = [width * i / n for i in range(n)] + [width] * n
    cols += [width * (n - i) / n for i in range(n)] + [0.0] * n
    rows = [0.0] * n + [height * i / n for i in range(n)]
    rows += [height] * n + [height * (n - i) / n for i in range(n)]
    t = transform
    ring = [
        (t.c + t.a * c + t.b * r, t.f + t.d * c + t.e * r) for c, r in zip(cols, rows, strict=True)
    ]
    ring.append(ring[0])
    geom = {"type": "Polygon", "coordinates": [ring]}
    out = dict(transform_geom(crs, "EPSG:4326", geom, precision=COORD_DECIMALS))
    out["coordinates"] = _plain(out["coordinates"])
    return out


def _plain(coords: Any) -> Any:
    """Nested tuples of coordinates as nested lists of floats (JSON arrays)."""
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        return [round(float(v), COORD_DECIMALS) for v in coords]
    return [_plain(c) for c in coords]


def _bbox(geometry: dict[str, Any]) -> list[float]:
    """``[west, south, east, north]`` of a Polygon or MultiPolygon."""
    rings = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        rings = [rings]
    points = [p for polygon in rings for ring in polygon for p in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [min(xs), min(ys), max(xs), max(ys)]


def _iso(t: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as STAC requires."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _href(path: Path, base: Path) -> str:
    """``path`` relative to the folder ``base`` as a URL path (``../a%20b.tif``)."""
    rel = Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    return quote(rel)


def _assets(
    scene: SceneInfo, src: Any, folder: Path, legend: Legend, gsd: float | None
) -> dict[str, Any]:
    """The class raster (``classes``) and the other files of the scene that exist."""
    base = folder / ITEMS_DIR
    layout = src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT")
    band: dict[str, Any] = {"nodata": NODATA_LABEL, "data_type": "uint8"}
    if gsd is not None:
        band["spatial_resolution"] = gsd
    band["classification:classes"] = classification_classes(legend, scene)
    assets: dict[str, Any] = {
        "classes": {
            "href": _href(scene.classes, base),
            "type": COG_MEDIA_TYPE if layout == "COG" else GEOTIFF_MEDIA_TYPE,
            "title": "Land-cover classes",
            "roles": ["data"],
            "raster:bands": [band],
        }
    }
    for key, suffix, media, roles in SIDE_ASSETS:
        side = scene.classes.with_name(f"{scene.stem}{suffix}")
        if side.is_file():
            assets[key] = {"href": _href(side, base), "type": media, "roles": roles}
    return assets


def classification_classes(legend: Legend, scene: SceneInfo | None = None) -> list[dict[str, Any]]:
    """``classification:classes``: one entry per class and the nodata class (255).

    With a ``scene`` whose pixel counts are known, each class also gets its ``count`` and its
    ``percentage`` of the valid pixels.
    """
    pixels = scene.pixels if scene is not None else {}
    total = sum(pixels.values())
    classes = []
    for value, name in enumerate(legend.names):
        entry = {"value": value, **_name_fields(name), "color_hint": _hex(legend.colors[value])}
        if name in pixels:
            entry["count"] = pixels[name]
            entry["percentage"] = 100.0 * pixels[name] / total if total else 0.0
        classes.append(entry)
    nodata: dict[str, Any] = {"value": NODATA_LABEL, "name": "nodata", "nodata": True}
    if scene is not None and scene.pixels:
        nodata["count"] = scene.nodata_pixels
    return [*classes, nodata]


def _name_fields(name: str) -> dict[str, str]:
    """``name`` as the extension wants it (``[0-9A-Za-z_-]+``), the original as ``title``."""
    machine = re.sub(r"[^0-9A-Za-z_-]+", "_", name).strip("_") or "class"
    return {"name": machine} if machine == name else {"name": machine, "title": name}


def _hex(rgb: Any) -> str:
    return "".join(f"{int(c):02X}" for c in rgb[:3])


def _item_links(stem: str, href_root: str | None) -> list[dict[str, str]]:
    up = f"../{COLLECTION_FILE}"
    links = [
        {"rel": rel, "href": up, "type": "application/json"}
        for rel in ("root", "parent", "collection")
    ]
    if href_root is not None:
        url = f"{href_root.rstrip('/')}/{ITEMS_DIR}/{quote(stem)}.json"
        links.append({"rel": "self", "href": url, "type": "application/geo+json"})
    return links


def _collection(
    cid: str,
    items: list[dict[str, Any]],
    legend: Legend,
    folder: Path,
    description: str | None,
    license: str,
    href_root: str | None,
) -> dict[str, Any]:
    """The Collection: extent = union of the Items', legend in ``item_assets``, links."""
    boxes = [i["bbox"] for i in items]
    union = [min(b[0] for b in boxes), min(b[1] for b in boxes)]
    union += [max(b[2] for b in boxes), max(b[3] for b in boxes)]
    times = sorted(i["properties"]["datetime"] for i in items)
    links = [{"rel": "root", "href": f"./{COLLECTION_FILE}", "type": "application/json"}]
    if href_root is not None:
        url = f"{href_root.rstrip('/')}/{COLLECTION_FILE}"
        links.append({"rel": "self", "href": url, "type": "application/json"})
    links += [
        {
            "rel": "item",
            "href": f"./{ITEMS_DIR}/{quote(i['id'])}.json",
            "type": "application/geo+json",
        }
        for i in items
    ]
    codes = sorted({i["properties"]["proj:code"] for i in items} - {None})
    band = {"nodata": NODATA_LABEL, "data_type": "uint8"}
    band["classification:classes"] = classification_classes(legend)
    schema = f" ({legend.schema} classes)" if legend.schema else ""
    collection: dict[str, Any] = {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "stac_extensions": [PROJECTION, RASTER, CLASSIFICATION],
        "id": cid,
        "title": f"Land cover: {folder.name}",
        "description": description or f"Land-cover maps{schema} made by landcover predict.",
        "license": license,
        "extent": {"spatial": {"bbox": [union]}, "temporal": {"interval": [[times[0], times[-1]]]}},
        "item_assets": {
            "classes": {
                "type": items[0]["assets"]["classes"]["type"],
                "title": "Land-cover classes",
                "roles": ["data"],
                "raster:bands": [band],
            }
        },
        "assets": _mosaic_assets(folder),
        "links": links,
    }
    if codes:
        collection["summaries"] = {"proj:code": codes}
    return collection


def _mosaic_assets(folder: Path) -> dict[str, Any]:
    """The VRT mosaics of the run folder (:func:`~landcover.batch.mosaic.build_vrt`), if any."""
    return {
        vrt.stem: {
            "href": f"./{quote(vrt.name)}",
            "type": "application/xml",
            "title": f"Mosaic of the class rasters ({vrt.stem}), GDAL VRT",
            "roles": ["data", "mosaic"],
        }
        for vrt in sorted(folder.glob("mosaic_*.vrt"))
    }
