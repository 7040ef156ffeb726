"""The ground sampling distance (GSD) of an input, and where it came from.

In order: ``--gsd`` (``given``), the GeoTIFF's georeferencing in any CRS (``georeferencing``,
true ground metres, see :mod:`landcover.io.ground`), a ``tiles.csv`` beside the image
(``tiles.csv``), else an estimate from the pixels (``estimated``) by a small bundled CNN
(``weights/gsd-estimator.onnx``, trained by ``scripts/train_gsd_estimator.py``) that reads
object sizes in nine 256-px crops at the image's own resolution.

Each crop is seen through one canonical low-pass view (:func:`canonical_view`: blurred and
reduced 4x to 64 px). Training imagery finer than its source was upsampled, so it is soft and
carries a stretched JPEG block grid, while users' fine imagery is sharp with an 8-px grid; a
net that sees full detail learns those shortcuts (a first one read every native JPEG as the
training GSD). In the canonical view both look alike, and only the sizes of things remain.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from landcover.errors import LandcoverError
from landcover.io.windows import Window

log = logging.getLogger(__name__)

ESTIMATOR = Path(__file__).resolve().parent.parent / "weights" / "gsd-estimator.onnx"
CROP = 256
VIEW = 64  # side of the canonical view the estimator sees (CROP reduced 4x)
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
        model: the estimator ONNX file (input ``(N, 3, VIEW, VIEW)`` in 0..1, log2 m out).
    """
    crops = []
    for w in crop_windows(height, width):
        rgb = read(w)
        pad = ((0, CROP - rgb.shape[0]), (0, CROP - rgb.shape[1]), (0, 0))
        if any(p[1] for p in pad):
            rgb = np.pad(rgb, pad, mode="symmetric")
        crops.append(canonical_view(np.ascontiguousarray(rgb)))
    session = _session(model)
    (out,) = session.run(None, {"input": np.stack(crops)})  # type: ignore[attr-defined]
    return float(2.0 ** np.median(np.asarray(out).ravel()))


def canonical_view(rgb: np.ndarray) -> np.ndarray:
    """A ``CROP``-px ``(H, W, 3)`` uint8 crop as the estimator sees it: ``(3, VIEW, VIEW)``
    float32 in 0..1, Gaussian-blurred (sigma 1 px) then reduced with an antialiasing filter.

    Only structure coarser than ~8 input pixels is left: sharpness and JPEG block grids, which
    tell how an image was made rather than its GSD, are gone.
    """
    from PIL import Image, ImageFilter

    im = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(1.0))
    im = im.resize((VIEW, VIEW), Image.Resampling.BILINEAR, reducing_gap=None)
    return np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 255.0


def estimate_gsd_array(image: np.ndarray) -> float:
    """:func:`estimate_gsd` for an in-memory ``(H, W, 3)`` uint8 image."""
    return estimate_gsd(lambda w: image[w.slices], image.shape[0], image.shape[1])
