"""The STAC catalogue of a run: valid offline against the STAC 1.1.0 and extension schemas.

Core schemas come from pystac's bundled copies, extension schemas from ``stac_schemas/`` (see
its README); any other schema reference, or any network connection, fails the test.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pytest
from rasterio.transform import from_origin
from rasterio.warp import transform

from landcover.batch.cog import to_cog
from landcover.batch.mosaic import build_vrt
from landcover.batch.stac import (
    CLASSIFICATION,
    PROJECTION,
    RASTER,
    SceneInfo,
    scene_info,
    write_stac,
)
from landcover.errors import LandcoverError
from landcover.schema import DEEPGLOBE
from tests.batch.class_rasters import UTM, make_run, write_class_raster

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")
local_validator = pytest.importorskip("pystac.validation.local_validator")

SCHEMAS = Path(__file__).parent / "stac_schemas"
EXTENSIONS = {
    PROJECTION: "projection-v2.0.0.json",
    RASTER: "raster-v1.1.0.json",
    CLASSIFICATION: "classification-v2.0.0.json",
}
CORE = "https://schemas.stacspec.org/v1.1.0/{0}-spec/json-schema/{0}.json"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _registry() -> Any:
    def fetch(uri: str) -> Any:
        raise AssertionError(f"schema not available offline: {uri}")

    schemas = dict(local_validator.get_local_schema_cache())
    schemas.update({uri: json.loads((SCHEMAS / f).read_text()) for uri, f in EXTENSIONS.items()})
    resources = [
        (uri, referencing.Resource.from_contents(s, referencing.jsonschema.DRAFT7))
        for uri, s in schemas.items()
    ]
    return referencing.Registry(retrieve=fetch).with_resources(resources), schemas


def _validate(doc: dict[str, Any], kind: str) -> None:
    """Validate a STAC Item or Collection against core and every extension it declares."""
    registry, schemas = _registry()
    for uri in [CORE.format(kind), *doc.get("stac_extensions", [])]:
        validator = jsonschema.Draft7Validator(schemas[uri], registry=registry)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], f"{doc['id']} against {uri}"


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    folder = tmp_path / "run"
    labels = make_run(folder)
    to_cog(folder / "a_classes.tif")
    build_vrt(folder)
    return folder, labels


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_items_and_collection_validate_offline(
    run: tuple[Path, dict[str, np.ndarray]], caplog: pytest.LogCaptureFixture
) -> None:
    folder, _ = run
    with caplog.at_level(logging.WARNING):
        path = write_stac(folder)
    assert path == folder / "collection.json"
    assert "nocrs_classes.tif: no CRS; left out of the STAC catalogue" in caplog.text
    assert sorted(p.name for p in (folder / "items").iterdir()) == ["a.json", "b.json", "c.json"]
    collection = _load(path)
    _validate(collection, "collection")
    for item_path in sorted((folder / "items").iterdir()):
        _validate(_load(item_path), "item")


@pytest.mark.parametrize(
    ("path", "value", "schema"),
    [
        (
            ["assets", "classes", "raster:bands", 0, "classification:classes", 0, "color_hint"],
            "#00FFFF",
            CLASSIFICATION,
        ),
        (["assets", "classes", "raster:bands", 0, "data_type"], "byte", RASTER),
        (["properties", "proj:shape"], [30.5, 40], PROJECTION),
        (["properties", "datetime"], "2021-06-01T10:30:00", CORE.format("item")),
    ],
)
def test_validation_catches_a_broken_item(
    run: tuple[Path, dict[str, np.ndarray]], path: list[Any], value: object, schema: str
) -> None:
    folder, _ = run
    write_stac(folder)
    item = _load(folder / "items" / "a.json")
    target = item
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(AssertionError, match=f"against {schema}"):
        _validate(item, "item")


def test_item_fields(run: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, labels = run
    write_stac(folder)
    a = _load(folder / "items" / "a.json")
    props = a["properties"]
    assert props["proj:code"] == "EPSG:32633"
    assert props["proj:shape"] == [30, 40]
    assert props["proj:transform"] == [10.0, 0.0, 500000.0, 0.0, -10.0, 5000400.0]
    assert props["proj:bbox"] == [500000.0, 5000100.0, 500400.0, 5000400.0]
    assert props["gsd"] == 10.0 and props["landcover:image"] == "a.tif"
    mtime = datetime.fromtimestamp((folder / "a_classes.tif").stat().st_mtime, UTC)
    assert props["datetime"] == mtime.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    asset = a["assets"]["classes"]
    assert asset["href"] == "../a_classes.tif" and asset["roles"] == ["data"]
    assert asset["type"] == "image/tiff; application=geotiff; profile=cloud-optimized"
    band = asset["raster:bands"][0]
    assert (band["nodata"], band["data_type"], band["spatial_resolution"]) == (255, "uint8", 10.0)
    classes = band["classification:classes"]
    assert [c["name"] for c in classes] == [*DEEPGLOBE.classes, "nodata"]
    assert classes[0]["color_hint"] == "00FFFF" and classes[-1] == {
        "value": 255,
        "name": "nodata",
        "nodata": True,
        "count": 40,
    }
    valid = labels["a"][labels["a"] != 255]
    assert [c["count"] for c in classes[:-1]] == [int(np.sum(valid == k)) for k in range(7)]
    assert sum(c["percentage"] for c in classes[:-1]) == pytest.approx(100.0)
    assert a["assets"]["areas"]["href"] == "../a_areas.json"
    # b was not made a COG: a plain GeoTIFF
    b = _load(folder / "items" / "b.json")
    assert b["assets"]["classes"]["type"] == "image/tiff; application=geotiff"


def test_geometry_in_wgs84(run: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, _ = run
    write_stac(folder)
    c = _load(folder / "items" / "c.json")  # EPSG:4326, 16 x 12 px of 0.0001 degree at 15E 45N
    assert c["bbox"] == pytest.approx([15.0, 44.9988, 15.0016, 45.0])
    assert c["properties"]["proj:code"] == "EPSG:4326"
    a = _load(folder / "items" / "a.json")  # UTM 33N, x 500000 is the central meridian, 15E
    # corners (x, y) in UTM, taken to lon/lat by PROJ: on the central meridian, the west edge
    # is at 15E exactly; the bbox of a 400 x 300 m scene is that of its corners
    lon, lat = transform(
        UTM, "EPSG:4326", [500000, 500400, 500000, 500400], [5000100] * 2 + [5000400] * 2
    )
    assert a["bbox"] == pytest.approx([min(lon), min(lat), max(lon), max(lat)], abs=1e-7)
    assert a["bbox"][0] == pytest.approx(15.0, abs=1e-9)
    ring = a["geometry"]["coordinates"][0]
    assert a["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 65


def test_links_resolve_and_extent_is_the_union(run: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, _ = run
    collection_path = write_stac(folder)
    collection = _load(collection_path)
    items = [_load(p) for p in sorted((folder / "items").iterdir())]
    for doc, base in [(collection, folder), *((i, folder / "items") for i in items)]:
        hrefs = [link["href"] for link in doc["links"]]
        hrefs += [asset["href"] for asset in doc.get("assets", {}).values()]
        for href in hrefs:
            assert not href.startswith(("/", "http")), href
            assert (base / unquote(href)).is_file(), href
        assert "self" not in {link["rel"] for link in doc["links"]}  # self-contained
    assert {link["rel"] for link in items[0]["links"]} == {"root", "parent", "collection"}
    assert all(i["collection"] == collection["id"] == "landcover-run" for i in items)
    boxes = np.array([i["bbox"] for i in items])
    union = [*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0)]
    assert collection["extent"]["spatial"]["bbox"] == [union]
    times = sorted(i["properties"]["datetime"] for i in items)
    assert collection["extent"]["temporal"]["interval"] == [[times[0], times[-1]]]
    assert sorted(collection["assets"]) == ["mosaic_32633", "mosaic_4326"]
    assert collection["summaries"] == {"proj:code": ["EPSG:32633", "EPSG:4326"]}
    pystac = pytest.importorskip("pystac")
    read = pystac.Collection.from_file(str(collection_path))
    assert sorted(i.id for i in read.get_items()) == ["a", "b", "c"]


def test_given_time_self_links_and_rebuild(run: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, _ = run
    when = datetime(2021, 6, 1, 10, 30, tzinfo=UTC)
    scenes = [SceneInfo("a", folder / "a_classes.tif", acquired=when)]
    write_stac(folder)
    with pytest.raises(LandcoverError, match="already exists"):
        write_stac(folder)
    write_stac(folder, scenes, href_root="https://maps.example.org/run/", overwrite=True)
    assert sorted(p.name for p in (folder / "items").iterdir()) == ["a.json"]  # b, c dropped
    a = _load(folder / "items" / "a.json")
    assert a["properties"]["datetime"] == "2021-06-01T10:30:00Z"
    url = "https://maps.example.org/run/items/a.json"
    assert [link["href"] for link in a["links"] if link["rel"] == "self"] == [url]
    _validate(a, "item")
    _validate(_load(folder / "collection.json"), "collection")


def test_scene_info_reads_the_areas_file(run: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, labels = run
    info = scene_info(folder / "a_classes.tif")
    assert (info.stem, info.gsd_m, info.image) == ("a", 10.0, Path("/data/a.tif"))
    assert info.pixels["urban_land"] == int(np.sum(labels["a"] == 0))
    assert info.hectares["urban_land"] == pytest.approx(info.pixels["urban_land"] / 100)
    assert scene_info(folder / "c_classes.tif").pixels == {}  # no areas file: nothing invented


def test_no_georeferenced_raster(tmp_path: Path) -> None:
    write_class_raster(tmp_path / "x_classes.tif", np.zeros((4, 4), np.uint8), None, None)
    with pytest.raises(LandcoverError, match="no georeferenced class raster"):
        write_stac(tmp_path)
    assert not (tmp_path / "collection.json").exists()
    write_class_raster(
        tmp_path / "y_classes.tif", np.zeros((4, 4), np.uint8), UTM, from_origin(0, 40, 10, 10)
    )
    os.utime(tmp_path / "y_classes.tif", (0, 0))
    item = _load(write_stac(tmp_path).parent / "items" / "y.json")
    assert item["properties"]["datetime"] == "1970-01-01T00:00:00Z"
    assert "gsd" not in item["properties"]  # no areas file: GSD unknown
    _validate(item, "item")
