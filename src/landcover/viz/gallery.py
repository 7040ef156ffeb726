"""Gallery figures: satellite image | predicted overlay | true overlay, with a class legend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from landcover.inference.writers import overlay as blend
from landcover.schema import ClassSchema

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def overlay(
    image: np.ndarray, labels: np.ndarray, schema: ClassSchema, alpha: float = 0.5
) -> np.ndarray:
    """Class colours of ``schema`` blended over an RGB image (labels outside it unpainted)."""
    return blend(image, labels, schema.palette, alpha)


def plot_comparison(
    image: np.ndarray,
    pred: np.ndarray,
    truth: np.ndarray,
    schema: ClassSchema,
    title: str = "",
    box: tuple[int, int, int, int] | None = None,
    alpha: float = 0.5,
) -> Figure:
    """Three panels (image, predicted overlay, true overlay) and a legend in class colours.

    Args:
        image: satellite image ``(H, W, 3)`` ``uint8``.
        pred: predicted class indices ``(H, W)``.
        truth: mask class indices ``(H, W)``.
        schema: class names and colours.
        title: figure title, e.g. the image name and its scores.
        box: optional ``(row0, col0, row1, col1)`` drawn on both overlays (a flagged area).
        alpha: opacity of the overlays.

    Returns:
        A matplotlib figure (not attached to pyplot).
    """
    from matplotlib.figure import Figure  # matplotlib (~0.3 s) loads only when a figure is drawn

    # matplotlib (~0.3 s) loads only when a figure is drawn
    from matplotlib.patches import Patch, Rectangle

    fig = Figure(figsize=(13, 4.9))
    axes = fig.subplots(1, 3)
    panels = (image, overlay(image, pred, schema, alpha), overlay(image, truth, schema, alpha))
    for ax, panel, name in zip(axes, panels, ("image", "prediction", "mask"), strict=True):
        ax.imshow(panel, interpolation="nearest")
        ax.set_title(name)
        ax.set_axis_off()
    if box is not None:
        r0, c0, r1, c1 = box
        for ax in axes[1:]:
            ax.add_patch(
                Rectangle(
                    (c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, edgecolor="red", linewidth=2
                )
            )
    handles = [
        Patch(facecolor=(c[0] / 255, c[1] / 255, c[2] / 255), edgecolor="black", label=n)
        for n, c in zip(schema.classes, schema.colors, strict=True)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 7), frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig
