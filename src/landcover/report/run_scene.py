"""One scene of a run report: its layers and data files in ``report_assets/``, and the
description the map viewer reads (``window.LANDCOVER_REPORT.scenes[i]``).

Per scene ``i`` (files named by number, so any output name is a safe URL):
``scene-NNN.js`` (the class raster on the preview grid, the confidence and the polygons, loaded
when the scene is shown), ``scene-NNN-image.jpg`` (the input image's preview), and when needed
``scene-NNN-classes.png`` and ``scene-NNN-doubt.png`` (more opaque where the model was unsure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from landcover.report.assets import ASSETS_DIR, encode_raster, write_js_call
from landcover.report.html import url
from landcover.report.layers import (
    class_layer,
    confidence_preview,
    image_preview,
    write_doubt_png,
    write_jpeg,
)
from landcover.report.polygons import read_polygons
from landcover.report.scenes import Grid, SceneFiles, crs_view, extent_of, read_areas, read_grid

SCENE_DATA_FUNCTION = "landcoverSceneData"


def build_scene(index: int, files: SceneFiles, run_dir: Path) -> dict[str, Any]:
    """Write scene ``index``'s assets into ``run_dir/report_assets/``; return its description.

    Returns:
        ``{"index", "stem", "title", "width", "height", "preview": [w, h], "step", "crs",
        "extent", "image_url", "base_note", "classes_url", "doubt_url", "data_url",
        "has_polygons", "mean_confidence", "legend", "areas"}``; URLs are relative to the page.
    """
    assets = run_dir / ASSETS_DIR
    prefix = f"scene-{index:03d}"
    grid = read_grid(files.classes)
    areas = read_areas(files.sibling("_areas.json"))
    labels, classes_png, step = class_layer(files, grid, assets / f"{prefix}-classes.png")
    confidence = confidence_preview(files.sibling("_confidence.tif"), step, labels.shape)
    polygons = read_polygons(files.sibling("_polygons.gpkg"), grid)
    data = {
        "labels": encode_raster(labels),
        "confidence": None if confidence is None else encode_raster(confidence),
        "polygons": polygons,
    }
    write_js_call(assets / f"{prefix}.js", SCENE_DATA_FUNCTION, index, data)
    image_url, base_note = _base_layer(files, areas, run_dir, grid, step, assets / prefix)
    doubt_url = None
    if confidence is not None:
        doubt = write_doubt_png(
            assets / f"{prefix}-doubt.png", confidence, labels, len(grid.legend.names)
        )
        doubt_url = _rel(doubt, run_dir)
    return {
        "index": index,
        "stem": files.stem,
        "title": files.stem,
        "width": grid.width,
        "height": grid.height,
        "preview": [int(labels.shape[1]), int(labels.shape[0])],
        "step": step,
        "crs": crs_view(grid),
        "extent": extent_of(grid, step, labels.shape),
        "image_url": image_url,
        "base_note": base_note,
        "classes_url": _rel(classes_png, run_dir),
        "doubt_url": doubt_url,
        "data_url": f"{ASSETS_DIR}/{prefix}.js",
        "has_polygons": polygons is not None,
        "mean_confidence": _mean_confidence(confidence, labels, len(grid.legend.names)),
        "legend": legend_entries(grid, areas),
        "areas": areas,
    }


def _rel(path: Path, run_dir: Path) -> str:
    return url(path.relative_to(run_dir).as_posix())


def _base_layer(
    files: SceneFiles,
    areas: dict[str, Any] | None,
    run_dir: Path,
    grid: Grid,
    step: int,
    prefix: Path,
) -> tuple[str | None, str]:
    """The URL of the layer under the class map and a note on what it is."""
    rgb = image_preview(areas, run_dir, grid, step)
    if rgb is not None:
        path = write_jpeg(prefix.with_name(f"{prefix.name}-image.jpg"), rgb)
        return _rel(path, run_dir), "Under the class map: the input image."
    overlay = files.sibling("_overlay.jpg")
    if overlay is not None:
        note = "Under the class map: the overlay (the input image was not found)."
        return _rel(overlay, run_dir), note
    return None, "No image under the class map (neither the input image nor the overlay found)."


def _mean_confidence(confidence: np.ndarray | None, labels: np.ndarray, k: int) -> float | None:
    """Mean top-class probability over the classified preview pixels, or ``None``."""
    if confidence is None:
        return None
    valid = labels < k
    return float(confidence[valid].mean() / 255.0) if valid.any() else None


def legend_entries(grid: Grid, areas: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One entry per class of the raster's legend, with its pixels, share and hectares from
    ``_areas.json`` (``None`` when unknown)."""
    by_index = {c["index"]: c for c in (areas or {}).get("classes", [])}
    entries = []
    for i, name in enumerate(grid.legend.names):
        c = by_index.get(i, {})
        entries.append(
            {
                "index": i,
                "name": name,
                "color": [int(v) for v in grid.legend.colors[i]],
                "pixels": c.get("pixels"),
                "fraction": c.get("fraction"),
                "hectares": c.get("hectares"),
            }
        )
    return entries
