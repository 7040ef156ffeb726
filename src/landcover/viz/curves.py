"""Training curves: loss, pixel accuracy and mIoU per epoch, train vs val."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landcover.io.atomic import atomic_path

PANELS = (("loss", "loss"), ("acc", "pixel accuracy"), ("miou", "mIoU"))


def plot_curves(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Draw three panels (loss, accuracy, mIoU) of train and val values per epoch to ``path``.

    Args:
        rows: one dict per epoch with ``epoch`` and ``train_*``/``val_*`` values (NaN = none).
        path: output PNG, written atomically.

    Returns:
        ``path``.
    """
    # A bare Figure on its own Agg canvas: no pyplot, so a notebook's backend and open
    # figures are left alone. matplotlib (~0.3 s) loads only when a figure is drawn.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # matplotlib (~0.3 s) loads only when a figure is drawn

    fig = Figure(figsize=(13, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    epochs = [r["epoch"] for r in rows]
    for ax, (key, title) in zip(axes, PANELS, strict=True):
        for split, style in (("train", "-o"), ("val", "-s")):
            pts = [
                (e, float(r.get(f"{split}_{key}", math.nan)))
                for e, r in zip(epochs, rows, strict=True)
                if not math.isnan(float(r.get(f"{split}_{key}", math.nan)))
            ]
            if pts:
                ax.plot([e for e, _ in pts], [v for _, v in pts], style, ms=3, label=split)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # an empty panel gets no (warning) legend
            ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png", dpi=100)
    return Path(path)
