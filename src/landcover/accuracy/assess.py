"""``landcover assess``: accuracy and error-adjusted areas from labelled sample points.

The points come from ``landcover sample`` (CSV or GeoPackage) with their ``reference`` filled in
(a class name or index), or their reference is read from mask rasters for a quick check. Points
whose reference is empty, or the schema's ignored class (e.g. DeepGlobe's ``unknown``), are left
out and counted. Strata sizes are re-measured from the maps, and every point's map class is
checked against the map, so a map changed since sampling is refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from landcover.accuracy.estimators import AccuracyResult, StratifiedSample, estimate_accuracy
from landcover.accuracy.points import read_points
from landcover.accuracy.strata import StrataTable, strata_table
from landcover.errors import InputError
from landcover.io.masks import read_mask_labels
from landcover.io.raster import open_raster
from landcover.schema import get_schema


@dataclass(frozen=True)
class Assessment:
    """An accuracy assessment: the estimates, in hectares, and what was left out."""

    result: AccuracyResult
    class_names: tuple[str, ...]
    mapped_ha: np.ndarray
    total_ha: float
    units_used: int
    left_out: dict[str, int]
    counts: np.ndarray

    def adjusted_ha(self) -> list[tuple[float, float]]:
        """Error-adjusted hectares of each class and the standard error, in hectares."""
        return [(p.value * self.total_ha, p.se * self.total_ha) for p in self.result.proportions]


def assess(
    points: str | Path,
    maps: Sequence[str | Path] | None = None,
    *,
    strata: Sequence[str | Path] | None = None,
    reference_masks: Sequence[str | Path] | None = None,
    schema: str | None = None,
    gsd_m: float | None = None,
) -> Assessment:
    """Estimate accuracy and areas from labelled points (see the module docstring).

    Args:
        points: the file written by ``landcover sample`` with ``reference`` filled in.
        maps: the class rasters sampled (default: those recorded in ``<stem>_design.json``).
        strata: the stratum rasters, when the sample was stratified by them (default: as
            recorded).
        reference_masks: label rasters, one per map on its grid, read instead of the
            ``reference`` column (a quick check against ground-truth masks).
        schema: the class schema of the masks (default: the maps' legend).
        gsd_m: metres per pixel for maps not georeferenced and without ``_areas.json``.
    """
    points = Path(points)
    maps, strata = _design_paths(points, maps, strata)
    rows = read_points(points)
    table = strata_table(maps, strata, gsd_m)
    classes = table if strata is None else strata_table(maps, None, gsd_m)
    index = _map_index(rows, table.maps, points)
    _check_map_classes(rows, index, table.maps, points)
    if reference_masks is not None:
        refs = _mask_references(rows, index, reference_masks, table, schema)
    else:
        refs = [_reference(r, table.legend.names, points) for r in rows]
    return _estimate(rows, refs, table, classes.hectares.sum(axis=0), schema)


def _design_paths(
    points: Path, maps: Sequence[str | Path] | None, strata: Sequence[str | Path] | None
) -> tuple[list[Path], list[Path] | None]:
    """The maps and strata given, else those recorded by ``sample`` beside the points."""
    design = points.with_name(f"{points.stem}_design.json")
    record = json.loads(design.read_text()) if design.is_file() else {}
    if not maps:
        if "maps" not in record:
            raise InputError(f"give the maps (--map): no {design.name} beside the points", points)
        maps = record["maps"]
    if strata is None and record.get("strata_rasters"):
        strata = record["strata_rasters"]
    return [Path(p) for p in maps], None if strata is None else [Path(p) for p in strata]


def _map_index(rows: list[dict[str, str]], maps: list[Path], points: Path) -> list[int]:
    """Which of ``maps`` each point lies on (by path, else by file name)."""
    by_path = {str(p.resolve()): i for i, p in enumerate(maps)}
    by_name = {p.name: i for i, p in enumerate(maps)}
    out = []
    for r in rows:
        p = Path(r["map"])
        i = by_path.get(str(p.resolve()), by_name.get(p.name))
        if i is None:
            raise InputError(
                f"point {r.get('id', '?')} lies on {p}, which is not among the maps", points
            )
        out.append(i)
    return out


def _pixels_at(path: Path, cells: list[tuple[int, int]]) -> np.ndarray:
    """Values of band 1 of ``path`` at ``(row, col)`` cells, one small read each."""
    with open_raster(path) as src:
        return np.array(
            [
                int(src.read(1, window=Window(col_off=c, row_off=r, width=1, height=1))[0, 0])
                for r, c in cells
            ]
        )


def _check_map_classes(
    rows: list[dict[str, str]], index: list[int], maps: list[Path], points: Path
) -> None:
    """Refuse points whose recorded map class is not what the map holds now."""
    for i, path in enumerate(maps):
        mine = [r for r, j in zip(rows, index, strict=True) if j == i]
        if not mine:
            continue
        now = _pixels_at(path, [(int(r["row"]), int(r["col"])) for r in mine])
        recorded = np.array([int(r["map_class"]) for r in mine])
        if (now != recorded).any():
            raise InputError(
                f"{int((now != recorded).sum())} points' map class differs from {path}: the map "
                "changed since sampling; draw a new sample",
                points,
            )


def _reference(row: dict[str, str], names: tuple[str, ...], points: Path) -> int | None:
    """A point's reference label (class name or index) as a class index; ``None`` if empty."""
    v = row.get("reference", "").strip()
    if not v:
        return None
    if v in names:
        return names.index(v)
    if v.isdigit() and int(v) < len(names):
        return int(v)
    raise InputError(
        f"point {row.get('id', '?')}: reference {v!r} is no class (classes: {', '.join(names)})",
        points,
    )


def _schema(table: StrataTable, name: str | None) -> object | None:
    """The class schema of the maps (by name), or ``None`` when it is not a known one."""
    try:
        return get_schema(name or table.legend.schema)
    except Exception:  # noqa: BLE001 - an unknown schema only means no ignored class
        if name:
            raise
        return None


def _mask_references(
    rows: list[dict[str, str]],
    index: list[int],
    masks: Sequence[str | Path],
    table: StrataTable,
    schema_name: str | None,
) -> list[int | None]:
    """Reference classes read from mask rasters (one per map, same grid) at the points."""
    if len(masks) != len(table.maps):
        raise InputError(f"give one reference mask per map ({len(table.maps)}), not {len(masks)}")
    schema = _schema(table, schema_name)
    if schema is None:
        raise InputError("the maps' classes are no known schema: give --schema for the masks")
    refs: list[int | None] = [None] * len(rows)
    for i, (mask, path) in enumerate(zip(masks, table.maps, strict=True)):
        labels = read_mask_labels(mask, schema, log_warning=False).labels  # type: ignore[arg-type]
        with open_raster(path) as src:
            if labels.shape != src.shape:
                raise InputError(f"mask {labels.shape} and map {src.shape} differ in size", mask)
        for k, r in enumerate(rows):
            if index[k] == i:
                refs[k] = int(labels[int(r["row"]), int(r["col"])])
    return refs


def _estimate(
    rows: list[dict[str, str]],
    refs: list[int | None],
    table: StrataTable,
    mapped_ha: np.ndarray,
    schema_name: str | None,
) -> Assessment:
    """The stratified estimates from the points that have a usable reference."""
    schema = _schema(table, schema_name)
    ignored = getattr(schema, "ignore_index", None)
    k = table.legend.num_classes
    keep = [i for i, r in enumerate(refs) if r is not None and r != ignored and r < k]
    left_out = {
        "no reference": sum(r is None for r in refs),
        "ignored class": sum(r is not None and (r == ignored or r >= k) for r in refs),
    }
    sample = StratifiedSample(
        np.array([int(rows[i]["stratum"]) for i in keep], np.int64),
        np.array([int(rows[i]["map_class"]) for i in keep], np.int64),
        np.array([refs[i] for i in keep], np.int64),
        table.hectares.sum(axis=0),
        k,
        stratum_units=table.pixels.sum(axis=0),
    )
    counts = np.zeros((k, k), np.int64)
    np.add.at(counts, (sample.mapped, sample.reference), 1)
    return Assessment(
        estimate_accuracy(sample),
        table.legend.names,
        mapped_ha,
        float(table.hectares.sum()),
        len(keep),
        left_out,
        counts,
    )
