"""Mapped against error-adjusted area per class, with 95 % confidence intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from landcover.viz.figures import new_figure, save_png


def plot_areas(record: dict[str, Any], path: str | Path) -> Path:
    """Two bars per class (mapped hectares; error-adjusted hectares with its 95 % CI) as PNG.

    Args:
        record: :func:`landcover.accuracy.report.assessment_record`.
        path: the PNG to write (atomically).
    """
    classes = record["classes"]
    names = [c["name"] for c in classes]
    mapped = np.array([c["mapped_ha"] for c in classes], float)
    adjusted = np.array([c["adjusted_ha"]["value"] or 0.0 for c in classes], float)
    low = np.array([c["adjusted_ha"]["ci95"][0] or 0.0 for c in classes], float)
    x = np.arange(len(names))
    fig = new_figure(max(6.0, 1.1 * len(names) + 2), 4.8)
    ax = fig.add_subplot()
    ax.bar(x - 0.2, mapped, 0.4, label="mapped", color="#bbbbbb", edgecolor="#333333")
    ax.bar(
        x + 0.2, adjusted, 0.4, yerr=adjusted - low, capsize=4, label="error-adjusted (95 % CI)",
        color="#3b7dd8", edgecolor="#333333",
    )  # fmt: skip
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=9)
    ax.set_ylabel("hectares")
    oa = record["overall_accuracy"]
    ax.set_title(
        f"Mapped and error-adjusted area (overall accuracy {oa['value']:.3f}, "
        f"n = {record['units_used']})",
        fontsize=10,
    )
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return save_png(fig, path)
