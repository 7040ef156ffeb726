"""Area per class of a class map: pixels, fraction of valid pixels and hectares."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from landcover.inference.writers import atomic_write_bytes
from landcover.schema import ClassSchema

CSV_FIELDS = ("image", "class", "pixels", "fraction", "hectares")


def area_table(
    counts: np.ndarray, schema: ClassSchema, gsd_m: float | None, nodata_pixels: int = 0
) -> dict[str, Any]:
    """Areas as a JSON-ready dict.

    Returns:
        ``{"gsd_m", "valid_pixels", "nodata_pixels", "classes": [{"index", "name", "pixels",
        "fraction", "hectares"}]}``; ``hectares`` is ``None`` when the GSD is unknown.
    """
    total = int(counts.sum())
    pixel_ha = None if gsd_m is None else float(gsd_m) ** 2 / 10_000.0
    classes = []
    for i, name in enumerate(schema.classes):
        n = int(counts[i])
        classes.append(
            {
                "index": i,
                "name": name,
                "pixels": n,
                "fraction": n / total if total else 0.0,
                "hectares": None if pixel_ha is None else n * pixel_ha,
            }
        )
    return {
        "gsd_m": gsd_m,
        "valid_pixels": total,
        "nodata_pixels": int(nodata_pixels),
        "classes": classes,
    }


def write_areas_json(path: str | Path, table: dict[str, Any]) -> Path:
    """Write one scene's area table as JSON, atomically."""
    return atomic_write_bytes(path, json.dumps(table, indent=2).encode("utf-8"))


def write_areas_csv(path: str | Path, tables: dict[str, dict[str, Any]]) -> Path:
    """Write the run's areas (one row per image and class) as CSV, atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for image, table in tables.items():
        for c in table["classes"]:
            ha = "" if c["hectares"] is None else f"{c['hectares']:.6f}"
            writer.writerow([image, c["name"], c["pixels"], f"{c['fraction']:.6f}", ha])
    return atomic_write_bytes(path, buf.getvalue().encode("utf-8"))
