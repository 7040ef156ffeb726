"""STAC as input: an Item, an ItemCollection, a Catalog or a Collection -> the images to map.

A ``.json`` input (a local path or a URL) is read with pystac: an Item, an ItemCollection (what
a STAC API search returns), or a static Catalog/Collection (every Item below it). Each Item's
RGB asset is mapped: ``--asset KEY``, else ``visual``, ``rgb`` or ``image``, else the one asset
whose roles include ``visual``. Relative asset hrefs are resolved against the Item's own
location, else the document that holds it, as STAC says. Problems (unreadable or invalid JSON,
an Item without such an asset) are one line naming the document or the Item, before any work.

The run keeps, per output stem, the source Item's link, datetime and geometry
(``OUT/.landcover/stac_sources.json``), so that the run's own STAC Items link back to their
sources (``derived_from``) and carry their acquisition datetime and footprint.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError
from urllib.parse import urljoin, urlparse

from landcover.batch.stac import SceneInfo
from landcover.errors import InputError, LandcoverIOError
from landcover.io.atomic import write_text_atomic
from landcover.io.remote import http_reason

if TYPE_CHECKING:
    import pystac

SOURCES_FILE = "stac_sources.json"
DEFAULT_ASSETS = ("visual", "rgb", "image")
STAC_TYPES = {"Feature", "FeatureCollection", "Catalog", "Collection"}


@dataclass(frozen=True)
class StacSource:
    """One STAC Item to map.

    Attributes:
        item_id: the Item's id.
        item_href: where the Item is (its ``self`` link, else the document that holds it).
        image: the chosen asset's absolute href (URL or path): the input mapped.
        datetime: the Item's ``datetime`` (RFC 3339), if any.
        geometry: the Item's GeoJSON geometry, if any.
    """

    item_id: str
    item_href: str
    image: str
    datetime: str | None
    geometry: dict[str, Any] | None


def is_stac(item: str | Path) -> bool:
    """Whether an input names a STAC JSON document (by its ``.json`` suffix)."""
    return urlparse(str(item)).path.lower().endswith(".json")


def expand_stac(
    inputs: Sequence[str | Path], asset: str | None = None
) -> tuple[list[str | Path], list[StacSource]]:
    """Replace each STAC document among ``inputs`` by its Items' images, in place.

    Returns:
        The inputs (others unchanged) and the STAC sources, in order.

    Raises:
        InputError: a document that is not STAC, an Item without the asset.
        LandcoverIOError: a document that cannot be read.
    """
    if asset is not None and not any(is_stac(i) for i in inputs):
        raise InputError("--asset applies to STAC inputs (.json Items, ItemCollections, catalogs)")
    expanded: list[str | Path] = []
    sources: list[StacSource] = []
    for item in inputs:
        if not is_stac(item):
            expanded.append(item)
            continue
        found = read_stac(str(item), asset)
        sources += found
        expanded += [s.image for s in found]
    return expanded, sources


def read_stac(source: str, asset: str | None = None) -> list[StacSource]:
    """The Items of one STAC document (local path or URL) with their RGB asset."""
    location = source if urlparse(source).scheme in ("http", "https") else _local(source)
    data = _load(location)
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in STAC_TYPES:
        raise InputError("not a STAC Item, ItemCollection, Catalog or Collection", source)
    items = _items(data, kind, location, source)
    if not items:
        raise InputError("holds no STAC Item", source)
    return [_source(i, location, asset) for i in items]


def _local(source: str) -> str:
    path = Path(source)
    if not path.is_file():
        raise LandcoverIOError("no such file", path)
    return str(path.resolve())


def _load(location: str) -> Any:
    # Lazy: pystac (~0.01 s) loads only when an input is STAC, not for every predict run.
    import pystac

    try:
        return json.loads(pystac.StacIO.default().read_text(location))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON ({e})", location) from e
    except Exception as e:  # pystac's reader wraps urllib's and OS errors in plain Exception
        cause = e.__cause__ or e.__context__
        reason = http_reason(cause.code) if isinstance(cause, HTTPError) else _short(cause or e)
        raise LandcoverIOError(f"cannot read ({reason})", location) from e


def _items(data: dict[str, Any], kind: str, location: str, source: str) -> list[pystac.Item]:
    # Lazy: pystac (~0.01 s) loads only when an input is STAC, not for every predict run.
    import pystac
    from pystac.errors import STACError, STACTypeError

    try:
        if kind == "Feature":
            item = pystac.Item.from_dict(data)
            if not item.get_self_href():
                item.set_self_href(location)
            return [item]
        if kind == "FeatureCollection":
            return list(pystac.ItemCollection.from_dict(data))
        catalog = pystac.read_file(location)
        if not isinstance(catalog, pystac.Catalog):
            raise InputError("not a STAC Catalog or Collection", location)
        return list(catalog.get_items(recursive=True))
    except InputError:
        raise
    except (STACError, STACTypeError, KeyError, TypeError, ValueError) as e:
        raise InputError(f"not valid STAC ({_short(e)})", source) from e


def _source(item: pystac.Item, location: str, asset: str | None) -> StacSource:
    base = item.get_self_href() or location
    key = choose_asset(item, asset, base)
    href = item.assets[key].href
    image = href if _absolute(href) else urljoin(base, href)
    when = item.properties.get("datetime")
    return StacSource(item.id, base, image, when, item.geometry)


def choose_asset(item: pystac.Item, asset: str | None, where: str) -> str:
    """The key of the Item's asset to map: ``asset``, else the RGB one (see module doc)."""
    keys = sorted(item.assets)
    if asset is not None:
        if asset not in item.assets:
            raise InputError(
                f"item {item.id!r} has no asset {asset!r} (it has: {_list(keys)})", where
            )
        return asset
    for key in DEFAULT_ASSETS:
        if key in item.assets:
            return key
    visual = [k for k in keys if "visual" in (item.assets[k].roles or [])]
    if len(visual) == 1:
        return visual[0]
    raise InputError(
        f"item {item.id!r} has no RGB asset ('visual'); choose one with --asset "
        f"(it has: {_list(keys)})",
        where,
    )


def _absolute(href: str) -> bool:
    return bool(urlparse(href).scheme) or href.startswith("/")


def _list(keys: Iterable[str]) -> str:
    return ", ".join(keys) or "no assets"


def _short(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0][:160]


def write_sources(records: Path, by_stem: Mapping[str, StacSource]) -> None:
    """Add the sources of this run's stems to ``records/stac_sources.json`` (kept across runs)."""
    if not by_stem:
        return
    known = read_sources(records)
    known.update(by_stem)
    text = json.dumps({k: asdict(v) for k, v in sorted(known.items())}, indent=1)
    write_text_atomic(records / SOURCES_FILE, text + "\n")


def read_sources(records: Path) -> dict[str, StacSource]:
    """The STAC sources of a run's stems (none when the run had no STAC input)."""
    path = records / SOURCES_FILE
    if not path.is_file():
        return {}
    return {k: StacSource(**v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def with_sources(records: Path, scenes: Sequence[SceneInfo]) -> list[SceneInfo]:
    """``scenes`` with their source Item's link, datetime and footprint, where they have one."""
    sources = read_sources(records)
    return [_with_source(s, sources.get(s.stem)) for s in scenes]


def _with_source(scene: SceneInfo, source: StacSource | None) -> SceneInfo:
    if source is None:
        return scene
    when = datetime.fromisoformat(source.datetime) if source.datetime else None
    return replace(scene, acquired=when, source_item=source.item_href, footprint=source.geometry)
