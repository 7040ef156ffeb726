"""Report writers, per-image rows, thumbnails and figures, from hand-made arrays."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from landcover.evaluation.metrics import scores
from landcover.evaluation.per_image import image_score
from landcover.evaluation.report import (
    format_summary,
    metrics_dict,
    save_figure,
    write_metrics_json,
)
from landcover.evaluation.samples import TopN, make_sample
from landcover.schema import DEEPGLOBE
from landcover.viz.confusion import normalize_rows, plot_confusion
from landcover.viz.gallery import overlay, plot_comparison


def deepglobe_cm() -> np.ndarray:
    cm = np.zeros((7, 7), np.int64)
    cm[0, 0], cm[0, 1], cm[1, 1], cm[6, 6] = 6, 2, 2, 50
    return cm


def test_image_score_rows() -> None:
    row = image_score("x.jpg", deepglobe_cm(), DEEPGLOBE)
    assert (row.pixels, row.pixel_accuracy) == (10, 0.8)
    assert row.miou == pytest.approx((6 / 8 + 2 / 4) / 2)  # present classes only
    assert (row.confused_true, row.confused_pred, row.confused_fraction) == (
        "urban_land",
        "agriculture_land",
        0.2,
    )


def test_metrics_json_names_classes_and_writes_null_for_absent(tmp_path) -> None:
    m = metrics_dict(scores(deepglobe_cm(), 6), DEEPGLOBE, images=1)
    write_metrics_json(tmp_path / "m.json", m)
    back = json.loads((tmp_path / "m.json").read_text())
    assert list(back["iou"]) == list(DEEPGLOBE.classes[:6])  # unknown is not scored
    assert back["iou"]["urban_land"] == 0.75 and back["iou"]["water"] is None
    assert back["f1"]["agriculture_land"] == pytest.approx(4 / 6, abs=1e-6)
    assert (back["pixels"], back["ignored_class"]) == (10, "unknown")


def test_summary_table() -> None:
    text = format_summary(scores(deepglobe_cm(), 6), DEEPGLOBE, images=1)
    assert text.splitlines()[1].split() == ["urban_land", "0.7500", "1.0000", "0.7500", "0.8571"]
    assert text.splitlines()[3].split() == ["rangeland", "-", "-", "-", "-"]
    assert text.splitlines()[-4].split() == ["mIoU", "0.6250"]
    assert "unknown" not in text and "1 images, 10 scored pixels" in text


def test_thumbnails_and_topn_keep_only_the_ranked_few() -> None:
    img = np.zeros((1000, 600, 3), np.uint8)
    lab = np.zeros((1000, 600), np.uint8)
    s = make_sample("a", img, lab, lab, "t", box=(10, 20, 999, 600), max_side=256)
    assert s.image.shape == (250, 150, 3) and s.box == (2, 5, 250, 150)  # stride 4
    worst = TopN(2, largest=False)
    built = []
    for score in (0.5, math.nan, 0.9, 0.1, 0.7):
        worst.offer(
            score,
            lambda sc=score: (
                built.append(sc) or make_sample(str(sc), img[:4], lab[:4], lab[:4], "")
            ),
        )
    assert [x.name for x in worst.ranked()] == ["0.1", "0.5"]
    assert built == [0.5, 0.9, 0.1]  # 0.7 and NaN were never rendered


def test_overlay_blends_class_colour() -> None:
    img = np.full((2, 2, 3), 100, np.uint8)
    out = overlay(img, np.array([[4, 4], [0, 255]], np.uint8), DEEPGLOBE, alpha=0.5)
    # The same blend as predict's overlay JPEG (Pillow's: 177.5 truncates to 177).
    assert out[0, 0].tolist() == [50, 50, 177] and out[1, 0].tolist() == [50, 177, 177]
    assert out[1, 1].tolist() == [100, 100, 100]  # no class (nodata): the image shows


def test_figures_render_to_png(tmp_path) -> None:
    cm = deepglobe_cm()
    assert normalize_rows(cm)[0, :2] == pytest.approx([0.75, 0.25])
    fig = plot_confusion(cm, DEEPGLOBE.classes, 6)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == list(DEEPGLOBE.classes[:6])
    assert "0.75" in [t.get_text() for t in fig.axes[0].texts]
    save_figure(fig, tmp_path / "c.png")
    rng = np.random.default_rng(0)
    lab = rng.integers(0, 7, (32, 40)).astype(np.uint8)
    fig = plot_comparison(np.zeros((32, 40, 3), np.uint8), lab, lab, DEEPGLOBE, "t", (0, 0, 8, 8))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == list(DEEPGLOBE.classes)
    save_figure(fig, tmp_path / "g.png")
    assert Image.open(tmp_path / "g.png").format == "PNG"
