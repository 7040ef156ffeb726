"""The evaluation report page: ``REPORT/index.html`` over the files ``evaluate`` writes.

:func:`write_evaluation` writes a report folder with the package's writers for a toy 3-class
schema (``a``, ``b``, ``c``) and two images, so every number on the page is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.errors import InputError, LandcoverError
from landcover.evaluation.evaluate import REPORT_DIRS
from landcover.evaluation.flags import Flag
from landcover.evaluation.per_image import ImageScore
from landcover.evaluation.report import (
    write_confusion_csv,
    write_flags_csv,
    write_metrics_json,
    write_per_image_csv,
)
from landcover.report import write_evaluation_report, write_report
from landcover.report.assets import ASSETS_DIR
from landcover.schema import ClassSchema

TOY = ClassSchema("toy", ("a", "b", "c"), ((255, 0, 0), (0, 255, 0), (0, 0, 255)))
CONFUSION = np.array([[30, 5, 0], [10, 20, 5], [0, 5, 25]])


def write_evaluation(out: Path) -> Path:
    """A complete evaluation folder: metrics, CSVs, confusion PNG and two gallery PNGs."""
    out.mkdir(parents=True)
    write_confusion_csv(out / "confusion.csv", CONFUSION, TOY)
    rows = [
        ImageScore("a.jpg", 50, 0.8, 0.6, "b", "a", 0.1),
        ImageScore("b.jpg", 50, 0.7, 0.4, "a", "b", 0.2),
    ]
    write_per_image_csv(out / "per_image.csv", rows)
    flags = [Flag("b.jpg", 0.2, 1, 0, 0.95, (0, 0, 5, 5))]
    write_flags_csv(out / "flags.csv", flags, TOY)
    Image.new("RGB", (40, 30), (200, 200, 200)).save(out / "confusion.png")
    for kind, name in (("worst", "01_b"), ("best", "01_a")):
        (out / "gallery" / kind).mkdir(parents=True)
        Image.new("RGB", (60, 20), (90, 90, 90)).save(out / "gallery" / kind / f"{name}.png")
    per_class = {"a": 0.6, "b": 0.4, "c": 0.5}
    metrics = {
        "schema": "toy",
        "ignored_class": None,
        "images": 2,
        "pixels": 100,
        "pixel_accuracy": 0.75,
        "miou": 0.5,
        "fw_iou": 0.6,
        "iou": per_class,
        "precision": per_class,
        "recall": per_class,
        "f1": per_class,
        "model": "tiny.onnx",
        "gsd_m": 1.0,
        "flagged_images": 1,
        "failed": [],
    }
    write_metrics_json(out / "metrics.json", metrics)
    return out


def test_page_holds_scores_confusion_galleries_and_tables(tmp_path: Path) -> None:
    out = write_evaluation(tmp_path / "eval")
    page = write_evaluation_report(out)
    assert page == out / "index.html"
    html = page.read_text(encoding="utf-8")
    assert '<div class="value">50.0 %</div><div class="label">mIoU</div>' in html
    assert "tiny.onnx" in html and "1 m (given)" in html
    # confusion rows are shaded by their share: 30 of 35 for a->a
    assert f"{100 * 30 / 35:.1f} %" in html and 'data-count="30"' in html
    assert html.count('<td style="background') == 9
    assert 'src="gallery/worst/01_b.png"' in html and 'src="gallery/best/01_a.png"' in html
    assert 'src="confusion.png"' in html
    assert "<td>b.jpg</td>" in html and "0.950" in html  # flags table (confidence 0.95)
    for name in ("report.js", "report.css"):
        assert (out / "report_assets" / name).is_file()


def test_iou_chart_bars_scale_with_iou(tmp_path: Path) -> None:
    html = write_evaluation_report(write_evaluation(tmp_path / "eval")).read_text()
    # 300 px is an IoU of 1: class a (0.6) is 180 px wide
    assert 'width="180.0"' in html and 'width="120.0"' in html and 'width="150.0"' in html


def test_refuses_a_folder_without_metrics_and_an_existing_page(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="metrics.json"):
        write_evaluation_report(tmp_path)
    out = write_evaluation(tmp_path / "eval")
    write_evaluation_report(out)
    with pytest.raises(LandcoverError, match="--overwrite"):
        write_evaluation_report(out)
    assert write_evaluation_report(out, overwrite=True).is_file()


def test_write_report_picks_the_evaluation_page(tmp_path: Path) -> None:
    out = write_evaluation(tmp_path / "eval")
    assert "Confusion matrix" in write_report(out).read_text()


def test_missing_optional_files_are_said_not_fatal(tmp_path: Path) -> None:
    out = write_evaluation(tmp_path / "eval")
    (out / "flags.csv").unlink()
    (out / "confusion.png").unlink()
    html = write_evaluation_report(out).read_text()
    assert "flags.csv not found" in html and 'src="confusion.png"' not in html


def test_evaluation_clears_the_folder_the_page_writes_its_files_into() -> None:
    assert ASSETS_DIR in REPORT_DIRS  # the evaluation room names it without importing report
