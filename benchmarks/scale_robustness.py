"""Scale robustness: mIoU when the GSD the model is told is off by a factor (issue 22).

Each set is resampled so that its pixels are ``f`` times the GSD it is labelled with (bilinear;
masks by nearest neighbour), for ``f`` in ``--factors``; the model is then told the nominal GSD
(``told nominal``: the input's GSD off by ``f``) and, for comparison, the true one (``told
true``: only the resampling's loss). The loss is against the native set told its true GSD, the
goal being at most 0.03 at ``f`` = 0.8 and 1.5. One confusion matrix per set and factor, 6
classes (``unknown`` left out), predicting exactly as ``predict`` does (:func:`predict_array`).

Sets: the 168 unseen quadrants (1.195 m) and the 5 full tiles (0.5 m) of
``../shared/data/deepglobe`` (``--quadrants N`` for fewer quadrants).

Run: ``.venv/bin/python benchmarks/scale_robustness.py [--model FILE] [--factors 0.8 1.5]
[--sets quadrants]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from gsd_estimation import resample, sets

from landcover.evaluation.metrics import confusion_matrix, scores
from landcover.inference.engine import class_labels, predict_array
from landcover.inference.predictor import load_predictor
from landcover.io.images import read_rgb
from landcover.io.masks import read_mask_labels


def score_set(predictor, images: list[Path], native: float, factor: float) -> dict:  # noqa: ANN001
    """mIoU told the nominal and the true GSD, for the set resampled to ``factor`` x native."""
    schema = predictor.meta.schema
    k, ignore = schema.num_classes, schema.ignore_index
    cms = {m: np.zeros((k, k), np.int64) for m in ("nominal", "true")}
    t0 = time.perf_counter()
    for path in images:
        mask = path.with_name(path.name.replace("_sat.jpg", "_mask.png"))
        labels = read_mask_labels(mask, schema).labels
        image, truth = resample(read_rgb(path), labels, native, native * factor)
        for mode, gsd in (("nominal", native), ("true", native * factor)):
            if mode == "true" and factor == 1.0:
                cms["true"] = cms["nominal"]
                continue
            probs = predict_array(predictor, image, gsd_m=gsd)
            cms[mode] += confusion_matrix(truth, class_labels(probs), k, ignore)
    return {
        "nominal": scores(cms["nominal"], ignore).miou,
        "true": scores(cms["true"], ignore).miou,
        "s": time.perf_counter() - t0,
    }


def main() -> None:
    """Print one row per set and factor."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model file or bundled name (default: the bundled model)")
    ap.add_argument("--factors", type=float, nargs="+", default=[0.67, 0.8, 1.25, 1.5])
    ap.add_argument("--quadrants", type=int, default=168, help="unseen quadrants to use")
    ap.add_argument(
        "--sets",
        nargs="+",
        choices=("quadrants", "tiles"),
        default=["quadrants", "tiles"],
        help="which sets (choose candidates without the full tiles: score those once, at the end)",
    )
    args = ap.parse_args()
    predictor = load_predictor(args.model)
    name = getattr(predictor, "path", Path(str(args.model))).name
    print(f"model: {name} ({getattr(predictor, 'precision', '')})")
    print("| set | input GSD / given | mIoU, told nominal | loss | mIoU, told true | seconds |")
    print("|---|---|---|---|---|---|")
    names = {"tiles": "full tiles, 0.5 m", "quadrants": "unseen quadrants, 1.195 m"}
    chosen = {names[s] for s in args.sets}
    for set_name, images, native, _ in sets(args.quadrants):
        if set_name not in chosen:
            continue
        base = score_set(predictor, images, native, 1.0)
        print(f"| {set_name} | 1.00 | {base['nominal']:.3f} | | | {base['s']:.0f} |", flush=True)
        for f in args.factors:
            r = score_set(predictor, images, native, f)
            loss = r["nominal"] - base["nominal"]
            print(
                f"| {set_name} | {f:.2f} | {r['nominal']:.3f} | {loss:+.3f} | {r['true']:.3f} "
                f"| {r['s']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
