"""Class statistics speed: ours (lookup table + bincount) vs the seed's per-pixel Python loop.

Ours runs over every mask of ``../shared/data/deepglobe/quadrants512`` (2117 masks of 512x512),
timed end to end (PNG decoding included) and for the counting alone. The seed's loop is far too
slow for the whole set: it runs on a sample of pixels and is extrapolated per pixel.

Run: ``.venv/bin/python benchmarks/stats.py [--data DIR] [--sample-pixels N]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from landcover.data.pairs import find_pairs
from landcover.data.stats import mask_counts
from landcover.io.images import read_mask_rgb
from landcover.schema import DEEPGLOBE

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "deepglobe" / "quadrants512"


def seed_count_pixels(mask: np.ndarray, colors: list[tuple[int, int, int]]) -> list[int]:
    """Faithful copy of the seed's counting: every pixel compared with every class colour."""
    counts = [0] * len(colors)
    for i in range(mask.shape[0]):
        for j in range(mask.shape[1]):
            pixel = mask[i, j]
            for k, color in enumerate(colors):
                if np.all(pixel == color):
                    counts[k] += 1
    return counts


def main() -> None:
    """Time both methods and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of DeepGlobe pairs")
    parser.add_argument(
        "--sample-pixels", type=int, default=64 * 64, help="pixels the seed loop counts"
    )
    args = parser.parse_args()
    pairs = find_pairs(args.data).pairs
    if not pairs:
        raise SystemExit(f"{args.data}: no pairs found")

    total = np.zeros(DEEPGLOBE.num_classes, dtype=np.int64)
    pixels = 0
    t_count = 0.0
    t0 = time.perf_counter()
    for pair in pairs:
        rgb = read_mask_rgb(pair.mask)
        t1 = time.perf_counter()
        counts, _ = mask_counts(rgb, DEEPGLOBE)
        t_count += time.perf_counter() - t1
        total += counts
        pixels += rgb.shape[0] * rgb.shape[1]
    t_ours = time.perf_counter() - t0

    # The seed compared exact colours; threshold first so that it counts the same classes.
    sample_mask = read_mask_rgb(pairs[0].mask)
    side = int(np.sqrt(args.sample_pixels))
    sample = (np.where(sample_mask[:side, :side] >= 128, 255, 0)).astype(np.uint8)
    t0 = time.perf_counter()
    seed_counts = seed_count_pixels(sample, list(DEEPGLOBE.colors))
    t_seed = time.perf_counter() - t0
    ours_sample, _ = mask_counts(sample, DEEPGLOBE)
    assert seed_counts == ours_sample.tolist(), (seed_counts, ours_sample.tolist())
    seed_rate = sample.shape[0] * sample.shape[1] / t_seed

    rows = [
        ("ours, read + count (end to end)", pixels, t_ours, pixels / t_ours),
        ("ours, counting only", pixels, t_count, pixels / t_count),
        ("seed loop, sample", sample.shape[0] * sample.shape[1], t_seed, seed_rate),
        ("seed loop, extrapolated", pixels, pixels / seed_rate, seed_rate),
    ]
    print(f"{len(pairs)} masks, {pixels:,} pixels from {args.data}")
    print(f"{'method':<34} {'pixels':>13} {'seconds':>10} {'pixels/s':>14} {'vs seed':>9}")
    for name, n, secs, rate in rows:
        print(f"{name:<34} {n:>13,} {secs:>10.2f} {rate:>14,.0f} {rate / seed_rate:>8,.0f}x")


if __name__ == "__main__":
    main()
