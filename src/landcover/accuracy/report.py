"""Write an accuracy assessment: JSON for machines, CSV tables, a figure, Markdown and HTML."""

from __future__ import annotations

import csv
import html
import io
import json
import math
from pathlib import Path
from typing import Any

from landcover.accuracy.assess import Assessment
from landcover.accuracy.estimators import Estimate
from landcover.io.atomic import prepare_output_dir, write_text_atomic
from landcover.viz.accuracy import plot_areas

OUTPUTS = (
    "accuracy.json",
    "areas.csv",
    "error_matrix.csv",
    "areas.png",
    "report.md",
    "report.html",
)


def _num(v: float) -> float | None:
    return None if math.isnan(v) else round(v, 6)


def _est(e: Estimate, scale: float = 1.0) -> dict[str, Any]:
    lo, hi = e.ci()
    return {
        "value": _num(e.value * scale),
        "se": _num(e.se * scale),
        "ci95": [_num(lo * scale), _num(hi * scale)],
    }


def assessment_record(a: Assessment) -> dict[str, Any]:
    """The assessment as a JSON-ready dict (``null`` where not estimable)."""
    r = a.result
    classes = []
    for i, name in enumerate(a.class_names):
        classes.append(
            {
                "name": name,
                "mapped_ha": round(float(a.mapped_ha[i]), 4),
                "adjusted_ha": _est(r.proportions[i], a.total_ha),
                "users_accuracy": _est(r.users[i]),
                "producers_accuracy": _est(r.producers[i]),
                "units_mapped": int(a.counts[i].sum()),
                "units_referenced": int(a.counts[:, i].sum()),
            }
        )
    return {
        "method": "stratified estimators of Stehman (2014) / Olofsson et al. (2014); 95 % CI",
        "total_ha": round(a.total_ha, 4),
        "units_used": a.units_used,
        "units_left_out": a.left_out,
        "overall_accuracy": _est(r.overall),
        "quantity_disagreement": round(r.quantity_disagreement, 6),
        "allocation_disagreement": round(r.allocation_disagreement, 6),
        "classes": classes,
        "error_matrix_area_proportions": [[round(float(v), 6) for v in row] for row in r.matrix],
        "error_matrix_counts": a.counts.tolist(),
        "warnings": r.warnings,
    }


def _pct(e: dict[str, Any]) -> str:
    if e["value"] is None:
        return "n/a"
    return f"{e['value']:.3f} ± {e['value'] - e['ci95'][0]:.3f}"


def _ha(e: dict[str, Any]) -> str:
    if e["value"] is None:
        return "n/a"
    return f"{e['value']:,.1f} ± {e['value'] - e['ci95'][0]:,.1f}"


def areas_csv(record: dict[str, Any]) -> str:
    """Per class: mapped and error-adjusted hectares with 95 % CI, user's and producer's."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["class", "mapped_ha", "adjusted_ha", "adjusted_ci_low", "adjusted_ci_high",
         "users_accuracy", "users_ci_low", "users_ci_high",
         "producers_accuracy", "producers_ci_low", "producers_ci_high"]
    )  # fmt: skip
    for c in record["classes"]:
        adj, ua, pa = c["adjusted_ha"], c["users_accuracy"], c["producers_accuracy"]
        w.writerow(
            [c["name"], c["mapped_ha"], adj["value"], *adj["ci95"],
             ua["value"], *ua["ci95"], pa["value"], *pa["ci95"]]
        )  # fmt: skip
    return buf.getvalue()


def matrix_csv(record: dict[str, Any]) -> str:
    """The error matrix in estimated area proportions: rows map, columns reference."""
    names = [c["name"] for c in record["classes"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["map \\ reference", *names, "total"])
    for name, row in zip(names, record["error_matrix_area_proportions"], strict=True):
        w.writerow([name, *row, round(sum(row), 6)])
    cols = list(zip(*record["error_matrix_area_proportions"], strict=True))
    w.writerow(["total", *[round(sum(c), 6) for c in cols], 1.0])
    return buf.getvalue()


def markdown(record: dict[str, Any]) -> str:
    """A report a person can hand on: summary, per-class table, figure, method."""
    oa = record["overall_accuracy"]
    left = ", ".join(f"{v} {k}" for k, v in record["units_left_out"].items() if v) or "none"
    lines = [
        "# Accuracy and area assessment",
        "",
        f"- Sample units used: **{record['units_used']}** (left out: {left})",
        f"- Overall accuracy: **{_pct(oa)}** (95 % confidence interval)",
        f"- Quantity disagreement: {record['quantity_disagreement']:.3f}; allocation "
        f"disagreement: {record['allocation_disagreement']:.3f} (Pontius and Millones 2011)",
        f"- Mapped area: {record['total_ha']:,.1f} ha",
        "",
        "| class | mapped ha | error-adjusted ha (95 % CI) | user's accuracy | "
        "producer's accuracy | points mapped / referenced |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in record["classes"]:
        lines.append(
            f"| {c['name']} | {c['mapped_ha']:,.1f} | {_ha(c['adjusted_ha'])} | "
            f"{_pct(c['users_accuracy'])} | {_pct(c['producers_accuracy'])} | "
            f"{c['units_mapped']} / {c['units_referenced']} |"
        )
    lines += ["", "![mapped and error-adjusted areas](areas.png)", ""]
    lines += [f"> warning: {w}" for w in record["warnings"]]
    lines += [
        "",
        "Method: stratified random sample; error matrix in estimated area proportions; "
        "stratified estimators of Stehman (2014, IJRS 35:4923-4939), which are those of "
        "Olofsson et al. (2014, RSE 148:42-57) when the strata are the map classes. "
        "n/a: no sample point to estimate from.",
    ]
    return "\n".join(lines) + "\n"


def html_page(md: str) -> str:
    """The Markdown report as a plain HTML page (tables, figure; no scripts, no network)."""
    body, table = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            if not set(line) <= set("|-: "):
                table.append([html.escape(c.strip()) for c in line.strip("|").split("|")])
            continue
        if table:
            head, *rest = table
            body.append(
                "<table><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rest)
                + "</table>"
            )  # fmt: skip
            table = []
        body.append(_html_line(line))
    style = "body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .6em}"
    style += (
        "table{border-collapse:collapse}td{text-align:right}tr:nth-child(even){background:#eee}"
    )
    return f"<!doctype html><meta charset=utf-8><title>Accuracy</title><style>{style}</style>" + (
        "\n".join(body)
    )


def _html_line(line: str) -> str:
    text = html.escape(line)
    text = text.replace("**", "")
    if line.startswith("# "):
        return f"<h1>{text[2:]}</h1>"
    if line.startswith("- "):
        return f"<li>{text[2:]}</li>"
    if line.startswith("!["):
        return '<img src="areas.png" alt="mapped and error-adjusted areas" width="720">'
    if line.startswith("&gt; "):
        return f"<p><b>{text[5:]}</b></p>"
    return f"<p>{text}</p>" if text else ""


def write_report(a: Assessment, out: str | Path, overwrite: bool = False) -> list[Path]:
    """Write ``accuracy.json``, ``areas.csv``, ``error_matrix.csv``, ``areas.png``,
    ``report.md`` and ``report.html`` into the folder ``out``."""
    folder = prepare_output_dir(out, OUTPUTS, overwrite)
    record = assessment_record(a)
    md = markdown(record)
    texts = {
        "accuracy.json": json.dumps(record, indent=2),
        "areas.csv": areas_csv(record),
        "error_matrix.csv": matrix_csv(record),
        "report.md": md,
        "report.html": html_page(md),
    }
    for name, text in texts.items():
        write_text_atomic(folder / name, text)
    plot_areas(record, folder / "areas.png")
    return [folder / n for n in OUTPUTS]
