"""Train the GSD estimator: frozen ImageNet features of downsampled native views, a small head.

Usage (from the repository root; 13-40 CPU minutes at one thread, resumable; rebuilds the
shipped file byte for byte):
    .venv/bin/python scripts/train_gsd_estimator.py ../shared/data \
        --work runs/gsd-estimator --out src/landcover/weights/gsd-estimator.onnx

Training imagery, all at its native GSD: ``gsd/`` (``gsd.csv``) less the held-out ~30 % of each
source's files (:func:`landcover.training.gsd_views.held_out`, by a hash of the file name), the
5 DeepGlobe full tiles (0.5 m), the DeepGlobe quadrants (1.195 m) less the 168 unseen ones of
``configs/deepglobe_quadrants512_unseen.csv``, and the thumbnails (4.78 m). Each view is a
window downsampled by a factor >= 1 to a target GSD (30 % at native scale, else log-uniform
over 0.018 - 32 m among the images that reach it, sources drawn evenly), then jittered
(:func:`landcover.training.gsd_views.make_view`). Features of every view are cached in
``--work`` in chunks, so a stopped run resumes. Then the head is fitted (seconds), a
leave-one-source-out table is printed (the head refitted without each source, scored on all
of that source's files), and the ONNX file is written (torch-free at prediction).
"""

from __future__ import annotations

import argparse
import csv
import logging
import time
from pathlib import Path

import numpy as np
import torch

from landcover.inference.gsd import TRUSTED, crop_windows
from landcover.io.images import read_rgb
from landcover.io.raster import RasterReader
from landcover.training.gsd_net import GsdNet, PooledFeatures, export_onnx, fit_head
from landcover.training.gsd_views import MIN_VIEW, GsdFile, held_out, make_view, read_gsd_table

ROOT = Path(__file__).resolve().parents[1]
UNSEEN = ROOT / "configs" / "deepglobe_quadrants512_unseen.csv"
CROP, GRID = 224, 3
MIN_GSD, MAX_GSD = 0.018, 32.0
NATIVE_SHARE = 0.3
CHUNK = 500


class Pool:
    """Training images (loaded on first use) grouped for sampling."""

    def __init__(self, entries: list[tuple[GsdFile, str, tuple[int, int]]]) -> None:
        self.entries = entries  # (file, sampling group, (rows, cols))
        self.cache: dict[Path, np.ndarray] = {}

    def pixels(self, f: GsdFile) -> np.ndarray:
        """The image's RGB pixels (kept in memory unless a small DeepGlobe file)."""
        if f.path in self.cache:
            return self.cache[f.path]
        rgb = read_rgb(f.path)
        if "quadrants512" not in str(f.path) and "thumbs256" not in str(f.path):
            self.cache[f.path] = rgb
        return rgb

    def draw(self, rng: np.random.Generator) -> tuple[GsdFile, float]:
        """A (file, target GSD) pair: sources drawn evenly among those reaching the target."""
        while True:
            if rng.random() < NATIVE_SHARE:
                ok = self.entries
                target = None
            else:
                target = float(np.exp(rng.uniform(np.log(MIN_GSD), np.log(MAX_GSD))))
                ok = [
                    e
                    for e in self.entries
                    if e[0].gsd_m <= target and min(e[2]) * e[0].gsd_m / target >= MIN_VIEW
                ]
            groups = sorted({e[1] for e in ok})
            if not groups:
                continue
            group = groups[int(rng.integers(len(groups)))]
            members = [e for e in ok if e[1] == group]
            f = members[int(rng.integers(len(members)))][0]
            return f, f.gsd_m if target is None else target


def build_pool(data: Path) -> tuple[Pool, list[GsdFile]]:
    """The training pool and all ``gsd/`` files (for evaluation)."""
    files = read_gsd_table(data / "gsd")
    test = held_out(files)
    entries = []
    for f in files:
        if f.path not in test:
            with RasterReader(f.path) as reader:
                entries.append((f, f.source, (reader.info.height, reader.info.width)))
    dg = data / "deepglobe"
    with open(UNSEEN, encoding="utf-8") as fh:
        unseen = {r["file"] for r in csv.DictReader(fh) if r["split"] == "test"}
    for p in sorted((dg / "fullres").glob("*_sat.jpg")):
        entries.append((GsdFile(p, 0.5, "deepglobe"), "deepglobe-fullres", (2448, 2448)))
    for p in sorted((dg / "quadrants512").glob("*_sat.jpg")):
        if p.name not in unseen:
            entries.append((GsdFile(p, 1.195, "deepglobe"), "deepglobe-quadrants", (512, 512)))
    for p in sorted((dg / "thumbs256").glob("*_sat.jpg")):
        entries.append((GsdFile(p, 4.78, "deepglobe"), "deepglobe-thumbs", (256, 256)))
    return Pool(entries), files


def features_of(net: PooledFeatures, rgb: np.ndarray) -> np.ndarray:
    """``(1024,)`` features of one ``(h, w, 3)`` uint8 crop."""
    x = torch.from_numpy(rgb.transpose(2, 0, 1).astype(np.float32) / 255.0)[None]
    with torch.no_grad():
        return net(x)[0].numpy()


def eval_features(net: PooledFeatures, files: list[GsdFile], work: Path) -> dict:
    """Features of the native grid crops of every ``gsd/`` file (as the estimator reads them)."""
    out = work / "eval.npz"
    if out.is_file():
        return dict(np.load(out))
    feats, index = [], []
    for i, f in enumerate(files):
        rgb = read_rgb(f.path)
        for w in crop_windows(rgb.shape[0], rgb.shape[1], CROP, GRID):
            feats.append(features_of(net, rgb[w.toslices()]))
            index.append(i)
    arrays = {"x": np.stack(feats), "index": np.array(index)}
    np.savez(out, **arrays)
    return arrays


def make_chunks(net: PooledFeatures, pool: Pool, work: Path, views: int, minutes: float) -> None:
    """Cache features of ``views`` views in chunks of :data:`CHUNK` (resumes where it stopped)."""
    end = time.time() + 60 * minutes
    for k in range(views // CHUNK):
        path = work / f"views-{k:03d}.npz"
        if path.is_file():
            continue
        if time.time() > end:
            print(f"time is up after {k} chunks", flush=True)
            return
        rng = np.random.default_rng(1000 + k)
        xs, ys, src = [], [], []
        while len(xs) < CHUNK:
            f, target = pool.draw(rng)
            view = make_view(pool.pixels(f), f.gsd_m, target, CROP, rng)
            if view is not None:
                xs.append(features_of(net, view))
                ys.append(np.log2(target))
                src.append(f.source)
        np.savez(path, x=np.stack(xs), y=np.array(ys), source=np.array(src))
        print(f"chunk {k} done at {time.strftime('%H:%M:%S')}", flush=True)


def load_chunks(work: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All cached views: features, log2 GSDs, sources."""
    parts = [np.load(p) for p in sorted(work.glob("views-*.npz"))]
    return tuple(np.concatenate([p[k] for p in parts]) for k in ("x", "y", "source"))  # type: ignore[return-value]


def per_file(head, ev: dict, files: list[GsdFile], pick: list[int]) -> list[tuple]:  # noqa: ANN001
    """(file, truth, median estimate, crops' IQR ratio) for the files at ``pick``."""
    with torch.no_grad():
        mu = head(torch.from_numpy(ev["x"].astype(np.float32)))[0][:, 0].numpy()
    rows = []
    for i in pick:
        m = mu[ev["index"] == i]
        q1, q3 = np.percentile(m, [25, 75])
        rows.append((files[i], files[i].gsd_m, float(2 ** np.median(m)), float(2 ** (q3 - q1))))
    return rows


def report(rows: list[tuple], title: str) -> None:
    """Print per source: files, median estimate/true, share within 1.41x."""
    print(f"\n{title}\n| source | files | native GSD m | median estimate/true | within 1.41x |")
    print("|---|---|---|---|---|")
    every = []
    for source in sorted({r[0].source for r in rows}):
        ratio = np.log2([r[2] / r[1] for r in rows if r[0].source == source])
        every += list(ratio)
        gsd = sorted({round(r[1], 3) for r in rows if r[0].source == source})
        print(
            f"| {source} | {len(ratio)} | {', '.join(map(str, gsd))} | {2 ** np.median(ratio):.2f}"
            f" | {100 * np.mean(np.abs(ratio) <= 0.5):.0f} % |"
        )
    e = np.abs(np.array(every))
    print(
        f"| all | {len(e)} | | median error {100 * (2 ** np.median(e) - 1):.0f} % "
        f"| {100 * np.mean(e <= 0.5):.0f} % |",
        flush=True,
    )


def main() -> None:
    """Cache view features, fit the head, print the tables, export ONNX."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data", type=Path, help="the shared data folder (gsd/, deepglobe/)")
    ap.add_argument("--work", type=Path, required=True, help="feature cache folder")
    ap.add_argument("--out", type=Path, required=True, help="ONNX file to write")
    ap.add_argument("--views", type=int, default=24000, help="views to cache (shipped: 24000)")
    ap.add_argument("--minutes", type=float, default=45, help="cap on feature caching")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-loso", action="store_true", help="skip leave-one-source-out")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    net = PooledFeatures()
    pool, files = build_pool(args.data)
    ev = eval_features(net, files, args.work)
    make_chunks(net, pool, args.work, args.views, args.minutes)
    x, y, src = load_chunks(args.work)
    print(f"{len(x)} views", flush=True)
    test = held_out(files)
    head = fit_head(x, y)
    pick = [i for i, f in enumerate(files) if f.path in test]
    report(per_file(head, ev, files, pick), "held-out files (never seen)")
    if not args.no_loso:
        rows = []
        for source in sorted({f.source for f in files}):
            h = fit_head(x[src != source], y[src != source])
            rows += per_file(h, ev, files, [i for i, f in enumerate(files) if f.source == source])
        report(rows, "leave one source out (all of its files)")
    meta = {"crop": CROP, "grid": GRID, "trained_gsd_m": [MIN_GSD, MAX_GSD]}
    meta["trusted_gsd_m"] = list(TRUSTED)
    export_onnx(GsdNet(net, head), args.out, meta)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
