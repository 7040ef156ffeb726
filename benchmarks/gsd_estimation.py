"""Mapping without a GSD: the estimate, and mIoU with the GSD given against estimated.

For each set the images are mapped twice with the same model (``landcover.load_predictor()``,
the CPU's default precision): once with the true GSD given, once with nothing given, the GSD
estimated from the pixels (:mod:`landcover.inference.gsd`) exactly as ``predict`` and
``evaluate`` do when no ``tiles.csv``, georeferencing or ``--gsd`` is there. Scores are against
the full-resolution masks, one confusion matrix per set, 6 classes (``unknown`` left out). A
third mapping, ``--no-estimate``, takes each image at its own pixels (the model's GSD). An
estimated GSD never upsamples (as in ``predict``).

Sets: the 5 full tiles at 0.5 m; the same resampled to 0.3 m and to 2 m (bilinear, masks by
nearest neighbour); the 168 unseen quadrants at 1.195 m; the same resampled to 2 m.

Run: ``.venv/bin/python benchmarks/gsd_estimation.py [--quadrants N]``
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from PIL import Image

from landcover.evaluation.metrics import confusion_matrix, scores
from landcover.inference.engine import class_labels, predict_array
from landcover.inference.gsd import estimate_gsd_array
from landcover.inference.predictor import load_predictor
from landcover.io.images import read_rgb
from landcover.io.masks import read_mask_labels

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "deepglobe"
UNSEEN = ROOT / "configs" / "deepglobe_quadrants512_unseen.csv"


def resample(image: np.ndarray, labels: np.ndarray, src: float, dst: float) -> tuple:
    """Image (bilinear) and labels (nearest) from ``src`` to ``dst`` metres per pixel."""
    if dst == src:
        return image, labels
    h, w = (round(n * src / dst) for n in labels.shape)
    im = np.asarray(Image.fromarray(image).resize((w, h), Image.Resampling.BILINEAR))
    lab = np.asarray(Image.fromarray(labels).resize((w, h), Image.Resampling.NEAREST))
    return im, lab


def sets(quadrants: int) -> list[tuple[str, list[Path], float, float]]:
    """(name, images, native GSD, GSD to resample to)."""
    full = sorted((DATA / "fullres").glob("*_sat.jpg"))
    with open(UNSEEN, encoding="utf-8") as f:
        names = [r["file"] for r in csv.DictReader(f) if r["split"] == "test"][:quadrants]
    quads = [DATA / "quadrants512" / n for n in names]
    return [
        ("full tiles, 0.5 m", full, 0.5, 0.5),
        ("full tiles resampled to 0.3 m", full, 0.5, 0.3),
        ("full tiles resampled to 2 m", full, 0.5, 2.0),
        ("unseen quadrants, 1.195 m", quads, 1.195, 1.195),
        ("unseen quadrants resampled to 2 m", quads, 1.195, 2.0),
    ]


def run_set(predictor, images: list[Path], native: float, gsd: float) -> dict:  # noqa: ANN001
    """mIoU given / estimated and the estimates' spread for one set."""
    schema = predictor.meta.schema
    k, ignore = schema.num_classes, schema.ignore_index
    cms = {m: np.zeros((k, k), np.int64) for m in ("given", "estimated", "unknown")}
    ratios, seconds = [], 0.0
    for path in images:
        mask = path.with_name(path.name.replace("_sat.jpg", "_mask.png"))
        image, truth = resample(read_rgb(path), read_mask_labels(mask, schema).labels, native, gsd)
        t = time.perf_counter()
        est = estimate_gsd_array(image)
        seconds += time.perf_counter() - t
        ratios.append(est / gsd)
        for mode, g in (("given", gsd), ("estimated", est), ("unknown", None)):
            probs = predict_array(predictor, image, gsd_m=g, estimated=mode == "estimated")
            cms[mode] += confusion_matrix(truth, class_labels(probs), k, ignore)
    r = np.log2(ratios)
    return {
        "given": scores(cms["given"], ignore).miou,
        "estimated": scores(cms["estimated"], ignore).miou,
        "unknown": scores(cms["unknown"], ignore).miou,
        "median_ratio": float(2 ** np.median(r)),
        "within_1.41x": float(np.mean(np.abs(r) <= 0.5)),
        "ms": 1000 * seconds / len(images),
    }


def main() -> None:
    """Print one row per set."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quadrants", type=int, default=168, help="unseen quadrants to use")
    args = ap.parse_args()
    predictor = load_predictor()
    print(f"model: {predictor.path.name} ({predictor.precision})")  # type: ignore[attr-defined]
    print(
        "| set | images | mIoU, GSD given | mIoU, GSD estimated | difference "
        "| mIoU, --no-estimate | median estimate / true | estimates within 1.41x "
        "| estimate ms/image |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, images, native, gsd in sets(args.quadrants):
        r = run_set(predictor, images, native, gsd)
        print(
            f"| {name} | {len(images)} | {r['given']:.3f} | {r['estimated']:.3f} "
            f"| {r['estimated'] - r['given']:+.3f} | {r['unknown']:.3f} | {r['median_ratio']:.2f} "
            f"| {100 * r['within_1.41x']:.0f} % | {r['ms']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
