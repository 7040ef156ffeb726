"""Do the 95 % intervals of ``assess`` contain the true areas as often as they should?

The 5 full DeepGlobe tiles (0.5 m) are mapped once by the bundled model (``--gsd 0.5``); then,
for each seed, ``sample`` draws a stratified sample (target SE 0.01 of overall accuracy, 50
points at least per class) and ``assess`` reads each point's reference from the ground-truth
masks (the quick check that stands in for a person labelling). The true area of each class is
counted on the masks (``unknown`` pixels left out, as its points are). Printed: per class the
mapped area, the true area, the mean error-adjusted area and how often its 95 % interval
contains the truth; and the same for mapped area, which has no interval (it is biased).

Run: ``.venv/bin/python benchmarks/accuracy_coverage.py [--seeds 40]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from landcover.accuracy.assess import assess
from landcover.accuracy.design import draw_sample
from landcover.batch.runner import predict_paths
from landcover.inference.options import PredictOptions
from landcover.inference.predictor import load_predictor
from landcover.io.masks import read_mask_labels
from landcover.schema import DEEPGLOBE

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "deepglobe" / "fullres"


def true_hectares(masks: list[Path], total_ha: float) -> np.ndarray:
    """Hectares of each of the 6 scored classes in the masks, scaled to the mapped area."""
    counts = np.zeros(7)
    for m in masks:
        labels = read_mask_labels(m, DEEPGLOBE, log_warning=False).labels
        counts += np.bincount(labels.ravel(), minlength=7)[:7]
    return counts[:6] / counts[:6].sum() * total_ha


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()
    images = sorted(DATA.glob("*_sat.jpg"))
    masks = [p.with_name(p.name.replace("_sat.jpg", "_mask.png")) for p in images]
    with tempfile.TemporaryDirectory() as tmp:
        maps_dir = Path(tmp) / "maps"
        options = PredictOptions(gsd_m=0.5)
        predict_paths(load_predictor(None), images, maps_dir, options, progress=False)
        maps = sorted(maps_dir.glob("*_classes.tif"))
        truth = np.zeros(6)
        start, hits, adjusted, mapped, total, n = time.perf_counter(), [], [], None, 0.0, 0
        for seed in range(args.seeds):
            pts = Path(tmp) / f"p{seed}.csv"
            res = draw_sample(maps, pts, seed=seed)
            a = assess(pts, maps, reference_masks=masks)
            est = np.array(a.adjusted_ha()[:6])
            if mapped is None:
                truth = true_hectares(masks, a.total_ha)
            mapped, total, n = a.mapped_ha[:6], a.total_ha, sum(res.sizes)
            hits.append(np.abs(est[:, 0] - truth) <= 1.959964 * est[:, 1])
            adjusted.append(est[:, 0])
        elapsed = (time.perf_counter() - start) / args.seeds
    rate, mean = np.mean(hits, axis=0), np.mean(adjusted, axis=0)
    print(
        f"{len(images)} tiles, {total:.1f} ha; {args.seeds} samples of {n} points "
        f"({elapsed:.1f} s per sample + assess)\n"
    )
    print("| class | mapped ha | true ha | mean adjusted ha | 95 % CI contains truth |")
    print("|---|---:|---:|---:|---:|")
    for c, name in enumerate(DEEPGLOBE.classes[:6]):
        print(f"| {name} | {mapped[c]:.1f} | {truth[c]:.1f} | {mean[c]:.1f} | {rate[c]:.0%} |")
    print(f"| all classes | | | | {np.mean(hits):.1%} |")


if __name__ == "__main__":
    main()
