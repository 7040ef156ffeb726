"""The ground sampling distance (GSD) of an input, and where it came from.

In order: ``--gsd`` (``given``), the GeoTIFF's georeferencing in any CRS (``georeferencing``,
true ground metres, see :mod:`landcover.io.ground`), a ``tiles.csv`` beside the image
(``tiles.csv``), else an estimate from the pixels (``estimated``).

The estimate: the bundled ``weights/gsd-estimator.onnx`` (frozen ImageNet EfficientNet-Lite0
features and a small head, trained by ``scripts/train_gsd_estimator.py`` on views downsampled
from native imagery of 0.018 - 30 m) reads nine crops on a 3 x 3 lattice over the image at
its own resolution (224 px, or the image's own size when smaller): the GSD is the median of
their estimates. Four more crops, at the lattice's edge midpoints, are read twice as large
and halved (the same ground at twice the GSD). The interval comes from the nine crops'
spread, the net's own variance and half the gap between the halved crops' reading (divided
by 2) and the estimate: a net that reads one scene differently at two scales widens its own
interval. Where the interval is wider than :data:`WIDE`, the image holds under
:data:`MIN_CROPS` crops' worth of pixels (its crops overlap, so their agreement proves
little), or the estimate is outside the range the model card trusts, a warning names the
file and asks for ``--gsd``. An estimate is always reported as ``estimated``, hectares from
it are marked, and it never makes ``predict`` upsample.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from rasterio.windows import Window

from landcover.data.pairs import tiles_row
from landcover.errors import LandcoverError, LandcoverIOError

log = logging.getLogger(__name__)

ESTIMATOR = Path(__file__).resolve().parent.parent / "weights" / "gsd-estimator.onnx"
CROP = 224
GRID = 3  # crops on a GRID x GRID lattice over the image
HALVED = (1, 3, 5, 7)  # lattice places (the edge midpoints) also read 2 x CROP px and halved
#: Images under this many crops' worth of pixels are flagged: their crops overlap, and of
#: never-seen files cut to 224 px, 17 % were off by over 1.41x with a narrow interval (model
#: card, ``benchmarks/gsd_estimation.py --part sizes``).
MIN_CROPS = 2.0
SOURCES = ("given", "georeferencing", "tiles.csv", "estimated", "unknown")
#: Images up to this many pixels are read once, whole, and cut into crops: a JPEG or PNG is
#: decoded whole for every window read (nine reads of a 2448² JPEG cost 1.7 s, one 0.2 s).
ONE_READ_PIXELS = 16_000_000
#: An estimate whose interval spans more than this factor (high / low) is flagged.
WIDE = 2.0
#: The range (metres) an estimate is trusted in (measured on never-seen files: model card),
#: unless the model file's ``trusted_gsd_m`` says otherwise.
TRUSTED = (0.07, 15.0)


@dataclass(frozen=True)
class Gsd:
    """Metres per pixel of an input and how they were found.

    Attributes:
        metres: ground metres per pixel, or ``None`` when unknown.
        source: one of :data:`SOURCES`.
        interval: ``(low, high)`` metres for an estimate, else ``None``.
    """

    metres: float | None
    source: str
    interval: tuple[float, float] | None = None

    @property
    def estimated(self) -> bool:
        """True when the value is an estimate from the pixels (so are hectares from it)."""
        return self.source == "estimated"

    def describe(self) -> str:
        """``0.5 m (estimated, 0.42-0.6 m)``, ``0.5 m (given)`` or ``unknown``."""
        if self.metres is None:
            return "unknown"
        span = "" if self.interval is None else f", {self.interval[0]:.3g}-{self.interval[1]:.3g} m"
        return f"{self.metres:.3g} m ({self.source}{span})"


def known_gsd(path: Path, georef_gsd: float | None, given: float | None) -> Gsd:
    """The GSD from ``--gsd``, the georeferencing or ``tiles.csv``; ``unknown`` otherwise."""
    if given is not None:
        if not given > 0 or not math.isfinite(given):
            raise LandcoverError(f"--gsd must be a positive number of metres, got {given}")
        return Gsd(float(given), "given")
    if georef_gsd is not None:
        return Gsd(float(georef_gsd), "georeferencing")

    try:
        row = tiles_row(path)
    except LandcoverError:
        row = None
    if row and row.get("gsd_m"):
        return Gsd(float(row["gsd_m"]), "tiles.csv")
    return Gsd(None, "unknown")


def crop_windows(height: int, width: int, crop: int = CROP, grid: int = GRID) -> list[Window]:
    """Up to ``grid * grid`` distinct ``crop``-px windows spread evenly over the image."""
    lattice = _lattice(height, width, crop, grid)
    return list(dict.fromkeys(lattice))


def _lattice(height: int, width: int, crop: int, grid: int = GRID) -> list[Window]:
    """``grid * grid`` ``crop``-px windows (clipped to the image), row by row; repeats kept."""
    ch, cw = min(crop, height), min(crop, width)
    rows = [round(i * (height - ch) / max(1, grid - 1)) for i in range(grid)]
    cols = [round(i * (width - cw) / max(1, grid - 1)) for i in range(grid)]
    return [Window(col_off=c, row_off=r, width=cw, height=ch) for r in rows for c in cols]


def estimate_windows(height: int, width: int) -> list[tuple[Window, int]]:
    """The estimator's crops as ``(window, factor)``: :func:`crop_windows` at 1, then the
    :data:`HALVED` places of the ``2 * CROP`` lattice at 2 (read twice as large, then halved)."""
    halved = _lattice(height, width, 2 * CROP)
    return [(w, 1) for w in crop_windows(height, width)] + [(halved[i], 2) for i in HALVED]


def _halve(crop: np.ndarray) -> np.ndarray:
    """``crop`` at half its size, anti-aliased (Lanczos, as the training views)."""
    h, w = crop.shape[:2]
    size = (max(1, round(w / 2)), max(1, round(h / 2)))
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))


@functools.cache
def _session(path: Path) -> object:
    import onnxruntime as ort  # the core dependency, imported where a model is run

    if not path.is_file():
        raise LandcoverIOError("the bundled GSD estimator is missing; give --gsd", path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = os.cpu_count() or 1  # as the map's model: 0.15 -> 0.09 s on 2
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared cores
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


@functools.cache
def trusted_range(model: Path = ESTIMATOR) -> tuple[float, float]:
    """``(low, high)`` metres the estimator is trusted in: its ``trusted_gsd_m`` metadata,
    else :data:`TRUSTED`."""
    meta = _session(model).get_modelmeta().custom_metadata_map  # type: ignore[attr-defined]
    low, high = json.loads(meta.get("trusted_gsd_m", json.dumps(TRUSTED)))
    return float(low), float(high)


def interval_of(
    log2_crops: np.ndarray, log_var: np.ndarray | None, log2_halved: np.ndarray | None = None
) -> tuple[float, float, float]:
    """Median and interval (metres) from per-crop ``log2`` estimates and log-variances.

    The half-width (in log2) adds in quadrature the crops' robust spread (1.4826 x their median
    absolute deviation), the net's own median standard deviation, and half the gap between the
    median and the halved crops' median (``log2_halved``, already divided by 2).
    """
    centre = float(np.median(log2_crops))
    spread = 1.4826 * float(np.median(np.abs(log2_crops - centre)))
    own = 0.0 if log_var is None else float(np.median(np.exp(0.5 * log_var)))
    drift = 0.0 if log2_halved is None else abs(float(np.median(log2_halved)) - centre) / 2
    half = math.sqrt(spread**2 + own**2 + drift**2)
    return 2.0**centre, 2.0 ** (centre - half), 2.0 ** (centre + half)


def estimate_gsd(
    read: Callable[[Window], np.ndarray], height: int, width: int, model: Path = ESTIMATOR
) -> Gsd:
    """Estimate metres per pixel from the pixels, with an interval.

    Args:
        read: returns the ``(h, w, 3)`` uint8 pixels of a window.
        height: image rows.
        width: image columns.
        model: the estimator ONNX file: input ``(N, 3, H, W)`` in 0..1; outputs ``log2`` metres
            ``(N, 1)`` and optionally a log-variance ``(N, 1)``.

    Returns:
        ``Gsd(median, "estimated", (low, high))``.
    """
    windows = estimate_windows(height, width)
    if height * width <= ONE_READ_PIXELS:
        whole = read(Window(col_off=0, row_off=0, width=width, height=height))
        crops = [whole[w.toslices()] for w, _ in windows]
    else:
        crops = [read(w) for w, _ in windows]
    crops = [c if f == 1 else _halve(c) for c, (_, f) in zip(crops, windows, strict=True)]
    est, log_var = np.zeros(len(crops)), None
    for shape in dict.fromkeys(c.shape for c in crops):  # one batch per crop size
        group = [i for i, c in enumerate(crops) if c.shape == shape]
        batch = np.stack([crops[i].transpose(2, 0, 1) for i in group]).astype(np.float32) / 255
        out = _session(model).run(None, {"input": batch})  # type: ignore[attr-defined]
        est[group] = np.asarray(out[0]).ravel()
        if len(out) > 1:  # the net's own log-variance
            log_var = np.zeros(len(crops)) if log_var is None else log_var
            log_var[group] = np.asarray(out[1]).ravel()
    factors = np.array([f for _, f in windows])
    native, log2_crops = factors == 1, est - np.log2(factors)
    own = None if log_var is None else log_var[native]
    metres, low, high = interval_of(log2_crops[native], own, log2_crops[~native])
    return Gsd(metres, "estimated", (low, high))


def estimate_gsd_array(image: np.ndarray, model: Path = ESTIMATOR) -> Gsd:
    """:func:`estimate_gsd` for an in-memory ``(H, W, 3)`` uint8 image."""
    return estimate_gsd(lambda w: image[w.toslices()], image.shape[0], image.shape[1], model)


def doubt(gsd: Gsd, model: Path = ESTIMATOR, shape: tuple[int, int] | None = None) -> str | None:
    """Why an estimate should not be trusted (interval wider than :data:`WIDE`, an image of
    ``shape`` (rows, columns) under :data:`MIN_CROPS` crops' worth of pixels, or outside
    :func:`trusted_range`), or ``None``."""
    if not gsd.estimated or gsd.metres is None or gsd.interval is None:
        return None
    low, high = gsd.interval
    if high > WIDE * low:
        return f"its interval spans {high / low:.2g}x"  # the interval is in the GSD text
    if shape is not None and shape[0] * shape[1] < MIN_CROPS * CROP * CROP:
        return f"its {shape[1]}x{shape[0]} px are too few to tell (its crops overlap)"
    lo, hi = trusted_range(model)
    if not lo <= gsd.metres <= hi:
        return f"outside the range the estimator is trusted in ({lo:g}-{hi:g} m)"
    return None


def estimate_scene_gsd(
    name: str | Path, read: Callable[[Window], np.ndarray], height: int, width: int
) -> Gsd:
    """:func:`estimate_gsd` for the file ``name``, with a warning naming it when in doubt."""
    gsd = estimate_gsd(read, height, width)
    reason = doubt(gsd, shape=(height, width))
    if reason:
        log.warning(
            "%s: GSD estimated from the pixels as %s, but %s; give --gsd for a reliable map "
            "and hectares",
            name,
            gsd.describe(),
            reason,
        )
    return gsd


def estimate_note(tables: Iterable[Mapping[str, Any]]) -> str:
    """The run's GSD-line note on estimates, from the scenes' area tables (``_areas.json``):
    the interval (one scene) or the widest (several), how many are wider than :data:`WIDE`."""
    spans = [
        t.get("gsd_interval_m") or (t["gsd_m"], t["gsd_m"])
        for t in tables
        if t.get("gsd_source") == "estimated"
    ]
    if not spans:
        return ""
    if len(spans) == 1:
        text = f"; estimated interval {spans[0][0]:.3g}-{spans[0][1]:.3g} m"
    else:
        text = f"; estimated intervals up to {max(hi / lo for lo, hi in spans):.2g}x wide"
    wide = sum(hi > WIDE * lo for lo, hi in spans)
    if wide:
        text += f", {wide} wider than {WIDE:g}x (warned)"
    return text + "; hectares marked ~ rest on the estimate: give --gsd when you know it"
