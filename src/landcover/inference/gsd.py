"""The ground sampling distance (GSD) of an input, and where it came from.

In order: ``--gsd`` (``given``), the GeoTIFF's georeferencing in any CRS (``georeferencing``,
true ground metres, see :mod:`landcover.io.ground`), a ``tiles.csv`` beside the image
(``tiles.csv``), else an estimate from the pixels (``estimated``) by a small bundled CNN
(``weights/gsd-estimator.onnx``, trained by ``scripts/train_gsd_estimator.py``) that reads
nine 128-px crops at the image's own resolution and takes the median.

The estimate is reliable on imagery made like DeepGlobe's quadrants and uncertain elsewhere:
native fine imagery (sharp, 0.5 m) reads as about the training GSD, 1.2 m (model card). It is
always reported as ``estimated``, and hectares from it are marked.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from landcover.errors import LandcoverError
from landcover.io.windows import Window

ESTIMATOR = Path(__file__).resolve().parent.parent / "weights" / "gsd-estimator.onnx"
CROP = 128
GRID = 3  # crops on a GRID x GRID lattice over the image
SOURCES = ("given", "georeferencing", "tiles.csv", "estimated", "unknown")


@dataclass(frozen=True)
class Gsd:
    """Metres per pixel of an input and how they were found.

    Attributes:
        metres: ground metres per pixel, or ``None`` when unknown.
        source: one of :data:`SOURCES`.
    """

    metres: float | None
    source: str

    @property
    def estimated(self) -> bool:
        """True when the value is an estimate from the pixels (so are hectares from it)."""
        return self.source == "estimated"

    def describe(self) -> str:
        """``0.50 m (estimated)`` or ``unknown``."""
        return "unknown" if self.metres is None else f"{self.metres:.3g} m ({self.source})"


def known_gsd(path: Path, georef_gsd: float | None, given: float | None) -> Gsd:
    """The GSD from ``--gsd``, the georeferencing or ``tiles.csv``; ``unknown`` otherwise."""
    if given is not None:
        if not given > 0 or not math.isfinite(given):
            raise LandcoverError(f"--gsd must be a positive number of metres, got {given}")
        return Gsd(float(given), "given")
    if georef_gsd is not None:
        return Gsd(float(georef_gsd), "georeferencing")
    from landcover.data.pairs import tiles_row

    try:
        row = tiles_row(path)
    except LandcoverError:
        row = None
    if row and row.get("gsd_m"):
        return Gsd(float(row["gsd_m"]), "tiles.csv")
    return Gsd(None, "unknown")


def crop_windows(height: int, width: int, crop: int = CROP, grid: int = GRID) -> list[Window]:
    """Up to ``grid * grid`` distinct ``crop``-px windows spread evenly over the image."""
    ch, cw = min(crop, height), min(crop, width)
    rows = sorted({round(i * (height - ch) / max(1, grid - 1)) for i in range(grid)})
    cols = sorted({round(i * (width - cw) / max(1, grid - 1)) for i in range(grid)})
    return [Window(r, c, ch, cw) for r in rows for c in cols]


@functools.cache
def _session(path: Path) -> object:
    import onnxruntime as ort

    if not path.is_file():
        raise LandcoverError("the bundled GSD estimator is missing; give --gsd", path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def estimate_gsd(
    read: Callable[[Window], np.ndarray], height: int, width: int, model: Path = ESTIMATOR
) -> float:
    """Estimate metres per pixel from the pixels: the median over crops of the CNN's estimate.

    Args:
        read: returns the ``(h, w, 3)`` uint8 pixels of a window.
        height: image rows.
        width: image columns.
        model: the estimator ONNX file (input ``(N, 3, CROP, CROP)`` in 0..1, log2 m out).
    """
    crops = []
    for w in crop_windows(height, width):
        rgb = read(w)
        pad = ((0, CROP - rgb.shape[0]), (0, CROP - rgb.shape[1]), (0, 0))
        if any(p[1] for p in pad):
            rgb = np.pad(rgb, pad, mode="symmetric")
        crops.append(rgb.transpose(2, 0, 1).astype(np.float32) / 255.0)
    session = _session(model)
    (out,) = session.run(None, {"input": np.stack(crops)})  # type: ignore[attr-defined]
    return float(2.0 ** np.median(np.asarray(out).ravel()))


def estimate_gsd_array(image: np.ndarray) -> float:
    """:func:`estimate_gsd` for an in-memory ``(H, W, 3)`` uint8 image."""
    return estimate_gsd(lambda w: image[w.slices], image.shape[0], image.shape[1])
