"""Imagery at known native GSDs, its hold-out split, and training views made by downsampling.

The GSD estimator (:mod:`landcover.inference.gsd`) learns from *views*: a window of a native
image, downsampled anti-aliased by a factor >= 1 (never upsampled) to a target GSD, then
blurred, colour/gamma-jittered, JPEG re-encoded, flipped and turned at random, so that neither
the sensor, the compression nor the resampling filter is the cue. Torch-free: the benchmark
uses the same split.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from landcover.errors import InputError

#: Smallest view side in pixels (a native image coarser than this at the target is not used).
MIN_VIEW = 96
#: Folders of ``gsd/`` whose files form one source each; other files: one source per owner.
FOLDER_SOURCES = ("deepglobe", "neon", "sentinel2")
HOLD_OUT_SHARE = 0.3
FILTERS = (
    Image.Resampling.LANCZOS,
    Image.Resampling.BICUBIC,
    Image.Resampling.BILINEAR,
    Image.Resampling.BOX,
    Image.Resampling.HAMMING,
)


@dataclass(frozen=True)
class GsdFile:
    """One image at its native GSD.

    Attributes:
        path: the image file.
        gsd_m: native metres per pixel.
        source: the group it belongs to (split and leave-one-source-out are per source).
    """

    path: Path
    gsd_m: float
    source: str


def source_of(name: str) -> str:
    """Source of a ``gsd.csv`` file name: its folder for DeepGlobe/NEON/Sentinel-2, else the
    owner before ``__`` (``other/weecology__x.tif`` -> ``weecology``)."""
    folder, _, base = name.partition("/")
    return folder if folder in FOLDER_SOURCES else base.split("__")[0]


def read_gsd_table(folder: Path) -> list[GsdFile]:
    """The files listed in ``folder/gsd.csv`` (columns ``file``, ``gsd_m``)."""
    table = folder / "gsd.csv"
    if not table.is_file():
        raise InputError("no gsd.csv (columns file, gsd_m)", table)
    with open(table, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [GsdFile(folder / r["file"], float(r["gsd_m"]), source_of(r["file"])) for r in rows]


def _rank(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8")).hexdigest()


def held_out(files: list[GsdFile], share: float = HOLD_OUT_SHARE) -> set[Path]:
    """The fixed ``share`` of each source's files (rounded; by a hash of the file name) that
    training never sees and the benchmark scores on."""
    by_source: dict[str, list[GsdFile]] = {}
    for f in files:
        by_source.setdefault(f.source, []).append(f)
    out: set[Path] = set()
    for group in by_source.values():
        ranked = sorted(group, key=lambda f: _rank(f.path.name))
        out.update(f.path for f in ranked[: round(share * len(group))])
    return out


def view_sides(shape: tuple[int, int], factor: float, crop: int) -> tuple[int, int] | None:
    """Rows, columns of a view at ``factor`` (capped at ``crop``), or ``None`` if too small."""
    h, w = (min(crop, int(n / factor)) for n in shape)
    return (h, w) if min(h, w) >= MIN_VIEW or factor == 1.0 else None


def downsample(region: Image.Image, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """``region`` resized down to ``size`` (columns, rows), anti-aliased by a random filter."""
    if region.size == size:
        return region
    k = int(min(region.size[0] / size[0], region.size[1] / size[1]))
    if k >= 2 and rng.random() < 0.5:
        region = region.reduce(k)  # box average first, as large overviews are made
    return region.resize(size, FILTERS[int(rng.integers(len(FILTERS)))])


def jitter(im: Image.Image, rng: np.random.Generator) -> np.ndarray:
    """Blur, colour/gamma jitter, JPEG re-encoding, flips and turns, at random."""
    if rng.random() < 0.25:
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.2, 1.0))))
    a = np.asarray(im, dtype=np.float32) / 255.0
    a = a ** float(np.exp(rng.uniform(-0.35, 0.35)))
    a = a * rng.uniform(0.8, 1.2, size=3).astype(np.float32) + np.float32(rng.uniform(-0.08, 0.08))
    if rng.random() < 0.1:
        a = a[..., rng.permutation(3)]
    a8 = (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)
    if rng.random() < 0.6:
        buf = io.BytesIO()
        Image.fromarray(a8).save(buf, format="JPEG", quality=int(rng.integers(30, 96)))
        a8 = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    if rng.random() < 0.5:
        a8 = a8[:, ::-1]
    return np.ascontiguousarray(np.rot90(a8, int(rng.integers(4))))


def make_view(
    image: np.ndarray, native: float, target: float, crop: int, rng: np.random.Generator
) -> np.ndarray | None:
    """A jittered ``(h, w, 3)`` uint8 view of ``image`` at ``target`` m (>= ``native``).

    Args:
        image: ``(H, W, 3)`` uint8 pixels at ``native`` metres per pixel.
        native: the image's GSD.
        target: the view's GSD; never finer than ``native`` (no upsampling).
        crop: largest view side.
        rng: random source.

    Returns:
        The view, or ``None`` when the image is too small for a view at ``target``.
    """
    if target < native:
        raise InputError(f"a view is never upsampled ({target} m finer than {native} m)")
    factor = target / native
    sides = view_sides(image.shape[:2], factor, crop)
    if sides is None:
        return None
    rh, rw = (min(n, math.ceil(s * factor)) for n, s in zip(image.shape[:2], sides, strict=True))
    r = int(rng.integers(0, image.shape[0] - rh + 1))
    c = int(rng.integers(0, image.shape[1] - rw + 1))
    region = Image.fromarray(image[r : r + rh, c : c + rw])
    return jitter(downsample(region, (sides[1], sides[0]), rng), rng)
