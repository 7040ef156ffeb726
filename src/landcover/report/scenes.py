"""The scenes of a ``predict`` run folder and the grid of each: size, CRS, extent, legend.

A scene is a ``<stem>_classes.tif`` with, beside it, whatever ``predict`` wrote for it
(``_color.png``, ``_overlay.jpg``, ``_areas.json``, and with ``--confidence``/``--vector``
``_confidence.tif`` and ``_polygons.gpkg``). The map viewer shows each scene in its own CRS:
:func:`crs_view` gives the code, units and label of an ``ol/proj/Projection``, and
:func:`extent_of` the map extent of the scene's preview.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rasterio

from landcover.errors import InputError, LandcoverIOError
from landcover.io.ground import is_georeferenced
from landcover.io.legend import Legend, legend_from_dataset
from landcover.io.raster import open_raster

CLASSES_SUFFIX = "_classes.tif"


@dataclass(frozen=True)
class SceneFiles:
    """The outputs of one scene in a run folder.

    Attributes:
        stem: the scene's output name.
        classes: its class GeoTIFF.
    """

    stem: str
    classes: Path

    def sibling(self, suffix: str) -> Path | None:
        """``<stem><suffix>`` beside the class raster, or ``None`` when there is none."""
        p = self.classes.with_name(f"{self.stem}{suffix}")
        return p if p.is_file() else None


@dataclass(frozen=True)
class Grid:
    """The grid of a class raster: size, CRS, affine transform and legend."""

    width: int
    height: int
    crs: Any
    transform: Any
    legend: Legend

    @property
    def georeferenced(self) -> bool:
        """Whether the raster has a CRS and a georeferencing transform."""
        return is_georeferenced(self.crs, self.transform)


def find_scenes(run_dir: Path) -> list[SceneFiles]:
    """Every ``<stem>_classes.tif`` in ``run_dir``, sorted by name.

    Raises:
        InputError: when ``run_dir`` holds no class raster.
    """
    found = sorted(
        p for p in run_dir.glob(f"*{CLASSES_SUFFIX}") if p.is_file() and not p.name.startswith(".")
    )
    if not found:
        raise InputError(
            f"no *{CLASSES_SUFFIX} here: not a 'landcover predict' output folder", run_dir
        )
    return [SceneFiles(p.name[: -len(CLASSES_SUFFIX)], p) for p in found]


def read_grid(path: Path) -> Grid:
    """Size, CRS, transform and legend of the class raster at ``path``.

    Raises:
        LandcoverIOError: when the file is not a readable raster.
    """
    try:
        with open_raster(path) as src:
            legend = legend_from_dataset(src)
            return Grid(src.width, src.height, src.crs, src.transform, legend)
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("cannot read this class raster", path) from e


def read_areas(path: Path | None) -> dict[str, Any] | None:
    """A scene's ``_areas.json`` (see :func:`~landcover.inference.areas.area_table`), if any.

    Raises:
        LandcoverIOError: when the file exists but is not JSON.
    """
    if path is None:
        return None
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise LandcoverIOError(f"cannot read this area table ({e})", path) from e
    return table if isinstance(table, dict) else None


def crs_name(crs: Any) -> str:
    """The CRS's name from its WKT (``WGS 84 / UTM zone 33N``), or ``""``."""
    match = re.match(r'\s*\w+\["([^"]*)"', crs.to_wkt())
    return match.group(1) if match else ""


def crs_view(grid: Grid) -> dict[str, Any]:
    """What the map viewer needs to build the scene's ``ol/proj/Projection``.

    Returns:
        ``{"code", "units", "meters_per_unit", "label", "georeferenced"}``; units are
        ``degrees`` for geographic CRSs, ``m`` (with the CRS's metres per unit) for projected
        ones and ``pixels`` (x = column, y = minus the row) without georeferencing.
    """
    if not grid.georeferenced:
        label = "no georeferencing: pixel coordinates (column, row)"
        return {"code": "pixels", "units": "pixels", "meters_per_unit": None, "label": label}
    crs, t = grid.crs, grid.transform
    authority = crs.to_authority()
    code = ":".join(authority) if authority else "local"
    name = crs_name(crs)
    label = f"{code} ({name})" if name and name != "unknown" else code
    if t.b != 0 or t.d != 0 or t.e > 0:
        label += "; rotated or south-up grid, shown north-up (approximate)"
    if crs.is_geographic:
        return {"code": code, "units": "degrees", "meters_per_unit": None, "label": label}
    factor = float(crs.linear_units_factor[1])
    return {"code": code, "units": "m", "meters_per_unit": factor, "label": label}


def extent_of(grid: Grid, step: int, shape: tuple[int, int]) -> list[float]:
    """Map extent ``[minx, miny, maxx, maxy]`` of a preview taking every ``step``-th pixel.

    The preview's ``shape`` ``(h, w)`` covers ``h * step`` rows and ``w * step`` columns of
    the raster (a little past its edge when ``step`` does not divide its size).
    """
    rows, cols = shape[0] * step, shape[1] * step
    if not grid.georeferenced:
        return [0.0, float(-rows), float(cols), 0.0]
    t = grid.transform
    corners = ((0, 0), (cols, 0), (0, rows), (cols, rows))
    xs = [t.a * c + t.b * r + t.c for c, r in corners]
    ys = [t.d * c + t.e * r + t.f for c, r in corners]
    return [float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))]
