"""Write an evaluation report: ``metrics.json``, ``confusion.csv``, ``per_image.csv``,
``flags.csv`` and figures, each atomically; and format the printed summary."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from landcover.evaluation.flags import Flag
from landcover.evaluation.metrics import Scores
from landcover.evaluation.per_image import ImageScore
from landcover.io.atomic import atomic_path, write_text_atomic
from landcover.schema import ClassSchema

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def save_figure(fig: Figure, path: str | Path, dpi: int = 100) -> None:
    """Save a matplotlib figure as PNG atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")


def _num(v: float) -> float | None:
    """JSON-safe float: NaN becomes ``None`` (``null``)."""
    v = float(v)
    return None if math.isnan(v) else round(v, 6)


def metrics_dict(s: Scores, schema: ClassSchema, images: int) -> dict[str, Any]:
    """The content of ``metrics.json``: set-level scores, per-class scores by class name.

    Per-class entries cover the scored classes (all but the ignored one); a class absent from
    both truth and prediction has ``null`` scores and is left out of ``miou``.
    """
    names = [schema.classes[i] for i in schema.scored_indices]

    def per_class(a: np.ndarray) -> dict[str, float | None]:
        return {n: _num(a[i]) for n, i in zip(names, schema.scored_indices, strict=True)}

    return {
        "schema": schema.name,
        "ignored_class": None
        if schema.ignore_index is None
        else schema.classes[schema.ignore_index],
        "images": int(images),
        "pixels": int(s.pixels),
        "pixel_accuracy": _num(s.pixel_accuracy),
        "miou": _num(s.miou),
        "fw_iou": _num(s.fw_iou),
        "iou": per_class(s.iou),
        "precision": per_class(s.precision),
        "recall": per_class(s.recall),
        "f1": per_class(s.f1),
    }


def write_metrics_json(path: str | Path, metrics: dict[str, Any]) -> None:
    """Write ``metrics`` (from :func:`metrics_dict`, maybe extended) as JSON, atomically."""
    write_text_atomic(path, json.dumps(metrics, indent=2, allow_nan=False) + "\n")


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _fmt(v: float) -> str:
    return "" if math.isnan(v) else f"{v:.6f}"


def write_confusion_csv(path: str | Path, confusion: np.ndarray, schema: ClassSchema) -> None:
    """Write the raw pixel counts: one row per true class, one column per predicted class."""
    rows = [[n, *map(int, confusion[i])] for i, n in enumerate(schema.classes)]
    write_text_atomic(path, _csv_text(["truth\\predicted", *schema.classes], rows))


PER_IMAGE_HEADER = (
    "image",
    "pixels",
    "pixel_accuracy",
    "miou",
    "confused_true",
    "confused_pred",
    "confused_fraction",
)


def write_per_image_csv(path: str | Path, rows: Sequence[ImageScore]) -> None:
    """Write one row per image: pixel accuracy, mIoU over present classes, dominant confusion."""
    body = [
        [
            r.name,
            r.pixels,
            _fmt(r.pixel_accuracy),
            _fmt(r.miou),
            r.confused_true or "",
            r.confused_pred or "",
            f"{r.confused_fraction:.6f}",
        ]
        for r in rows
    ]
    write_text_atomic(path, _csv_text(PER_IMAGE_HEADER, body))


FLAGS_HEADER = (
    "image",
    "area_fraction",
    "predicted_class",
    "mask_class",
    "confidence",
    "row0",
    "col0",
    "row1",
    "col1",
)


def write_flags_csv(path: str | Path, flags: Sequence[Flag], schema: ClassSchema) -> None:
    """Write one row per doubtful area, largest first."""
    body = [
        [
            f.image,
            f"{f.area_fraction:.6f}",
            schema.classes[f.predicted],
            schema.classes[f.mask],
            f"{f.confidence:.4f}",
            *f.box,
        ]
        for f in sorted(flags, key=lambda f: -f.area_fraction)
    ]
    write_text_atomic(path, _csv_text(FLAGS_HEADER, body))


def format_summary(s: Scores, schema: ClassSchema, images: int) -> str:
    """A short text table: per-class IoU/precision/recall/F1, then mIoU and pixel accuracy."""

    def cell(v: float) -> str:
        return f"{v:9.4f}" if not math.isnan(v) else f"{'-':>9}"

    width = max(len("pixel accuracy"), *(len(n) for n in schema.classes)) + 2
    lines = [f"{'class':<{width}}{'IoU':>9}{'precision':>10}{'recall':>9}{'F1':>9}"]
    for i in schema.scored_indices:
        lines.append(
            f"{schema.classes[i]:<{width}}{cell(s.iou[i])} {cell(s.precision[i])}"
            f"{cell(s.recall[i])}{cell(s.f1[i])}"
        )
    lines.append(f"{'mIoU':<{width}}{cell(s.miou)}")
    lines.append(f"{'fw IoU':<{width}}{cell(s.fw_iou)}")
    lines.append(f"{'pixel accuracy':<{width}}{cell(s.pixel_accuracy)}")
    lines.append(f"{images} images, {s.pixels} scored pixels")
    return "\n".join(lines)
