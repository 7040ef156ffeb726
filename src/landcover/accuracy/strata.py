"""Strata of one or many class rasters: pixels and true ground hectares of each, block by block.

A batch of class rasters (the output of ``landcover predict``) is one map: stratum ``h`` is
the set of pixels of class ``h`` in all of them (or of value ``h`` in the given stratum
rasters, one per map on the same grid). Hectares come from the georeferencing (true ground
area of each row, any CRS) or, for maps of plain pictures, from the GSD that ``predict``
recorded in ``<stem>_areas.json`` beside the map (or ``gsd_m``). Nodata pixels are no stratum.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window

from landcover.errors import InputError, LandcoverIOError
from landcover.io.ground import class_hectares, is_georeferenced, row_pixel_areas
from landcover.io.legend import Legend, read_legend, recorded_gsd
from landcover.io.raster import open_raster

STRIP_ROWS = 512


@dataclass(frozen=True)
class StrataTable:
    """Pixels and hectares of each stratum in each map, and per strip for locating pixels.

    Args:
        maps: the class rasters.
        strata_rasters: the stratum rasters (``None``: strata are the map classes).
        legend: the maps' legend (class names and colours).
        stratum_names: one name per stratum.
        pixels: ``(maps, H)`` pixel counts.
        hectares: ``(maps, H)`` true ground hectares.
        strip_pixels: per map, ``(strips, H)`` pixel counts of each strip of
            :data:`STRIP_ROWS` rows.
    """

    maps: list[Path]
    strata_rasters: list[Path] | None
    legend: Legend
    stratum_names: tuple[str, ...]
    pixels: np.ndarray
    hectares: np.ndarray
    strip_pixels: list[np.ndarray]

    @property
    def num_strata(self) -> int:
        """Number of strata ``H``."""
        return len(self.stratum_names)


def map_legend(maps: Sequence[Path]) -> Legend:
    """The legend shared by all ``maps``; refuses maps whose class names differ."""
    if not maps:
        raise InputError("give at least one class raster")
    first = read_legend(maps[0])
    for p in maps[1:]:
        other = read_legend(p)
        if other.names != first.names:
            raise InputError(f"classes {other.names} differ from those of {maps[0]}", p)
    if not first.names:
        raise InputError("no class names or colour table: not a class raster", maps[0])
    return first


def pixel_areas(src: object, path: Path, gsd_m: float | None) -> tuple[object, float | None]:
    """``(crs, constant pixel m²)`` of an open raster: ``None`` m² when rows differ (degrees)."""
    crs, transform = src.crs, src.transform  # type: ignore[attr-defined]
    if is_georeferenced(crs, transform):
        return crs, None
    gsd = gsd_m if gsd_m is not None else recorded_gsd(path)
    if gsd is None:
        raise InputError(
            "not georeferenced and no GSD recorded beside it (<stem>_areas.json): give --gsd", path
        )
    return None, gsd * gsd


def strips(
    map_path: Path, strata_path: Path | None, gsd_m: float | None
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """``(row0, map labels, stratum labels, m² per row)`` of each strip of a map."""
    try:
        with open_raster(map_path) as src, _maybe_open(strata_path) as st:
            if st is not None and (st.shape != src.shape or st.transform != src.transform):
                raise InputError(f"not on the grid of {map_path}", strata_path)
            crs, const = pixel_areas(src, map_path, gsd_m)
            for row0 in range(0, src.height, STRIP_ROWS):
                n = min(STRIP_ROWS, src.height - row0)
                win = Window(col_off=0, row_off=row0, width=src.width, height=n)
                labels = src.read(1, window=win)
                strata = labels if st is None else st.read(1, window=win)
                if const is None:
                    areas = row_pixel_areas(crs, src.transform, src.width, src.height, row0, n)
                else:
                    areas = np.full(n, const)
                yield row0, labels, strata, areas
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("cannot read this raster", map_path) from e


def _maybe_open(path: Path | None) -> Any:
    """The open stratum raster, or a context that gives ``None``."""
    return contextlib.nullcontext() if path is None else open_raster(path)


def strata_table(
    maps: Sequence[str | Path],
    strata_rasters: Sequence[str | Path] | None = None,
    gsd_m: float | None = None,
) -> StrataTable:
    """Count pixels and hectares of every stratum in every map (one pass, bounded memory)."""
    paths = [Path(p) for p in maps]
    legend = map_legend(paths)
    stratum_paths = None if strata_rasters is None else [Path(p) for p in strata_rasters]
    if stratum_paths is not None and len(stratum_paths) != len(paths):
        raise InputError(
            f"give one stratum raster per map ({len(paths)}), not {len(stratum_paths)}"
        )
    h = legend.num_classes if stratum_paths is None else _stratum_count(stratum_paths)
    names = legend.names if stratum_paths is None else tuple(f"stratum_{i}" for i in range(h))
    pixels, hectares, per_strip = np.zeros((len(paths), h), np.int64), np.zeros((len(paths), h)), []
    for i, p in enumerate(paths):
        rows = []
        sp = None if stratum_paths is None else stratum_paths[i]
        for _, labels, strata, areas in strips(p, sp, gsd_m):
            valid = np.where(_nodata(labels, legend), 255, strata)
            rows.append(np.bincount(valid.ravel(), minlength=256)[:h])
            hectares[i] += class_hectares(valid, areas, h)
        per_strip.append(np.array(rows, np.int64).reshape(-1, h))
        pixels[i] = per_strip[-1].sum(axis=0)
    return StrataTable(paths, stratum_paths, legend, names, pixels, hectares, per_strip)


def _nodata(labels: np.ndarray, legend: Legend) -> np.ndarray:
    """Pixels that are no class (nodata, or values beyond the legend)."""
    return labels >= legend.num_classes


def _stratum_count(paths: Sequence[Path]) -> int:
    """Number of strata: one more than the largest value below 255 in the stratum rasters."""

    top = -1
    for p in paths:
        with open_raster(p) as src:
            for _, win in src.block_windows(1):
                block = src.read(1, window=win)
                block = block[block != (src.nodata if src.nodata is not None else 255)]
                if block.size:
                    top = max(top, int(block.max()))
    if top < 0:
        raise InputError("the stratum rasters hold no stratum", paths[0])
    return top + 1
