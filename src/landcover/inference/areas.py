"""Area per class of a class map: pixels, fraction of valid pixels and hectares."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from landcover.io.atomic import atomic_write_bytes
from landcover.schema import ClassSchema

CSV_FIELDS = ("image", "output", "class", "pixels", "fraction", "hectares", "gsd_m", "gsd_source")


def area_table(
    counts: np.ndarray,
    schema: ClassSchema,
    gsd_m: float | None,
    nodata_pixels: int = 0,
    *,
    gsd_source: str | None = None,
    hectares: np.ndarray | None = None,
) -> dict[str, Any]:
    """Areas as a JSON-ready dict.

    Args:
        counts: pixels per class.
        schema: the classes.
        gsd_m: metres per pixel used, or ``None``.
        nodata_pixels: pixels left out as nodata.
        gsd_source: where ``gsd_m`` came from (:data:`landcover.inference.gsd.SOURCES`).
        hectares: true ground hectares per class (from georeferencing, latitude-dependent in
            geographic CRSs); default ``counts * gsd_m ** 2``.

    Returns:
        ``{"gsd_m", "gsd_source", "hectares_from", "hectares_estimated", "valid_pixels",
        "nodata_pixels", "classes": [{"index", "name", "pixels", "fraction", "hectares"}]}``;
        ``hectares`` is ``None`` when the GSD is unknown; ``hectares_estimated`` is true when
        they rest on an estimated GSD.
    """
    total = int(counts.sum())
    source: str | None
    if hectares is None and gsd_m is not None:
        hectares = counts.astype(np.float64) * float(gsd_m) ** 2 / 10_000.0
        source = f"pixels x GSD^2 ({gsd_source or 'given'} GSD)"
    else:
        source = None if hectares is None else "georeferencing (true ground area of each row)"
    classes = []
    for i, name in enumerate(schema.classes):
        n = int(counts[i])
        classes.append(
            {
                "index": i,
                "name": name,
                "pixels": n,
                "fraction": n / total if total else 0.0,
                "hectares": None if hectares is None else float(hectares[i]),
            }
        )
    return {
        "gsd_m": gsd_m,
        "gsd_source": gsd_source if gsd_m is not None else "unknown",
        "hectares_from": source,
        "hectares_estimated": source is not None and gsd_source == "estimated",
        "valid_pixels": total,
        "nodata_pixels": int(nodata_pixels),
        "classes": classes,
    }


def write_areas_json(path: str | Path, table: dict[str, Any]) -> Path:
    """Write one scene's area table as JSON, atomically."""
    return atomic_write_bytes(path, json.dumps(table, indent=2).encode("utf-8"))


def write_areas_csv(path: str | Path, tables: dict[str, dict[str, Any]]) -> Path:
    """Write the run's areas as CSV, atomically: one row per output stem and class.

    ``tables`` maps each output stem to its :func:`area_table` (with an ``image`` key).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for stem, table in tables.items():
        gsd = "" if table["gsd_m"] is None else f"{table['gsd_m']:.6g}"
        for c in table["classes"]:
            ha = "" if c["hectares"] is None else f"{c['hectares']:.6f}"
            row = [table.get("image", stem), stem, c["name"], c["pixels"], f"{c['fraction']:.6f}"]
            writer.writerow([*row, ha, gsd, table["gsd_source"]])
    return atomic_write_bytes(path, buf.getvalue().encode("utf-8"))
