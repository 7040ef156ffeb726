"""Stratified random sampling of pixels from one or many class rasters.

Each stratum's points are spread over the maps in proportion to the stratum's ground area in
each (so that a point stands for the same area wherever it falls), then drawn uniformly without
replacement among that map's pixels of the stratum. Two passes over the rasters, strip by
strip: memory does not grow with the map.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from landcover.accuracy.estimators import allocate, sample_size
from landcover.accuracy.strata import StrataTable, strips
from landcover.errors import InputError

log = logging.getLogger(__name__)

MIN_PER_STRATUM = 50
DEFAULT_USERS_ACCURACY = 0.8


@dataclass(frozen=True)
class Point:
    """One sample pixel: which map, where, its stratum and its map class."""

    map_index: int
    row: int
    col: int
    stratum: int
    map_class: int


def plan_sizes(
    table: StrataTable,
    *,
    total: int | None = None,
    target_se: float | None = None,
    users_accuracy: Sequence[float] | None = None,
    minimum: int = MIN_PER_STRATUM,
) -> list[int]:
    """Points per stratum: a given total, or the one for ``target_se`` of overall accuracy.

    ``users_accuracy``: anticipated user's accuracy per stratum, or one for all (default
    0.8). Rare
    strata get ``minimum`` points (Olofsson et al. 2014 suggest 50-100); the rest follow area.
    """
    area = table.hectares.sum(axis=0)
    if total is None:
        if target_se is None:
            raise InputError("give a sample size or a target standard error")
        ua = list(users_accuracy or [DEFAULT_USERS_ACCURACY])
        ua = ua * table.num_strata if len(ua) == 1 else ua
        if len(ua) != table.num_strata:
            raise InputError(f"give {table.num_strata} anticipated user's accuracies")
        total = sample_size(area, ua, target_se)
    present = int((area > 0).sum())
    if total < minimum * present:
        log.warning(
            "%d points raised to %d: %d points for each of the %d mapped strata "
            "(--min-per-class)", total, minimum * present, minimum, present,
        )  # fmt: skip
        total = minimum * present
    return allocate(total, area, minimum, table.pixels.sum(axis=0))


def draw_ranks(table: StrataTable, sizes: Sequence[int], seed: int) -> list[dict[int, np.ndarray]]:
    """Per map, ``{stratum: sorted ranks}`` of the pixels drawn among its pixels of that stratum."""
    rng = np.random.default_rng(seed)
    ranks: list[dict[int, np.ndarray]] = [{} for _ in table.maps]
    for h, n in enumerate(sizes):
        per_map = _spread(rng, table.hectares[:, h], table.pixels[:, h], n)
        for i, k in enumerate(per_map):
            if k:
                ranks[i][h] = np.sort(rng.choice(int(table.pixels[i, h]), size=k, replace=False))
    return ranks


def _spread(rng: np.random.Generator, area: np.ndarray, pixels: np.ndarray, n: int) -> np.ndarray:
    """``n`` points over the maps in proportion to area, never more than a map's pixels."""
    out = np.zeros(len(area), np.int64)
    left = min(n, int(pixels.sum()))
    while left > 0:
        room = pixels - out
        weights = np.where(room > 0, area, 0.0)
        if weights.sum() <= 0:
            weights = (room > 0).astype(np.float64)
        draw = rng.multinomial(left, weights / weights.sum())
        out += np.minimum(draw, room)
        left = min(n, int(pixels.sum())) - int(out.sum())
    return out


def locate(
    table: StrataTable, ranks: list[dict[int, np.ndarray]], gsd_m: float | None
) -> list[Point]:
    """The pixels at the drawn ranks (second pass over the maps, only strips that hold some)."""
    points: list[Point] = []
    for i, path in enumerate(table.maps):
        if not ranks[i]:
            continue
        before = np.cumsum(table.strip_pixels[i], axis=0) - table.strip_pixels[i]
        stratum_path = None if table.strata_rasters is None else table.strata_rasters[i]
        for s, (row0, labels, strata, _) in enumerate(strips(path, stratum_path, gsd_m)):
            valid = np.where(labels >= table.legend.num_classes, 255, strata)
            for h, r in ranks[i].items():
                local = r[(r >= before[s, h]) & (r < before[s, h] + table.strip_pixels[i][s, h])]
                if not len(local):
                    continue
                flat = np.flatnonzero(valid.ravel() == h)[local - before[s, h]]
                rows, cols = np.divmod(flat, labels.shape[1])
                points += [
                    Point(i, int(row0 + y), int(x), h, int(labels[y, x]))
                    for y, x in zip(rows, cols, strict=True)
                ]
    return sorted(points, key=lambda p: (p.map_index, p.row, p.col))
