"""Write the tables, JSON and figures of a :class:`~landcover.gis.change_stats.ChangeResult`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from landcover.gis.change_codes import change_dtype
from landcover.gis.change_stats import QUANTITIES, ChangeResult, ChangeStats, change_stats
from landcover.io.atomic import write_text_atomic
from landcover.viz.change import plot_change_flows, plot_change_matrix
from landcover.viz.figures import save_png


def write_change_outputs(result: ChangeResult) -> tuple[Path, ...]:
    """Write the matrices, summary, JSON and figures into ``result.out_dir``.

    Returns:
        The files written (``matrix_ha.csv`` only for georeferenced maps).
    """
    out, names = result.out_dir, result.legend.names
    written = []
    if result.hectares is not None:
        written.append(_write(out / "matrix_ha.csv", matrix_csv(result.hectares, names)))
    written.append(_write(out / "matrix_pixels.csv", matrix_csv(result.pixels, names)))
    written.append(_write(out / "summary.csv", summary_csv(result)))
    text = json.dumps(change_json(result), indent=2, ensure_ascii=False) + "\n"
    written.append(_write(out / "change.json", text))
    unit, colors = result.unit, result.legend.colors
    fig = plot_change_matrix(result.matrix, names, unit)
    written.append(save_png(fig, out / "change_matrix.png", tight=True))
    fig = plot_change_flows(result.matrix, names, colors, unit)
    written.append(save_png(fig, out / "change_flows.png", tight=True))
    return tuple(written)


def _write(path: Path, text: str) -> Path:
    write_text_atomic(path, text)
    return path


def matrix_csv(matrix: np.ndarray, names: Sequence[str]) -> str:
    """A from-to matrix as CSV: a header of 'after' classes, one row per 'before' class."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["before \\ after", *names])
    for name, row in zip(names, np.asarray(matrix), strict=True):
        w.writerow([name, *(_num(v) for v in row)])
    return buf.getvalue()


def summary_csv(result: ChangeResult) -> str:
    """Per class: before, after, persistence, gain, loss, net, swap in hectares and pixels."""
    tables = _unit_stats(result)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["class", *(f"{q}_{u}" for u in tables for q in QUANTITIES)])
    for k, name in enumerate(result.legend.names):
        w.writerow([name, *(_num(getattr(s, q)[k]) for s in tables.values() for q in QUANTITIES)])
    return buf.getvalue()


def change_json(result: ChangeResult) -> dict[str, Any]:
    """The content of ``change.json``: inputs, matrices, per-class figures and totals."""
    tables = _unit_stats(result)
    k = result.legend.num_classes
    dtype, nodata = change_dtype(k)
    per_class = {
        name: {f"{q}_{u}": _num(getattr(s, q)[i]) for u, s in tables.items() for q in QUANTITIES}
        for i, name in enumerate(result.legend.names)
    }
    return {
        "before": str(result.before),
        "after": str(result.after),
        "aligned": result.aligned,
        "classes": list(result.legend.names),
        "matrix_pixels": result.pixels.tolist(),
        "matrix_ha": None if result.hectares is None else _rounded(result.hectares),
        "per_class": per_class,
        "totals": {u: {q: _num(v) for q, v in s.totals().items()} for u, s in tables.items()},
        "change_raster": {
            "file": "change.tif",
            "code": f"before * {k} + after",
            "dtype": dtype,
            "nodata": nodata,
        },
    }


def _unit_stats(result: ChangeResult) -> dict[str, ChangeStats]:
    """Change statistics by unit: ``ha`` (when georeferenced) and ``pixels``."""
    tables = {} if result.hectares is None else {"ha": change_stats(result.hectares)}
    tables["pixels"] = change_stats(result.pixels)
    return tables


def _num(v: Any) -> int | float:
    """Whole numbers as ints (pixel counts), others rounded to 6 decimals."""
    f = float(v)
    return int(round(f)) if f.is_integer() else round(f, 6)


def _rounded(matrix: np.ndarray) -> list[list[int | float]]:
    return [[_num(v) for v in row] for row in np.asarray(matrix)]
