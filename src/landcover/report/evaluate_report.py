"""The report of an ``evaluate`` run: ``REPORT/index.html`` over the files ``evaluate`` wrote.

One page with the scores (``metrics.json``), IoU per class, the confusion matrix
(``confusion.csv``, shaded by row, and ``confusion.png``), the galleries (``gallery/*/*.png``),
the per-image table (``per_image.csv``) and the flagged areas (``flags.csv``), so that an
evaluation is reviewed without opening ten files. Images are linked, not copied.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landcover import __version__
from landcover.errors import InputError, LandcoverIOError
from landcover.io.atomic import prepare_output_file, write_text_atomic
from landcover.report.assets import copy_static
from landcover.report.html import (
    Cell,
    esc,
    facts,
    fmt_percent,
    number_cell,
    render_page,
    swatch,
    table,
    text_cell,
    url,
)
from landcover.report.svg import Bar, bar_chart
from landcover.schema import BUILTIN_SCHEMAS

PAGE = "index.html"
GALLERIES = {
    "worst": "Worst images (lowest mIoU)",
    "best": "Best images (highest mIoU)",
    "random": "Random images",
    "flagged": "Largest flagged areas",
}
GREY = (150, 150, 150)


def write_evaluation_report(report_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``report_dir/index.html`` for the evaluation report in ``report_dir``.

    Raises:
        InputError: when ``report_dir`` holds no ``metrics.json`` (not an evaluation report).
        LandcoverError: when ``index.html`` exists and ``overwrite`` is false, or a file
            cannot be read.
    """
    out = Path(report_dir)
    metrics_path = out / "metrics.json"
    if not metrics_path.is_file():
        raise InputError("no metrics.json: not a 'landcover evaluate' report folder", out)
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise LandcoverIOError(f"cannot read ({e})", metrics_path) from e
    page = prepare_output_file(out / PAGE, "the report page", overwrite)
    copy_static(out)
    colors = class_colors(metrics.get("schema"))
    write_text_atomic(page, evaluation_page(out, metrics, colors))
    return page


def class_colors(schema: str | None) -> dict[str, Sequence[int]]:
    """Class colours of a built-in schema by class name (none for other schemas)."""
    s = BUILTIN_SCHEMAS.get(schema or "")
    return {} if s is None else dict(zip(s.classes, s.colors, strict=True))


def evaluation_page(out: Path, m: dict[str, Any], colors: dict[str, Sequence[int]]) -> str:
    """The HTML of the evaluation's ``index.html``."""
    iou = m.get("iou", {})
    bars = [Bar(n, v or 0.0, colors.get(n, GREY), fmt_percent(v)) for n, v in iou.items()]
    confusion_png = ""
    if (out / "confusion.png").is_file():
        confusion_png = '<p><img class="figure" src="confusion.png" alt="confusion matrix"></p>'
    return render_page(
        "evaluation.html",
        title=esc(f"Evaluation: {out.resolve().name}"),
        subtitle=esc(f"model {m.get('model', '?')} on {m.get('images', '?')} images"),
        generator=esc(f"landcover {__version__}"),
        metrics=metric_cards(m),
        facts=facts(evaluation_facts(out, m)),
        iou_chart=bar_chart(bars, "IoU per class"),
        classes=class_table(m, colors),
        confusion=confusion_table(out / "confusion.csv", m.get("ignored_class")),
        confusion_png=confusion_png,
        galleries=galleries(out),
        per_image=csv_table(
            out / "per_image.csv", numeric={"pixels", "pixel_accuracy", "miou", "confused_fraction"}
        ),
        flags=csv_table(
            out / "flags.csv",
            numeric={"area_fraction", "confidence", "row0", "col0", "row1", "col1"},
        ),
    )


def metric_cards(m: dict[str, Any]) -> str:
    """The headline numbers: mIoU, pixel accuracy, frequency-weighted IoU, images, pixels."""
    cards = [
        ("mIoU", fmt_percent(m.get("miou"))),
        ("pixel accuracy", fmt_percent(m.get("pixel_accuracy"))),
        ("frequency-weighted IoU", fmt_percent(m.get("fw_iou"))),
        ("images", f"{m.get('images', 0):,}"),
        ("scored pixels", f"{m.get('pixels', 0):,}"),
        ("images flagged", f"{m.get('flagged_images', 0):,}"),
    ]
    return "".join(
        f'<div class="metric" data-metric="{esc(k)}"><div class="value">{esc(v)}</div>'
        f'<div class="label">{esc(k)}</div></div>'
        for k, v in cards
    )


def evaluation_facts(out: Path, m: dict[str, Any]) -> list[tuple[str, str]]:
    """``(label, HTML)`` rows: report folder, model, schema, GSD, ignored class, failures."""
    failed = m.get("failed") or []
    gsd = m.get("gsd_m")
    gsd_text = f"{gsd:g} m (given)" if isinstance(gsd, int | float) else str(gsd or "unknown")
    return [
        ("Report folder", esc(out.resolve())),
        ("Model", esc(m.get("model", "?"))),
        ("Schema", esc(m.get("schema", "?"))),
        ("GSD", esc(gsd_text)),
        ("Ignored class", esc(m.get("ignored_class") or "none")),
        ("Pairs skipped", esc(len(failed))),
    ]


def class_table(m: dict[str, Any], colors: dict[str, Sequence[int]]) -> str:
    """IoU, precision, recall and F1 of each scored class."""
    kinds = ("iou", "precision", "recall", "f1")
    rows = []
    for name in m.get("iou", {}):
        cells = [Cell(swatch(colors.get(name, GREY)) + esc(name), name)]
        for k in kinds:
            v = m.get(k, {}).get(name)
            cells.append(number_cell(v, fmt_percent(v)))
        rows.append(cells)
    headers = [("class", False), ("IoU", True), ("precision", True), ("recall", True), ("F1", True)]
    return table(headers, rows, table_id="class-scores")


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file (empty when the file is missing)."""
    if not path.is_file():
        return [], []
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise LandcoverIOError(f"cannot read ({e.strerror})", path) from e
    return (rows[0], rows[1:]) if rows else ([], [])


def confusion_table(path: Path, ignored: str | None) -> str:
    """The confusion matrix as a table shaded by each row's share (the ignored class greyed)."""
    header, rows = read_csv(path)
    if not header:
        return '<p class="note">confusion.csv not found.</p>'
    body = []
    for r in rows:
        counts = [int(v) for v in r[1:]]
        total = sum(counts) or 1
        cells = [f"<th>{esc(r[0])}</th>"]
        for j, n in enumerate(counts):
            share = n / total
            style = f"background: rgba(31, 111, 139, {0.85 * share:.3f});"
            style += " color: #fff;" if share > 0.5 else ""
            title = f"{r[0]} predicted as {header[j + 1]}: {n:,} pixels"
            cells.append(
                f'<td style="{style}" title="{esc(title)}" data-count="{n}">'
                f"{esc(fmt_percent(share))}<br><small>{n:,}</small></td>"
            )
        dim = ' class="ignored"' if r[0] == ignored else ""
        body.append(f"<tr{dim}>{''.join(cells)}</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    return (
        f'<div class="table-wrap"><table class="confusion" id="confusion-matrix"><thead><tr>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def csv_table(path: Path, numeric: set[str]) -> str:
    """A sortable table of a CSV file; ``numeric`` columns sort as numbers."""
    header, rows = read_csv(path)
    if not header:
        return f'<p class="note">{esc(path.name)} not found.</p>'
    if not rows:
        return f'<p class="note">{esc(path.name)} has no rows.</p>'
    cols = [h in numeric for h in header]
    body = [
        [number_cell(_float(v), v) if n else text_cell(v) for v, n in zip(r, cols, strict=False)]
        for r in rows
    ]
    return table(list(zip(header, cols, strict=True)), body)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _figure(src: str, caption: str) -> str:
    return (
        f'<figure><a href="{src}"><img src="{src}" alt="{esc(caption)}" loading="lazy"></a>'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def galleries(out: Path) -> str:
    """One figure per gallery PNG, gallery by gallery (worst, best, random, flagged)."""
    parts = []
    for kind, title in GALLERIES.items():
        pngs = sorted((out / "gallery" / kind).glob("*.png"))
        if not pngs:
            continue
        figures = "".join(_figure(url(p.relative_to(out).as_posix()), p.stem) for p in pngs)
        parts.append(
            f'<h3>{esc(title)}</h3><div class="gallery" data-gallery="{esc(kind)}">{figures}</div>'
        )
    return "".join(parts) or '<p class="note">No gallery (run evaluate with --gallery N).</p>'
