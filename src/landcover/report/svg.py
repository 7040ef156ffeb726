"""Inline SVG bar charts for the report pages (no script, no network: they print too).

Figures made with matplotlib live in :mod:`landcover.viz`; these are a few lines of SVG text
that scale with the page and keep the class colours exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from landcover.report.html import esc

ROW_H = 22
LABEL_W = 150
BAR_W = 300
VALUE_W = 150


@dataclass(frozen=True)
class Bar:
    """One bar: its label, length as a fraction of the full width, colour and value text."""

    label: str
    fraction: float
    color: Sequence[int]
    value: str


def bar_chart(bars: Sequence[Bar], title: str) -> str:
    """A horizontal bar chart, one row per bar, bars scaled so that 1.0 fills the width."""
    height = ROW_H * len(bars) + 6
    width = LABEL_W + BAR_W + VALUE_W
    rows = []
    for i, b in enumerate(bars):
        y = 3 + i * ROW_H
        w = max(0.0, min(1.0, b.fraction)) * BAR_W
        r, g, bl = (int(c) for c in b.color[:3])
        rows.append(
            f'<g data-label="{esc(b.label)}">'
            f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end">{esc(b.label)}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 6}" '
            f'fill="rgb({r},{g},{bl})" stroke="rgba(0,0,0,0.35)" stroke-width="1"/>'
            f'<text class="value" x="{LABEL_W + w + 6:.1f}" y="{y + 15}">{esc(b.value)}</text>'
            "</g>"
        )
    return (
        f'<svg class="chart" role="img" aria-label="{esc(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{esc(title)}</title>{''.join(rows)}</svg>"
    )
