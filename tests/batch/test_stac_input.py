"""STAC Items, ItemCollections and catalogs as ``predict`` inputs, served on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import pytest

from landcover.batch.runner import ModelSpec, predict_many
from landcover.batch.stac_input import expand_stac, read_stac
from landcover.cli import main
from landcover.errors import InputError, LandcoverIOError
from tests.batch.test_stac import _validate as validate
from tests.helpers import class_rasters
from tests.inference.conftest import make_onnx
from tests.io.test_remote import write_cog
from tests.remote_servers import RangeServer

SQUARE = {"type": "Polygon", "coordinates": [[[9, 36], [9.01, 36], [9.01, 36.01], [9, 36]]]}


def item(item_id: str, assets: dict[str, str], self_href: str | None = None) -> dict[str, Any]:
    """A STAC 1.1 Item dict with ``assets`` ``{key: href}`` (role ``data``)."""
    links = [] if self_href is None else [{"rel": "self", "href": self_href}]
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": item_id,
        "geometry": SQUARE,
        "bbox": [9, 36, 9.01, 36.01],
        "properties": {"datetime": f"2024-06-0{len(item_id)}T10:30:00Z"},
        "links": links,
        "assets": {
            k: {"href": h, "type": "image/tiff", "roles": ["data"]} for k, h in assets.items()
        },
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[RangeServer]:
    root = tmp_path / "www"
    write_cog(root / "s1" / "visual.tif", 160, 150, seed=1)
    write_cog(root / "s22" / "visual.tif", 120, 140, seed=2)
    with RangeServer(root) as server:
        search = {
            "type": "FeatureCollection",
            "features": [
                # hrefs relative to the Item's own location ...
                item(
                    "s1",
                    {"visual": "../s1/visual.tif", "nir": "x.tif"},
                    server.url("items/s1.json"),
                ),
                item("s22", {"visual": "s22/visual.tif"}),  # ... or to the search's
            ],
        }
        (root / "search.json").write_text(json.dumps(search))
        yield server


@pytest.mark.slow
def test_item_collection_over_http_on_a_local_dask_cluster(
    tmp_path: Path, served: RangeServer
) -> None:
    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    local = [served.root / "s1/visual.tif", served.root / "s22/visual.tif"]
    predict_many(local, tmp_path / "local", model=model, progress=False)
    run = predict_many(
        [served.url("search.json")],
        tmp_path / "out",
        model=model,
        executor="local:2",
        progress=False,
    )
    assert not run.failures and sorted(s.stem for s in run.scenes) == ["s1_visual", "s22_visual"]
    a, b = class_rasters(tmp_path / "local"), class_rasters(tmp_path / "out")
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
    s1 = json.loads((tmp_path / "out/items/s1_visual.json").read_text())
    s22 = json.loads((tmp_path / "out/items/s22_visual.json").read_text())
    derived = {
        i["id"]: [x["href"] for x in i["links"] if x["rel"] == "derived_from"] for i in (s1, s22)
    }
    assert derived == {
        "s1_visual": [served.url("items/s1.json")],
        "s22_visual": [served.url("search.json")],
    }
    assert s1["properties"]["datetime"] == "2024-06-02T10:30:00Z"
    assert s22["properties"]["datetime"] == "2024-06-03T10:30:00Z"
    assert s1["geometry"] == SQUARE and s1["bbox"] == [9, 36, 9.01, 36.01]
    for stac_item in (s1, s22):
        validate(stac_item, "item")  # STAC 1.1 and its extensions, offline
    done = json.loads((tmp_path / "out/.landcover/done/s1_visual.json").read_text())
    assert done["input"] == served.url("s1/visual.tif")


def test_item_and_static_catalog_on_disk(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(item("one", {"visual": "img/one.tif"})))
    assert [(s.item_id, s.image) for s in read_stac(str(tmp_path / "one.json"))] == [
        ("one", str(tmp_path / "img/one.tif"))
    ]
    catalog = pystac.Catalog("cat", "test catalog")
    for name in ("a", "b"):
        when = datetime(2024, 1, 1, tzinfo=UTC)
        stac_item = pystac.Item(name, SQUARE, [9, 36, 9.01, 36.01], when, {})
        stac_item.add_asset("image", pystac.Asset(f"./{name}.tif", roles=["data"]))
        catalog.add_item(stac_item)
    catalog.normalize_hrefs(str(tmp_path / "cat"))
    catalog.save(pystac.CatalogType.SELF_CONTAINED)
    found = read_stac(str(tmp_path / "cat/catalog.json"))
    assert [(s.item_id, s.image) for s in found] == [
        ("a", str(tmp_path / "cat/a/a.tif")),
        ("b", str(tmp_path / "cat/b/b.tif")),
    ]
    inputs, sources = expand_stac(["x.png", str(tmp_path / "cat/catalog.json")])
    assert inputs == ["x.png", str(tmp_path / "cat/a/a.tif"), str(tmp_path / "cat/b/b.tif")]
    assert sources == found


def test_bad_stac_inputs_are_one_line_naming_the_document_or_item(
    tmp_path: Path, served: RangeServer
) -> None:
    search = served.url("search.json")
    with pytest.raises(InputError) as e:
        read_stac(search, "red")
    assert (
        str(e.value)
        == f"{served.url('items/s1.json')}: item 's1' has no asset 'red' (it has: nir, visual)"
    )
    with pytest.raises(InputError, match="item 's22' has no asset 'nir' \\(it has: visual\\)"):
        read_stac(search, "nir")
    (tmp_path / "none.json").write_text(json.dumps(item("bare", {"thumb": "t.png"})))
    with pytest.raises(InputError, match="item 'bare' has no RGB asset \\('visual'\\); choose one"):
        read_stac(str(tmp_path / "none.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="bad.json: not valid JSON"):
        read_stac(str(tmp_path / "bad.json"))
    (tmp_path / "geo.json").write_text(json.dumps({"type": "Point", "coordinates": [0, 0]}))
    with pytest.raises(InputError, match="not a STAC Item, ItemCollection, Catalog or Collection"):
        read_stac(str(tmp_path / "geo.json"))
    broken = item("x", {"visual": "v.tif"})
    del broken["properties"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    with pytest.raises(InputError, match="broken.json: not valid STAC"):
        read_stac(str(tmp_path / "broken.json"))
    with pytest.raises(LandcoverIOError, match=r"gone.json: cannot read \(not found \(HTTP 404"):
        read_stac(served.url("gone.json"))
    with pytest.raises(InputError, match="--asset applies to STAC inputs"):
        expand_stac(["a.tif"], "visual")


def test_cli_asset_option(
    tmp_path: Path, served: RangeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_onnx(tmp_path / "tiny.onnx")
    args = [
        "predict",
        served.url("search.json"),
        "--model",
        str(model),
        "--out",
        str(tmp_path / "o"),
    ]
    assert main([*args, "--asset", "nir"]) != 0
    assert "item 's22' has no asset 'nir'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main([*args, "--asset", "visual", "--no-estimate"]) == 0
    assert sorted(p.name for p in (tmp_path / "o").glob("*_classes.tif")) == [
        "s1_visual_classes.tif",
        "s22_visual_classes.tif",
    ]
