"""The report of a ``predict`` run: ``RUN_DIR/index.html`` with its files in ``report_assets/``.

One page that opens from ``file://`` with no network: the run's summary (model, GSD used,
scenes, total hectares per class from ``areas.csv``, a chart of class shares), the map viewer
(OpenLayers, bundled in ``report.js``: each scene in its own CRS with its image, class map,
confidence and polygons, a legend with hectares, a click that tells the class) and a sortable
table of the scenes. ``index.html`` is written last, so its presence means a complete report.
"""

from __future__ import annotations

import csv
import datetime
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landcover import __version__
from landcover.batch.records import read_run
from landcover.errors import LandcoverIOError
from landcover.io.atomic import prepare_output_file, write_text_atomic
from landcover.io.progress import progress_bar
from landcover.report.assets import copy_static, write_js_assignment
from landcover.report.html import (
    Cell,
    esc,
    facts,
    fmt_number,
    fmt_percent,
    number_cell,
    render_page,
    swatch,
    table,
    text_cell,
)
from landcover.report.run_scene import build_scene
from landcover.report.scenes import SceneFiles, find_scenes
from landcover.report.svg import Bar, bar_chart
from landcover.wording import plural

log = logging.getLogger(__name__)

PAGE = "index.html"
RUN_CSV = "areas.csv"


def write_run_report(
    run_dir: str | Path,
    *,
    model: str | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Write the report of the ``predict`` run in ``run_dir``; returns ``run_dir/index.html``.

    Args:
        run_dir: a folder written by ``landcover predict``.
        model: the model's name or file, shown in the summary (default: the model file and
            precision recorded by ``predict`` in ``.landcover/run.json``).
        overwrite: replace an ``index.html`` already there.
        progress: show a progress bar over the scenes.

    Raises:
        InputError: when ``run_dir`` is missing or holds no class raster.
        LandcoverError: when ``index.html`` exists and ``overwrite`` is false, or a file
            cannot be read or written.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise LandcoverIOError("no such folder", run_dir)
    files = run_scenes(run_dir)
    page = prepare_output_file(run_dir / PAGE, "the report page", overwrite)
    assets = copy_static(run_dir)
    scenes = []
    bar = progress_bar(files, "report", "scene", disable=not progress or len(files) < 2)
    for i, f in enumerate(bar):
        scenes.append(build_scene(i, f, run_dir))
    totals = class_totals(run_dir / RUN_CSV, scenes)
    viewer = [{k: v for k, v in s.items() if k != "areas"} for s in scenes]
    write_js_assignment(assets / "report-data.js", "LANDCOVER_REPORT", {"scenes": viewer})
    write_text_atomic(page, run_page(run_dir, scenes, totals, model or recorded_model(run_dir)))
    return page


def recorded_model(run_dir: Path) -> str | None:
    """``file (precision)`` of the model a resumable ``predict`` run recorded, if any."""
    run = read_run(run_dir)
    fp = run.get("fingerprint", {}) if run else {}
    name, precision = fp.get("model_file"), fp.get("options", {}).get("precision")
    return None if not name else f"{name} ({precision})" if precision else name


def run_scenes(run_dir: Path) -> list[SceneFiles]:
    """The run's scenes: the class rasters that ``areas.csv`` lists (outputs of an earlier run
    into the same folder are left out), or every class raster when it lists none of them."""
    files = find_scenes(run_dir)
    if (run_dir / RUN_CSV).is_file():
        listed = {r["output"] for r in _csv_rows(run_dir / RUN_CSV)}
        kept = [f for f in files if f.stem in listed]
        if kept:
            return kept
    return files


def class_totals(areas_csv: Path, scenes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pixels and hectares of each class over the run, from ``areas.csv`` (else the scenes'
    ``_areas.json``). Hectares add up the scenes that have them (a GSD known; ``None`` when
    none has), ``"scenes_without_ha"`` counts the others."""
    rows = _csv_rows(areas_csv) if areas_csv.is_file() else _json_rows(scenes)
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault(r["class"], {"name": r["class"], "pixels": 0, "hectares": None})
        t["pixels"] += int(r["pixels"])
        if r["hectares"] not in ("", None):
            t["hectares"] = (t["hectares"] or 0.0) + float(r["hectares"])
    without = {r["output"] for r in rows if r["hectares"] in ("", None)}
    colors = {e["name"]: e["color"] for s in scenes for e in s["legend"]}
    for t in totals.values():
        t["color"] = colors.get(t["name"], [128, 128, 128])
        t["scenes_without_ha"] = len(without)
    return list(totals.values())


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise LandcoverIOError(f"cannot read ({e.strerror})", path) from e
    if rows and not {"output", "class", "pixels", "hectares"} <= set(rows[0]):
        raise LandcoverIOError("not an area table (columns output, class, pixels, hectares)", path)
    return rows


def _json_rows(scenes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"output": s["stem"], "class": c["name"], "pixels": c["pixels"], "hectares": c["hectares"]}
        for s in scenes
        for c in (s["areas"] or {}).get("classes", [])
    ]


def run_page(
    run_dir: Path,
    scenes: Sequence[dict[str, Any]],
    totals: Sequence[dict[str, Any]],
    model: str | None,
) -> str:
    """The HTML of ``index.html``."""
    by_area = bool(totals) and totals[0]["scenes_without_ha"] == 0
    key = "hectares" if by_area else "pixels"
    whole = sum(t[key] for t in totals) or 1.0
    bars = [Bar(t["name"], t[key] / whole, t["color"], fmt_percent(t[key] / whole)) for t in totals]
    chart_title = "Class shares of the area" if by_area else "Class shares of the pixels"
    return render_page(
        "run.html",
        title=esc(f"Land cover: {run_dir.resolve().name}"),
        subtitle=esc(f"{plural(len(scenes), 'scene')} mapped by landcover; written {_now()}"),
        generator=esc(f"landcover {__version__}"),
        facts=facts(summary_facts(run_dir, scenes, totals, model)),
        chart_title=esc(chart_title),
        chart=bar_chart(bars, chart_title),
        totals=totals_table(totals, key),
        scenes=scenes_table(scenes),
    )


def _now() -> str:
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def summary_facts(
    run_dir: Path,
    scenes: Sequence[dict[str, Any]],
    totals: Sequence[dict[str, Any]],
    model: str | None,
) -> list[tuple[str, str]]:
    """``(label, HTML)`` rows of the summary: model, scenes, GSD used, total area."""
    georef = sum(s["crs"]["units"] != "pixels" for s in scenes)
    without = totals[0]["scenes_without_ha"] if totals else len(scenes)
    known = [t["hectares"] for t in totals if t["hectares"] is not None]
    area = fmt_number(sum(known)) + " ha" if known else "–"
    if 0 < without:
        area += f" (not counting {plural(without, 'scene')} with no known GSD)"
    if any((s["areas"] or {}).get("hectares_estimated") for s in scenes):
        area += " (some rest on an estimated GSD: uncertain)"
    sources = sorted({(s["areas"] or {}).get("hectares_from") or "" for s in scenes} - {""})
    return [
        ("Run folder", esc(run_dir.resolve())),
        ("Model", esc(model) if model else "not recorded in the run folder"),
        ("Scenes", esc(f"{len(scenes)} ({georef} georeferenced)")),
        ("GSD used", esc(gsd_summary(scenes))),
        ("Total area", esc(area)),
        ("Hectares from", esc("; ".join(sources) or "–")),
    ]


def gsd_summary(scenes: Sequence[dict[str, Any]]) -> str:
    """The GSDs used by source: ``2 given (0.5 m), 1 estimated (0.48 m)``."""
    by_source: dict[str, list[float]] = {}
    for s in scenes:
        a = s["areas"] or {}
        values = by_source.setdefault(str(a.get("gsd_source", "unknown")), [])
        if a.get("gsd_m") is not None:
            values.append(float(a["gsd_m"]))
    parts = []
    for source, values in by_source.items():
        n = sum(1 for s in scenes if str((s["areas"] or {}).get("gsd_source", "unknown")) == source)
        span = ""
        if values:
            lo, hi = min(values), max(values)
            span = f" ({lo:.3g} m)" if lo == hi else f" ({lo:.3g}-{hi:.3g} m)"
        parts.append(f"{n} {source}{span}")
    return ", ".join(parts)


def totals_table(totals: Sequence[dict[str, Any]], key: str) -> str:
    """Class, hectares, pixels and share of the run, one row per class."""
    whole = sum(t[key] for t in totals) or 1.0
    rows = [
        [
            Cell(swatch(t["color"]) + esc(t["name"]), t["name"]),
            number_cell(t["hectares"], fmt_number(t["hectares"])),
            number_cell(t["pixels"], f"{t['pixels']:,}"),
            number_cell(t[key] / whole, fmt_percent(t[key] / whole)),
        ]
        for t in totals
    ]
    headers = [("class", False), ("hectares", True), ("pixels", True), ("share", True)]
    return table(headers, rows, table_id="totals")


def scenes_table(scenes: Sequence[dict[str, Any]]) -> str:
    """One row per scene: size, GSD, hectares, main class, share of each class."""
    names = [e["name"] for e in scenes[0]["legend"]] if scenes else []
    with_conf = any(s["mean_confidence"] is not None for s in scenes)
    headers = [("scene", False), ("size (px)", True), ("GSD (m)", True), ("GSD from", False)]
    headers += [("hectares", True), ("main class", False)]
    headers += [(n, True) for n in names]
    headers += [("mean confidence", True)] if with_conf else []
    rows = [_scene_row(s, names, with_conf) for s in scenes]
    attrs = [f'data-scene="{s["index"]}"' for s in scenes]
    return table(headers, rows, row_attrs=attrs, table_id="scene-table")


def _scene_row(s: dict[str, Any], names: Sequence[str], with_conf: bool) -> list[Cell]:
    areas = s["areas"] or {}
    classes = {c["name"]: c for c in areas.get("classes", [])}
    known = [c["hectares"] for c in classes.values()]
    ha = sum(known) if known and None not in known else None
    main = max(classes.values(), key=lambda c: c["pixels"], default=None)
    row = [
        text_cell(s["stem"]),
        number_cell(s["width"] * s["height"], f"{s['width']} x {s['height']}"),
        number_cell(areas.get("gsd_m"), fmt_number(areas.get("gsd_m"), 3)),
        text_cell(areas.get("gsd_source", "–")),
        number_cell(ha, fmt_number(ha)),
        text_cell(f"{main['name']} ({fmt_percent(main['fraction'], 0)})" if main else "–"),
    ]
    for n in names:
        f = classes.get(n, {}).get("fraction")
        row.append(number_cell(f, fmt_percent(f)))
    if with_conf:
        m = s["mean_confidence"]
        row.append(number_cell(m, fmt_percent(m, 0)))
    return row
