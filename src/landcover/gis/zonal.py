"""Land cover per region: hectares and share of each class inside each polygon.

:func:`zonal_table` overlays region polygons (any CRS, reprojected to the raster's) on a class
raster with exactextract, which weighs every pixel by the exact fraction of it that a polygon
covers, so a polygon cutting pixels in half counts half of each. Each pixel is also weighted by
its true ground area (:class:`~landcover.gis.cell_areas.GroundAreaSource`), so the hectares are
ground hectares on UTM and on longitude/latitude grids alike. exactextract reads the raster in
chunks of at most :data:`MAX_CELLS` pixels: memory does not grow with the raster.

Per region the result holds the hectares of each class, the region's total ground area, and the
valid fraction: the share of the region covered by valid (non-nodata) pixels of the raster.
Regions off the raster are kept, with a valid fraction of 0, and named in a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely

from landcover.errors import InputError, LandcoverIOError, require_extra
from landcover.gis.regions import RegionSet, ground_hectares, read_regions, to_crs
from landcover.io.ground import is_georeferenced, row_pixel_areas
from landcover.io.legend import legend_from_dataset
from landcover.io.raster import gdal_env, open_raster

log = logging.getLogger(__name__)

# Pixels exactextract holds at once (class values, coverage, ground areas: ~25 bytes each).
MAX_CELLS = 4_000_000
SHOWN_NAMES = 10


@dataclass(frozen=True)
class ZonalResult:
    """Land cover per region of one class raster.

    Attributes:
        raster: the class raster.
        regions: the regions, as read (geometries in their own CRS).
        class_names: class names, by pixel value.
        hectares: ``(R, K)`` ground hectares of each class in each region.
        total_ha: ``(R,)`` ground area of each region, on or off the raster.
        off_raster: indices of the regions that do not touch the raster.
    """

    raster: Path
    regions: RegionSet
    class_names: tuple[str, ...]
    hectares: np.ndarray
    total_ha: np.ndarray
    off_raster: tuple[int, ...] = ()

    @property
    def valid_ha(self) -> np.ndarray:
        """``(R,)`` hectares of each region covered by valid pixels."""
        return np.asarray(self.hectares.sum(axis=1))

    @property
    def shares(self) -> np.ndarray:
        """``(R, K)`` share of each class in the valid area (NaN where there is none)."""
        valid = self.valid_ha[:, None]
        return np.divide(
            self.hectares, valid, out=np.full_like(self.hectares, np.nan), where=valid > 0
        )

    @property
    def valid_fraction(self) -> np.ndarray:
        """``(R,)`` share of each region's area covered by valid pixels of the raster."""
        total = self.total_ha
        frac = np.divide(self.valid_ha, total, out=np.zeros_like(total), where=total > 0)
        return np.clip(frac, 0.0, 1.0)

    def columns(self) -> list[str]:
        """Column names of :meth:`rows`, in order."""
        names = self.class_names
        return [
            self.regions.key,
            "total_ha",
            "valid_ha",
            "valid_fraction",
            *(f"{c}_ha" for c in names),
            *(f"{c}_share" for c in names),
        ]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per region: its name, areas, valid fraction, class hectares and shares."""
        out = []
        valid, frac, shares = self.valid_ha, self.valid_fraction, self.shares
        for i, rid in enumerate(self.regions.ids):
            row: dict[str, Any] = {
                self.regions.key: rid,
                "total_ha": float(self.total_ha[i]),
                "valid_ha": float(valid[i]),
                "valid_fraction": float(frac[i]),
            }
            row.update(
                {f"{c}_ha": float(self.hectares[i, k]) for k, c in enumerate(self.class_names)}
            )
            row.update({f"{c}_share": float(shares[i, k]) for k, c in enumerate(self.class_names)})
            out.append(row)
        return out


def zonal_table(
    classes_tif: str | Path,
    regions: str | Path | RegionSet,
    *,
    field: str | None = None,
    layer: str | None = None,
    progress: bool = False,
) -> ZonalResult:
    """Hectares and share of each class per region polygon, with exact partial-pixel coverage.

    Args:
        classes_tif: a class raster (as written by ``predict``), georeferenced and north-up.
        regions: a vector file of polygons (any CRS), or regions already read.
        field: attribute naming each region (``None``: feature ids); ignored for a
            :class:`~landcover.gis.regions.RegionSet`.
        layer: layer of the vector file (default: the first).
        progress: show exactextract's progress bar.

    Returns:
        The table; regions off the raster are kept with a valid fraction of 0 (and a warning).

    Raises:
        MissingDependencyError: exactextract or pyogrio (the ``[gis]`` extra) is missing.
        InputError: the raster is not georeferenced or is rotated, or the regions are unusable.
        LandcoverIOError: a file cannot be read.
    """
    require_extra("exactextract", "gis", "land cover per region")

    path = Path(classes_tif)
    region_set = (
        regions
        if isinstance(regions, RegionSet)
        else read_regions(regions, field=field, layer=layer)
    )
    try:
        with gdal_env(), open_raster(path) as src:
            _check_raster(src, path)
            legend = legend_from_dataset(src)
            if legend.num_classes == 0:
                raise InputError("no class names or colour table: not a class raster?", path)
            geoms = _in_raster_crs(region_set, src.crs)
            total = ground_hectares(geoms, src.crs, src.transform, src.width, src.height)
            hectares = _class_hectares(src, geoms, legend.num_classes, progress)
            off = _off_raster(geoms, src.bounds)
    except rasterio.errors.RasterioIOError as e:
        raise LandcoverIOError("cannot read this class raster", path) from e
    result = ZonalResult(path, region_set, legend.names, hectares, total, off)
    _warn_empty(result)
    return result


def _check_raster(src: Any, path: Path) -> None:
    if not is_georeferenced(src.crs, src.transform):
        raise InputError("the class raster is not georeferenced: regions cannot be placed", path)
    if src.transform.b != 0 or src.transform.d != 0:
        raise InputError("rotated rasters are not supported; warp it north-up first", path)


def _in_raster_crs(regions: RegionSet, crs: Any) -> np.ndarray:
    if regions.crs is None:
        log.warning("%s: the regions declare no CRS; taken to be the raster's", regions.path)
        return regions.geometries
    return to_crs(regions.geometries, regions.crs, crs)


def _off_raster(geoms: np.ndarray, bounds: Any) -> tuple[int, ...]:
    extent = shapely.box(*bounds)
    return tuple(
        i for i, g in enumerate(geoms) if g is None or g.is_empty or not g.intersects(extent)
    )


def _class_hectares(src: Any, geoms: np.ndarray, num_classes: int, progress: bool) -> np.ndarray:
    """``(R, K)`` ground hectares of each class under each polygon (exactextract)."""
    from exactextract import exact_extract  # [gis] extra: lazy
    from exactextract.feature import JSONFeatureSource  # [gis] extra: lazy
    from exactextract.operation import Operation  # [gis] extra: lazy
    from exactextract.raster import RasterioRasterSource  # [gis] extra: lazy

    # [gis] extra: lazy (gis.cell_areas imports exactextract)
    from landcover.gis.cell_areas import GroundAreaSource

    out = np.zeros((len(geoms), num_classes), dtype=np.float64)
    features = [
        {"type": "Feature", "properties": {"i": i}, "geometry": shapely.geometry.mapping(g)}
        for i, g in enumerate(geoms)
        if g is not None and not g.is_empty
    ]
    if not features:
        return out
    rows = row_pixel_areas(src.crs, src.transform, src.width, src.height, 0, src.height)
    classes = RasterioRasterSource(src, name="classes")
    areas = GroundAreaSource(src, rows, name="area")
    ops = [
        Operation("unique", "values", classes, areas),
        Operation("weighted_frac", "frac", classes, areas),
        Operation("sum", "valid_m2", areas, None),
    ]
    vec = JSONFeatureSource(features, srs_wkt=src.crs.wkt)
    found = exact_extract(
        classes, vec, ops, include_cols=["i"], max_cells_in_memory=MAX_CELLS, progress=progress
    )
    for feature in found:
        p = feature["properties"]
        values = np.asarray(p["values"], dtype=np.int64)
        known = (values >= 0) & (values < num_classes)
        share = np.asarray(p["frac"], dtype=np.float64)[known]
        np.add.at(out[p["i"]], values[known], share * float(p["valid_m2"]) / 1e4)
    return out


def _warn_empty(result: ZonalResult) -> None:
    """Warn about regions off the raster and regions holding only nodata."""
    ids = result.regions.ids
    off = set(result.off_raster)
    nodata = [i for i in np.flatnonzero(result.valid_ha <= 0) if i not in off]
    for indices, where in ((sorted(off), "lie off the raster"), (nodata, "hold only nodata")):
        if indices:
            names = ", ".join(str(ids[i]) for i in indices[:SHOWN_NAMES])
            more = f" and {len(indices) - SHOWN_NAMES} more" if len(indices) > SHOWN_NAMES else ""
            log.warning(
                "%s: %d region(s) (%s %s%s) %s; kept with valid_fraction 0",
                result.raster,
                len(indices),
                result.regions.key,
                names,
                more,
                where,
            )
