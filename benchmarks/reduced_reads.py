"""Reduced-resolution reads: mIoU and time per tile, full read against reduced reads, one run.

The 5 full DeepGlobe tiles (2448 x 2448 px, 0.5 m) are mapped with the bundled model (1.195 m:
the model sees each tile as 1024 x 1024 pixels) three ways, each as ``predict`` maps a tile
that is one block (:class:`~landcover.io.raster.RasterReader` then
:func:`~landcover.inference.engine.map_image`):

- (a) the JPEG decoded whole (the read before reduced reads);
- (b) the JPEG decoded at 1/2 (``Image.draft``: 1224 x 1224), what ``predict`` reads now;
- (c) the same pixels as a COG (DEFLATE, AVERAGE overviews) read through its x2 overview;
- (d) the same with NEAREST overviews (``gdaladdo``'s default: every other pixel).

Both are then resized to the same 1024-px model grid. Scores are against the full-resolution
masks, one confusion matrix per row, 6 classes (``unknown`` left out); "agree" is the share of
pixels labelled as (a) labels them. Time per tile is the read and the read plus the map (best
of ``--repeat``), baseline in the same run.

Run: ``.venv/bin/python benchmarks/reduced_reads.py [--precision int8 fp32] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio import Affine
from rasterio.windows import Window

from landcover.evaluation.metrics import confusion_matrix, scores
from landcover.inference.engine import map_image, scale_for
from landcover.inference.predictor import Predictor, load_predictor
from landcover.io.masks import read_mask_labels
from landcover.io.raster import RasterReader

FULLRES = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "deepglobe" / "fullres"
GSD = 0.5
ROWS = {
    "a": "JPEG, full decode",
    "b": "JPEG, 1/2 decode",
    "c": "COG, x2 AVERAGE overview",
    "d": "COG, x2 NEAREST overview",
}


def write_cog(tile: Path, folder: Path, resampling: str) -> Path:
    """The tile's pixels as a lossless 0.5 m COG with overviews by ``resampling``."""
    rgb = np.moveaxis(np.asarray(Image.open(tile).convert("RGB")), -1, 0)
    path = folder / f"{tile.stem}_{resampling}.tif"
    profile = {
        "driver": "COG", "width": rgb.shape[2], "height": rgb.shape[1], "count": 3,
        "dtype": "uint8", "crs": "EPSG:32633", "compress": "DEFLATE", "blocksize": 512,
        "overview_resampling": resampling, "transform": Affine(GSD, 0, 5e5, 0, -GSD, 4e6),
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(rgb)
    return path


def map_tile(predictor: Predictor, path: Path, reduced: bool) -> tuple[np.ndarray, float, float]:
    """The tile's classes as ``predict`` maps it, the read's seconds and the total."""
    start = time.perf_counter()
    with RasterReader(path) as reader:
        h, w = reader.info.height, reader.info.width
        scale = scale_for(GSD, predictor.meta.gsd_m)
        step = reader.reduction(scale) if reduced else 1
        rgb, valid = reader.read(Window(col_off=0, row_off=0, width=w, height=h), step)
    read = time.perf_counter() - start
    mapped = map_image(predictor, rgb, scale=scale, valid=valid, shape=(h, w))
    return mapped.labels(), read, time.perf_counter() - start


def run(precision: str, repeat: int, cogs: dict[Path, dict[str, Path]]) -> None:
    """One table for one precision."""
    predictor = load_predictor(None, precision=precision)
    schema = predictor.meta.schema
    k, ignore = schema.num_classes, schema.ignore_index
    cms = {m: np.zeros((k, k), np.int64) for m in ROWS}
    agree = {m: 0.0 for m in ROWS}
    times: dict[str, list[tuple[float, float]]] = {m: [] for m in ROWS}
    for tile, cog in cogs.items():
        mask = tile.with_name(tile.name.replace("_sat.jpg", "_mask.png"))
        truth = read_mask_labels(mask, schema).labels
        base = None
        for m in ROWS:
            path, reduced = (tile, m == "b") if m in "ab" else (cog[m], True)
            best = None
            for _ in range(repeat):
                labels, read, total = map_tile(predictor, path, reduced)
                best = (read, total) if best is None or total < best[1] else best
            times[m].append(best)  # type: ignore[arg-type]
            cms[m] += confusion_matrix(truth, labels, k, ignore)
            base = labels if base is None else base
            agree[m] += float(np.mean(labels == base)) / len(cogs)
    print(f"\n{precision} (load average {os.getloadavg()[0]:.1f})\n")
    print("| read | mIoU | vs (a) | pixels as (a) | read s/tile | read + map s/tile |")
    print("|---|---|---|---|---|---|")
    base_miou = scores(cms["a"], ignore).miou
    for m, name in ROWS.items():
        miou = scores(cms[m], ignore).miou
        read, total = (float(np.mean(x)) for x in zip(*times[m], strict=True))
        print(f"| ({m}) {name} | {miou:.4f} | {miou - base_miou:+.4f} | {agree[m]:.1%} "
              f"| {read:.3f} | {total:.3f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", nargs="+", default=["int8", "fp32"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tiles = sorted(FULLRES.glob("*_sat.jpg"))
    if not tiles:
        raise SystemExit(f"no DeepGlobe tiles in {FULLRES}")
    with tempfile.TemporaryDirectory() as tmp:
        cogs = {
            t: {m: write_cog(t, Path(tmp), how) for m, how in (("c", "average"), ("d", "nearest"))}
            for t in tiles
        }
        for precision in args.precision:
            run(precision, args.repeat, cogs)


if __name__ == "__main__":
    main()
