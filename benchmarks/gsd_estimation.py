"""Mapping without a GSD: the estimate on never-seen native imagery, mIoU given vs estimated, time.

Part ``sources``: every ``gsd/`` file the estimator never saw in training (the fixed ~30 % of
each source's files held out by :func:`landcover.training.gsd_views.held_out`), read as
``predict`` reads it: one row per source and per GSD band, median estimate/true, share within
1.41x, share warned (interval wider than 2x or outside the trusted range: ``predict`` then
asks for ``--gsd``), and how many of the files off by more than 1.41x were warned.

Part ``sizes``: random crops of 224 - 600 px cut from the same never-seen files, three per
file and side: how often the estimate is within 1.41x, warned, and off without a warning.

Part ``miou``: for each set the images are mapped twice with the same model
(``landcover.load_predictor()``, the CPU's default precision): once with the true GSD given,
once with nothing given, the GSD estimated from the pixels (:mod:`landcover.inference.gsd`)
exactly as ``predict`` and ``evaluate`` do when no ``tiles.csv``, georeferencing or ``--gsd``
is there. Scores are against the full-resolution masks, one confusion matrix per set, 6
classes (``unknown`` left out). A third mapping, ``--no-estimate``, takes each image at its
own pixels (the model's GSD). An estimated GSD never upsamples (as in ``predict``).

Sets: the 5 full tiles at 0.5 m; the same resampled to 0.3 m and to 2 m (bilinear, masks by
nearest neighbour); the 168 unseen quadrants at 1.195 m; the same resampled to 2 m.

Part ``time``: ``predict`` on one 2448² DeepGlobe JPEG copied alone into a folder (a plain
picture), ``--gsd 0.5`` against no GSD (estimated), best of ``--repeat`` runs each.

Run: ``.venv/bin/python benchmarks/gsd_estimation.py [--part sources sizes miou time]``
``[--quadrants N]``
"""

from __future__ import annotations

import argparse
import csv
import logging
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from landcover.batch.scene import predict_file
from landcover.evaluation.metrics import confusion_matrix, scores
from landcover.inference.engine import class_labels, predict_array
from landcover.inference.gsd import doubt, estimate_gsd_array
from landcover.inference.options import PredictOptions
from landcover.inference.predictor import load_predictor
from landcover.io.images import read_rgb
from landcover.io.masks import read_mask_labels
from landcover.training.gsd_views import held_out, read_gsd_table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
DATA = SHARED / "deepglobe"
BANDS = ((0, 0.2, "finer than 0.2 m"), (0.2, 1.0, "0.2 - 1 m"), (1.0, 8.0, "1 - 8 m"))
BANDS += ((8.0, 100.0, "8 m and coarser"),)
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
        est = estimate_gsd_array(image).metres
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


def estimates() -> list[tuple[str, float, float, bool]]:
    """(source, true GSD, estimate, warned) for every held-out ``gsd/`` file."""
    files = read_gsd_table(SHARED / "gsd")
    test = held_out(files)
    rows = []
    for f in files:
        if f.path in test:
            image = read_rgb(f.path)
            gsd = estimate_gsd_array(image)
            warned = doubt(gsd, shape=image.shape[:2]) is not None
            rows.append((f.source, f.gsd_m, float(gsd.metres or 0), warned))
    return rows


def source_row(name: str, rows: list[tuple[str, float, float, bool]]) -> str:
    """One table row: files, GSDs, median estimate/true, within 1.41x, warned, off and warned."""
    r = np.log2([e / t for _, t, e, _ in rows])
    warned = np.array([w for *_, w in rows])
    off = np.abs(r) > 0.5
    gsds = ", ".join(sorted({f"{t:.3g}" for _, t, _, _ in rows}, key=float))
    return (
        f"| {name} | {len(rows)} | {gsds} | {2 ** np.median(r):.2f} "
        f"| {100 * np.mean(~off):.0f} % | {100 * np.mean(warned):.0f} % "
        f"| {int(np.sum(off & warned))} of {int(np.sum(off))} |"
    )


def sources_table() -> None:
    """Print the per-source and per-GSD tables of estimates on never-seen files."""
    rows = estimates()
    print(
        "| source | files | native GSD m | median estimate / true | within 1.41x | warned "
        "| off > 1.41x: warned |"
    )
    print("|---|---|---|---|---|---|---|")
    for source in sorted({r[0] for r in rows}, key=str.lower):
        print(source_row(source, [r for r in rows if r[0] == source]))
    for lo, hi, name in BANDS:
        band = [r for r in rows if lo <= r[1] < hi]
        if band:
            print(source_row(f"*{name}*", band))
    print(source_row("**all**", rows))
    err = np.abs(np.log2([e / t for _, t, e, _ in rows]))
    print(f"\nmedian error {100 * (2 ** np.median(err) - 1):.0f} % over {len(rows)} files\n")


def sizes_table(sides: tuple[int, ...] = (224, 300, 400, 600), per_file: int = 3) -> None:
    """Print, per crop side, how estimates on random crops of the never-seen files fare: within
    1.41x, warned, and off by more than 1.41x without a warning (the :data:`MIN_CROPS` rule)."""
    files = read_gsd_table(SHARED / "gsd")
    test, rng, rows = held_out(files), np.random.default_rng(0), []
    for f in (f for f in files if f.path in test):
        image = read_rgb(f.path)
        h, w = image.shape[:2]
        for side in (s for s in sides if s <= min(h, w)):
            for _ in range(per_file):
                r, c = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
                crop = image[r : r + side, c : c + side]
                gsd = estimate_gsd_array(crop)
                off = abs(np.log2((gsd.metres or 0) / f.gsd_m)) > 0.5
                warned = doubt(gsd, shape=crop.shape[:2]) is not None
                rows.append((side, off, warned, doubt(gsd) is not None))
    print(
        "| crop side px | crops | within 1.41x | warned | off > 1.41x, not warned "
        "| the same without the size rule |"
    )
    print("|---|---|---|---|---|---|")
    for side in sides:
        got = np.array([r[1:] for r in rows if r[0] == side], dtype=bool).reshape(-1, 3)
        off, warned, by_interval = got.T
        print(
            f"| {side} | {len(got)} | {100 * np.mean(~off):.0f} % | {100 * np.mean(warned):.0f} % "
            f"| {100 * np.mean(off & ~warned):.0f} % | {100 * np.mean(off & ~by_interval):.0f} % |"
        )


def timing(repeat: int) -> None:
    """Print seconds for ``predict`` on a plain 2448² JPEG: ``--gsd 0.5``, no GSD (estimated),
    and the estimate's value given as ``--gsd`` (what the estimate itself costs)."""
    predictor = load_predictor()
    tile = sorted((DATA / "fullres").glob("*_sat.jpg"))[0]
    print(f"| 2448² DeepGlobe JPEG, plain picture | GSD used | seconds (best of {repeat}) |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(shutil.copy(tile, tmp))
        for given in (0.5, None, "estimate"):
            value = estimate_gsd_array(read_rgb(image)).metres if given == "estimate" else given
            best, gsd = float("inf"), None
            for k in range(repeat):
                out = Path(tmp) / f"out-{given}-{k}"
                out.mkdir()
                t = time.perf_counter()
                scene = predict_file(
                    predictor, image, out, PredictOptions(gsd_m=value), progress=False
                )
                best, gsd = min(best, time.perf_counter() - t), scene.gsd
            label = "no GSD (estimated)" if given is None else f"--gsd {value:.3g}"
            print(f"| {label} | {gsd.describe() if gsd else '-'} | {best:.2f} |", flush=True)


def miou_table(quadrants: int) -> None:
    """Print one row per set: mIoU given / estimated / own pixels, and the estimates."""
    predictor = load_predictor()
    print(f"model: {predictor.path.name} ({predictor.precision})")  # type: ignore[attr-defined]
    print(
        "| set | images | mIoU, GSD given | mIoU, GSD estimated | difference "
        "| mIoU, --no-estimate | median estimate / true | estimates within 1.41x "
        "| estimate ms/image |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, images, native, gsd in sets(quadrants):
        r = run_set(predictor, images, native, gsd)
        print(
            f"| {name} | {len(images)} | {r['given']:.3f} | {r['estimated']:.3f} "
            f"| {r['estimated'] - r['given']:+.3f} | {r['unknown']:.3f} | {r['median_ratio']:.2f} "
            f"| {100 * r['within_1.41x']:.0f} % | {r['ms']:.0f} |",
            flush=True,
        )


def main() -> None:
    """Print the tables of the parts asked for."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--part",
        nargs="+",
        choices=("sources", "sizes", "miou", "time"),
        default=["sources", "sizes", "miou", "time"],
    )
    ap.add_argument("--quadrants", type=int, default=168, help="unseen quadrants to use")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the estimator's warnings are counted, not shown
    if "sources" in args.part:
        sources_table()
    if "sizes" in args.part:
        sizes_table()
    if "miou" in args.part:
        miou_table(args.quadrants)
    if "time" in args.part:
        timing(args.repeat)


if __name__ == "__main__":
    main()
