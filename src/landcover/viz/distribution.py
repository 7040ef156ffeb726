"""Bar chart of the class distribution, in the class colours, readable on a white page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from landcover.viz.figures import new_figure, save_png

EDGE_COLOR = "#333333"


def plot_class_distribution(
    classes: Sequence[str],
    fractions: Sequence[float],
    colors: Sequence[tuple[int, int, int]],
    path: str | Path,
    title: str = "Class distribution",
    ignored: int | None = None,
) -> Path:
    """Draw one bar per class (its share of pixels, in percent) and save it as PNG atomically.

    Every bar has a dark edge so that light classes (DeepGlobe's white ``barren_land``) stay
    visible on the white background; the ignored class, if any, is hatched and labelled.

    Args:
        classes, fractions, colors: class names in index order, their shares of pixels (0..1)
            and RGB colours.
        path, title: the PNG file to write; the chart title.
        ignored: index of the class left out of metrics, or ``None``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    fig = new_figure(max(6.0, 0.9 * len(classes) + 2), 4.5)
    ax = fig.add_subplot()
    ax.set_facecolor("white")
    percents = [100.0 * f for f in fractions]
    labels = [f"{n}\n(ignored)" if i == ignored else n for i, n in enumerate(classes)]
    bars = ax.bar(
        range(len(classes)),
        percents,
        color=[tuple(v / 255 for v in c) for c in colors],
        edgecolor=EDGE_COLOR,
        linewidth=1.2,
    )
    if ignored is not None:
        bars[ignored].set_hatch("//")
    for bar, pct in zip(bars, percents, strict=True):
        ax.annotate(
            f"{pct:.1f}%",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_xticks(range(len(classes)), labels, rotation=30, ha="right", fontsize=9)
    ax.set_ylabel("share of pixels (%)")
    ax.set_ylim(0, max(percents + [1.0]) * 1.15)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return save_png(fig, path)
