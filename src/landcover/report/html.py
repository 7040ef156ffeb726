"""Small HTML builders for the report pages: escaping, tables, figures and the page templates.

Pages are :class:`string.Template` files in ``templates/`` (package data) whose ``$names`` are
filled with HTML fragments built here; every text that comes from data goes through
:func:`esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template
from urllib.parse import quote


def esc(text: object) -> str:
    """``text`` as HTML text (quotes escaped too, so it may go into an attribute)."""
    return html.escape(str(text), quote=True)


def url(path: str) -> str:
    """A relative file path as a URL (each part percent-encoded: spaces, ``#``, ``%``)."""
    return "/".join(quote(part) for part in path.split("/"))


def render_page(template: str, **fragments: str) -> str:
    """Fill the page template ``templates/<template>`` with HTML ``fragments``.

    Raises:
        KeyError: when the template names a fragment not given.
    """
    text = resources.files("landcover.report").joinpath("templates", template).read_text("utf-8")
    return Template(text).substitute(fragments)


def fmt_number(value: float | None, digits: int = 2) -> str:
    """A number with thousands separators, or an en dash when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def fmt_percent(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage, or an en dash when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f} %"


@dataclass(frozen=True)
class Cell:
    """One table cell: its HTML, the key it sorts by, and whether it is a number."""

    html: str
    sort: str | None = None
    numeric: bool = False


def text_cell(text: object) -> Cell:
    """A cell holding plain text."""
    return Cell(esc(text))


def number_cell(value: float | None, shown: str) -> Cell:
    """A right-aligned cell showing ``shown`` and sorting by ``value`` (empty when unknown)."""
    key = "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(value)
    return Cell(esc(shown), key, True)


def table(
    headers: Sequence[tuple[str, bool]],
    rows: Iterable[Sequence[Cell]],
    *,
    css: str = "sortable",
    row_attrs: Sequence[str] | None = None,
    table_id: str = "",
) -> str:
    """An HTML table; ``headers`` are ``(text, numeric)``; ``row_attrs`` extra ``<tr>`` attributes.

    A ``sortable`` table is sorted by the report's script when a header is clicked.
    """
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>" for h, n in headers
    )
    body = []
    for i, row in enumerate(rows):
        attrs = f" {row_attrs[i]}" if row_attrs else ""
        cells = "".join(_td(c) for c in row)
        body.append(f"<tr{attrs}>{cells}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (
        f'<table class="{esc(css)}"{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{chr(10).join(body)}\n</tbody></table>"
    )


def _td(cell: Cell) -> str:
    css = ' class="num"' if cell.numeric else ""
    sort = f' data-sort="{esc(cell.sort)}"' if cell.sort is not None else ""
    return f"<td{css}{sort}>{cell.html}</td>"


def swatch(color: Sequence[int]) -> str:
    """A small square of an RGB colour."""
    r, g, b = (int(c) for c in color[:3])
    return f'<span class="swatch" style="background: rgb({r}, {g}, {b})"></span>'


def facts(items: Iterable[tuple[str, str]]) -> str:
    """A definition list of ``(label, HTML value)`` pairs."""
    body = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items)
    return f'<dl class="facts">{body}</dl>'
