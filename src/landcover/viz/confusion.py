"""Confusion-matrix plot: row-normalised, class names on both axes, annotated cells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def normalize_rows(confusion: np.ndarray) -> np.ndarray:
    """Divide each row by its sum (rows without pixels stay 0): recall on the diagonal."""
    cm = np.asarray(confusion, dtype=np.float64)
    sums = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, sums, out=np.zeros_like(cm), where=sums > 0)


def plot_confusion(
    confusion: np.ndarray,
    class_names: Sequence[str],
    ignore_index: int | None = None,
    title: str = "Confusion matrix (rows: truth, normalised)",
) -> Figure:
    """Draw a row-normalised confusion matrix with every cell annotated.

    The ignored class's row (never scored) is left out; its column is kept only when some
    pixels were predicted as it.

    Args:
        confusion: pixel counts ``(K, K)``, rows = truth.
        class_names: the ``K`` class names.
        ignore_index: the ignored class, if any.
        title: figure title.

    Returns:
        A matplotlib figure (not attached to pyplot).
    """
    from matplotlib.figure import Figure  # matplotlib (~0.3 s) loads only when a figure is drawn

    cm = np.asarray(confusion)
    k = cm.shape[0]
    rows = [i for i in range(k) if i != ignore_index]
    cols = [i for i in range(k) if i != ignore_index or cm[:, i].sum() > 0]
    norm = normalize_rows(cm)[np.ix_(rows, cols)]
    size = 1.0 + 0.75 * max(len(rows), len(cols))
    fig = Figure(figsize=(size + 1.5, size))
    ax = fig.add_subplot()
    im = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(len(cols)), [class_names[i] for i in cols], rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), [class_names[i] for i in rows])
    ax.set_xlabel("predicted")
    ax.set_ylabel("truth")
    ax.set_title(title)
    empty = cm.sum(axis=1)[rows] == 0
    for r in range(len(rows)):
        for c in range(len(cols)):
            v = norm[r, c]
            if empty[r]:  # a class absent from the truth has no rate to show
                ax.text(c, r, "-", ha="center", va="center", fontsize=8, color="grey")
                continue
            ax.text(
                c,
                r,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 0.5 else "black",
            )
    fig.tight_layout()
    return fig
