"""Figures of the change between two class maps: the from-to heat map and the class flows.

Both take a from-to matrix (rows: before, columns: after) in any unit and leave out the
classes absent from both maps. The heat map colours only the changes (off-diagonal cells) on
their own scale, so that they stay visible beside the much larger unchanged areas, which sit
on the diagonal in boxed grey cells. The flows figure (an alluvial diagram) stacks the classes
of each date as two bars joined by bands as wide as the area moving between them: unchanged
areas pale, changes in the colour of the class they became, as in ``change.tif``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BAR = 0.07  # width of the two bars of the flows figure (the plot spans x = 0..1)
GAP = 0.015  # gap between stacked classes, as a share of the total area
MIN_LABEL = 0.012  # classes under this share of the total are not labelled


def present_classes(matrix: np.ndarray) -> list[int]:
    """Indices of the classes with some area before or after (all when the matrix is empty)."""
    m = np.asarray(matrix)
    keep = [i for i in range(m.shape[0]) if m[i].sum() > 0 or m[:, i].sum() > 0]
    return keep or list(range(m.shape[0]))


def format_amount(value: float, unit: str) -> str:
    """An area or pixel count, short: ``12,345``, ``12.3``, ``0.42``."""
    if unit == "pixels" or value >= 100:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"


def plot_change_matrix(matrix: np.ndarray, class_names: Sequence[str], unit: str) -> Figure:
    """Heat map of a from-to matrix, every cell annotated, the diagonal boxed in grey.

    Args:
        matrix: ``(K, K)`` areas or pixel counts; rows before, columns after.
        class_names: the ``K`` class names.
        unit: the unit of ``matrix`` (``"ha"`` or ``"pixels"``), for labels.

    Returns:
        A matplotlib figure (not attached to pyplot).
    """
    from matplotlib.figure import Figure  # matplotlib (~0.3 s) loads only when a figure is drawn

    # matplotlib (~0.3 s) loads only when a figure is drawn
    from matplotlib.patches import Rectangle

    m = np.asarray(matrix, dtype=np.float64)
    keep = present_classes(m)
    sub = m[np.ix_(keep, keep)]
    changes = np.ma.masked_array(sub, mask=np.eye(len(keep), dtype=bool))
    top = float(changes.max()) if changes.count() and changes.max() > 0 else 1.0
    size = 1.5 + 0.8 * len(keep)
    fig = Figure(figsize=(size + 1.8, size))
    ax = fig.add_subplot()
    im = ax.imshow(changes, cmap="OrRd", vmin=0.0, vmax=top)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=f"changed area ({unit})")
    for r in range(len(keep)):
        ax.add_patch(
            Rectangle((r - 0.5, r - 0.5), 1, 1, facecolor="0.88", edgecolor="0.2", linewidth=1.5)
        )
        for c in range(len(keep)):
            dark = r != c and sub[r, c] > 0.6 * top
            ax.text(
                c,
                r,
                format_amount(sub[r, c], unit),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else ("black" if sub[r, c] > 0 else "0.6"),
            )
    labels = [class_names[i] for i in keep]
    ax.set_xticks(range(len(keep)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(keep)), labels)
    ax.set_xlabel("after (second date)")
    ax.set_ylabel("before (first date)")
    changed, total = m.sum() - np.trace(m), m.sum()
    share = f" ({changed / total:.1%})" if total > 0 else ""
    ax.set_title(
        f"From-to matrix ({unit}); grey diagonal: unchanged\n"
        f"changed: {format_amount(changed, unit)} of {format_amount(total, unit)} {unit}{share}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def plot_change_flows(
    matrix: np.ndarray, class_names: Sequence[str], colors: np.ndarray, unit: str
) -> Figure:
    """Alluvial diagrams of a from-to matrix: all area, and the changed area alone.

    Left: the classes of each date as stacked bars joined by bands as wide as the area moving
    between them (unchanged areas pale). Right: the same without the unchanged areas, so that
    the changes fill the panel: losses of each class on the left, gains on the right.

    Args:
        matrix: ``(K, K)`` areas or pixel counts; rows before, columns after.
        class_names: the ``K`` class names.
        colors: ``(K, 3)`` uint8 class colours.
        unit: the unit of ``matrix``, for labels.

    Returns:
        A matplotlib figure (not attached to pyplot).
    """
    from matplotlib.figure import Figure  # matplotlib (~0.3 s) loads only when a figure is drawn

    m = np.asarray(matrix, dtype=np.float64)
    keep = present_classes(m)
    sub = m[np.ix_(keep, keep)]
    rgb = np.asarray(colors, dtype=np.float64)[keep] / 255.0
    labels = [class_names[i] for i in keep]
    changes = sub.copy()
    np.fill_diagonal(changes, 0.0)
    fig = Figure(figsize=(12, 2.0 + 0.55 * len(keep)))
    whole, moved = fig.subplots(1, 2)
    _alluvial(whole, sub, rgb, labels, unit, "all area (pale bands: unchanged)")
    _alluvial(moved, changes, rgb, labels, unit, "changed area only (losses → gains)")
    total, changed = float(sub.sum()), float(changes.sum())
    share = f" ({changed / total:.1%})" if total > 0 else ""
    fig.suptitle(
        f"Land-cover flows, before → after: {format_amount(changed, unit)} {unit} changed"
        f"{share}; bands take the colour of the class they become"
    )
    fig.tight_layout()
    return fig


def _alluvial(
    ax: Any, sub: np.ndarray, rgb: np.ndarray, labels: Sequence[str], unit: str, title: str
) -> None:
    """Draw one alluvial diagram of ``sub`` (rows before, columns after) on ``ax``."""
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    total = float(sub.sum())
    if total <= 0:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
        return
    gap = GAP * total
    left = _stack_tops(sub.sum(axis=1), gap)
    right = _stack_tops(sub.sum(axis=0), gap)
    _draw_flows(ax, sub, left.copy(), right.copy(), rgb)
    _draw_bar(ax, 0.0, left, sub.sum(axis=1), rgb, labels, total, unit, "right")
    _draw_bar(ax, 1.0 - BAR, right, sub.sum(axis=0), rgb, labels, total, unit, "left")
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-4 * gap, total + gap * len(labels))
    for x, text in ((BAR / 2, "before"), (1 - BAR / 2, "after")):
        ax.text(x, -gap, text, ha="center", va="top", weight="bold", fontsize=9)


def _stack_tops(sizes: np.ndarray, gap: float) -> np.ndarray:
    """Top y of each stacked segment, the first at the top, ``gap`` between segments."""
    heights = sizes + gap
    return np.asarray(heights[::-1].cumsum()[::-1] - gap, dtype=np.float64)


def _draw_flows(
    ax: Any, sub: np.ndarray, left: np.ndarray, right: np.ndarray, rgb: np.ndarray
) -> None:
    """Bands from each 'before' segment to each 'after' segment, as wide as the area moved."""
    x = np.linspace(BAR, 1.0 - BAR, 60)
    s = (1.0 - np.cos(np.pi * (x - BAR) / (1.0 - 2 * BAR))) / 2.0
    for i in range(sub.shape[0]):
        for j in range(sub.shape[1]):
            v = sub[i, j]
            if v <= 0:
                continue
            upper = left[i] + (right[j] - left[i]) * s
            same = i == j
            color = rgb[j] * 0.35 + 0.65 * 0.85 if same else _visible(rgb[j])
            ax.fill_between(
                x, upper - v, upper, color=color, alpha=0.55 if same else 0.8, linewidth=0
            )
            left[i] -= v
            right[j] -= v


def _visible(color: np.ndarray) -> np.ndarray:
    """A colour darkened if it is too light to see on white (DeepGlobe's barren land)."""
    light = float(np.dot(color, (0.299, 0.587, 0.114)))
    return color * 0.75 if light > 0.9 else color


def _draw_bar(
    ax: Any,
    x: float,
    tops: np.ndarray,
    sizes: np.ndarray,
    rgb: np.ndarray,
    labels: Sequence[str],
    total: float,
    unit: str,
    side: str,
) -> None:
    """One stacked bar of class segments, labelled with name, amount and share."""
    # matplotlib (~0.3 s) loads only when a figure is drawn
    from matplotlib.patches import Rectangle

    for k, (top, size) in enumerate(zip(tops, sizes, strict=True)):
        if size <= 0:
            continue
        ax.add_patch(
            Rectangle((x, top - size), BAR, size, facecolor=rgb[k], edgecolor="0.3", linewidth=0.6)
        )
        if size / total < MIN_LABEL:
            continue
        tx = x - 0.015 if side == "right" else x + BAR + 0.015
        text = f"{labels[k]}\n{format_amount(size, unit)} {unit} ({size / total:.0%})"
        ax.text(tx, top - size / 2, text, ha=side, va="center", fontsize=8)
