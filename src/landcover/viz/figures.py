"""What every figure shares: a white Agg figure, and saving it as PNG atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from landcover.io.atomic import atomic_path


def new_figure(width: float, height: float) -> Any:
    """A white matplotlib ``Figure`` on the Agg canvas (no pyplot, no display)."""
    # matplotlib (~0.3 s) loads only when a figure is drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # matplotlib (~0.3 s) loads only when a figure is drawn

    fig = Figure(figsize=(width, height), facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Any, path: str | Path, dpi: int = 120, tight: bool = False) -> Path:
    """Lay out and save ``fig`` as PNG at ``path`` atomically (white background)."""
    p = Path(path)
    if not tight:
        fig.tight_layout()
    extra = {"bbox_inches": "tight"} if tight else {}
    with atomic_path(p) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, facecolor="white", **extra)
    return p
