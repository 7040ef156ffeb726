"""``vectorize``: the polygons of a class raster, with areas, perimeters, confidence and a style.

Steps, each streamed over strips of rows so that memory does not grow with the raster
(:mod:`landcover.gis.polygons`): the minimum mapping unit merges smaller patches into their
largest neighbour on the raster, before polygonizing, so that it leaves no holes
(:mod:`landcover.gis.sieve`); patches are polygonized with 4-connectivity (diagonal
neighbours are two polygons; every class value is kept, 0 included; nodata is not
polygonized); the coverage is simplified with shared borders kept shared
(:func:`shapely.coverage_simplify`); each polygon gets its class, true ground area and
perimeter (:mod:`landcover.gis.measure`) and the mean confidence of its pixels.

The default simplification tolerance is one pixel of the map: a raster pixel, or one pixel of
the model that made it when it is coarser (``predict`` records the model's GSD in the
``LANDCOVER_MODEL_GSD`` tag: a 0.5 m scene mapped by a 1.2 m model has 1.2 m steps).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from landcover.errors import InputError, require_extra
from landcover.gis.measure import Ground
from landcover.gis.merge import Polygons
from landcover.gis.polygons import iter_polygons
from landcover.gis.sieve import Sieve, plan_sieve
from landcover.gis.strips import StripReader
from landcover.gis.styles import add_gpkg_style, vector_qml
from landcover.gis.vector_io import LayerWriter, driver_for
from landcover.io.atomic import prepare_output_file, write_text_atomic
from landcover.io.legend import MODEL_GSD_TAG, Legend, read_legend, recorded_gsd
from landcover.io.progress import CountingBar
from landcover.io.raster import gdal_env


@dataclass
class VectorResult:
    """What :func:`vectorize` wrote.

    Attributes:
        path: the polygon file.
        layer: its layer's name.
        features: polygons written.
        classes: per class present: ``{"value", "name", "polygons", "hectares"}``.
        merged_patches: patches under the minimum mapping unit merged into a neighbour.
        tolerance_px: simplification tolerance used, in pixels (0: none).
        tolerance_m: the same in ground metres, when known.
        confidence: the confidence raster averaged per polygon, if any.
        styles: style files written beside ``path``.
        seconds: wall time.
    """

    path: Path
    layer: str
    features: int = 0
    classes: list[dict[str, Any]] = field(default_factory=list)
    merged_patches: int = 0
    tolerance_px: float = 0.0
    tolerance_m: float | None = None
    confidence: Path | None = None
    styles: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def confidence_beside(classes_tif: str | Path) -> Path | None:
    """``<stem>_confidence.tif`` beside ``<stem>_classes.tif`` (as ``predict`` writes them)."""
    p = Path(classes_tif)
    if not p.name.endswith("_classes.tif"):
        return None
    found = p.with_name(p.name[: -len("_classes.tif")] + "_confidence.tif")
    return found if found.is_file() else None


def vectorize(
    classes_tif: str | Path,
    out: str | Path,
    *,
    mmu_ha: float = 0.0,
    simplify_m: float | None = None,
    confidence_tif: str | Path | None = None,
    gsd_m: float | None = None,
    layer: str | None = None,
    overwrite: bool = False,
    block_rows: int | None = None,
    progress: bool = False,
) -> VectorResult:
    """Write the polygons of a class raster to a GeoPackage, GeoJSON or FlatGeobuf file.

    Args:
        classes_tif: the class raster (e.g. ``predict``'s ``<stem>_classes.tif``).
        out: ``.gpkg``, ``.geojson`` (WGS84 longitude/latitude, RFC 7946) or ``.fgb``.
        mmu_ha: minimum mapping unit in hectares: smaller patches take their largest
            neighbour's class first (0: none).
        simplify_m: simplification tolerance in ground metres; ``None``: one pixel of the
            map (module doc); 0: none (polygons follow pixel edges).
        confidence_tif: a confidence raster on the same grid (uint8, 255 = 1.0) averaged per
            polygon; default: ``<stem>_confidence.tif`` beside ``<stem>_classes.tif``.
        gsd_m: metres per pixel of a raster without georeferencing (areas, ``mmu_ha``);
            default: the GSD ``predict`` recorded in ``<stem>_areas.json`` beside it.
        layer: the layer's name (default: the file's stem).
        overwrite: replace ``out`` (and its ``.qml``) if they exist.
        block_rows: rows per strip (default: about 8 M pixels a strip).
        progress: show a progress bar.

    Returns:
        The file written, its polygon count, hectares per class and the options used.

    Raises:
        InputError: a bad option; GeoJSON or ``mmu_ha`` without the georeferencing they need.
        LandcoverError: unreadable input; outputs that exist and no ``overwrite``; no pyogrio.
    """
    start = time.perf_counter()
    classes_tif, out = Path(classes_tif), Path(out)
    _check_request(out, mmu_ha, simplify_m, overwrite)
    legend = read_legend(classes_tif)
    conf_path = Path(confidence_tif) if confidence_tif else confidence_beside(classes_tif)
    result = VectorResult(out, layer or out.stem, confidence=conf_path)
    with (
        gdal_env(),
        StripReader(classes_tif, block_rows, "class raster") as reader,
    ):
        ground = Ground(reader.grid, gsd_m if gsd_m is not None else recorded_gsd(classes_tif))
        _check_georeferencing(ground, driver_for(out), mmu_ha, classes_tif)
        _set_tolerance(result, simplify_m, ground, reader.tags.get(MODEL_GSD_TAG))
        _write_layer(result, reader, ground, legend, mmu_ha, progress)
    result.styles = [out.with_suffix(".qml")]
    write_text_atomic(result.styles[0], vector_qml(legend))
    result.seconds = time.perf_counter() - start
    return result


def _check_request(out: Path, mmu_ha: float, simplify_m: float | None, overwrite: bool) -> None:
    """pyogrio installed, a known format, sane options, outputs that may be written."""
    require_extra("pyogrio", "gis", "writing polygon files")
    driver_for(out)
    if mmu_ha < 0 or (simplify_m is not None and simplify_m < 0):
        raise InputError(f"--mmu and --simplify must be >= 0, got {mmu_ha} and {simplify_m}")
    prepare_output_file(out, "the polygon file", overwrite)
    prepare_output_file(out.with_suffix(".qml"), "the style file", overwrite)


def _check_georeferencing(ground: Ground, driver: str, mmu_ha: float, path: Path) -> None:
    if driver == "GeoJSON" and not ground.georeferenced:
        raise InputError(
            "GeoJSON is WGS84 longitude/latitude (RFC 7946) and this raster has no CRS; "
            "write .gpkg or .fgb instead",
            path,
        )
    if mmu_ha > 0 and ground.row_areas is None:
        raise InputError("--mmu needs ground areas: a georeferenced raster, or give --gsd", path)


def _set_tolerance(
    result: VectorResult, simplify_m: float | None, ground: Ground, model_gsd: str | None
) -> None:
    """Simplification tolerance in pixels (and metres): see the module doc."""
    gsd = ground.gsd_m
    if simplify_m is None:
        px = 1.0
        if model_gsd and gsd:
            px = max(1.0, float(model_gsd) / gsd)
    elif simplify_m == 0:
        px = 0.0
    elif not gsd:
        raise InputError("--simplify in metres needs a georeferenced raster, or give --gsd")
    else:
        px = simplify_m / gsd
    result.tolerance_px = px
    result.tolerance_m = px * gsd if gsd else None


def _open_confidence(path: Path | None, reader: StripReader) -> StripReader | None:
    """The confidence raster, read in the class raster's strips; refused on another grid."""
    if path is None:
        return None
    rows = reader.strips[0][1] if reader.strips else None
    conf = StripReader(path, rows, "confidence raster")
    a, b = reader.grid, conf.grid
    if (a.width, a.height) != (b.width, b.height) or not a.transform.almost_equals(b.transform):
        conf.close()
        raise InputError("confidence raster is not on the class raster's grid", path)
    return conf


def _write_layer(
    result: VectorResult,
    reader: StripReader,
    ground: Ground,
    legend: Legend,
    mmu_ha: float,
    progress: bool,
) -> None:
    """Sieve, polygonize, measure and write, strip by strip; the GeoPackage gets its style."""
    conf = _open_confidence(result.confidence, reader)
    total = len(reader.strips) * (3 if mmu_ha > 0 else 1)
    quiet = not progress or total < 2
    bar = CountingBar(total, reader.path.name, "strip", disable=quiet)
    try:
        sieve: Sieve | None = None
        if mmu_ha > 0:
            assert ground.row_areas is not None
            sieve = plan_sieve(reader, ground.row_areas, mmu_ha * 1e4, bar.step)
            result.merged_patches = sieve.changed if sieve else 0
        batches = iter_polygons(
            reader,
            sieve=sieve,
            tolerance_px=result.tolerance_px,
            confidence=conf,
            progress=bar.step,
        )
        _write_batches(result, batches, ground, legend, _class_names(legend, reader))
    finally:
        bar.close()
        if conf is not None:
            conf.close()


def _write_batches(
    result: VectorResult,
    batches: Iterable[Polygons],
    ground: Ground,
    legend: Legend,
    names: np.ndarray,
) -> None:
    """Measure and append each batch of polygons; publish the file with its style."""
    crs = ground.grid.crs.to_wkt() if ground.georeferenced else None
    writer = LayerWriter(result.path, result.layer, crs)
    tally = np.zeros((2, len(names)))  # polygons, hectares per class value
    try:
        for polys in batches:
            wkb, columns = feature_columns(polys, ground, names)
            writer.write(wkb, columns)
            tally[0] += np.bincount(polys.classes, minlength=len(names))
            tally[1] += np.bincount(polys.classes, columns["area_ha"], minlength=len(names))
        qml = vector_qml(legend)
        writer.close(lambda gpkg, lyr: add_gpkg_style(gpkg, lyr, qml, "landcover classes"))
    except BaseException:
        writer.abort()
        raise
    result.features = writer.count
    result.classes = [
        {
            "value": int(v),
            "name": str(names[v]),
            "polygons": int(tally[0, v]),
            "hectares": float(tally[1, v]),
        }
        for v in np.flatnonzero(tally[0])
    ]


def _class_names(legend: Legend, reader: StripReader) -> np.ndarray:
    """Names by class value, ``class_<v>`` beyond the legend (up to the dtype's maximum)."""
    top = int(np.iinfo(reader.dtype).max) if reader.dtype.itemsize <= 2 else 1 << 16
    names = [legend.names[v] if v < legend.num_classes else f"class_{v}" for v in range(top + 1)]
    return np.array(names, dtype=object)


def feature_columns(
    polys: Polygons, ground: Ground, names: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """WKB geometries in map coordinates and the attribute columns of a batch of polygons.

    Args:
        polys: polygons in pixel coordinates.
        ground: the raster's georeferencing and ground measures.
        names: class names by value.

    Returns:
        ``(wkb, columns)``: ``class_id``, ``class_name``, ``area_ha``, ``perimeter_m`` and,
        when a confidence raster was read, ``confidence`` (mean, 0-1).
    """
    map_geoms = ground.to_map(polys.geoms)
    columns: dict[str, np.ndarray] = {
        "class_id": polys.classes.astype(np.int32),
        "class_name": names[polys.classes],
        "area_ha": np.round(ground.area_m2(polys.geoms) / 1e4, 6),
        "perimeter_m": np.round(ground.perimeter_m(polys.geoms, map_geoms), 3),
    }
    if polys.confidence_sum is not None:
        mean = polys.confidence_sum / np.maximum(polys.pixels, 1) / 255.0
        columns["confidence"] = np.round(mean, 4)
    return shapely.to_wkb(map_geoms), columns
