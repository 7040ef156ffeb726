"""The ground sampling distance (GSD) of an input, and where it came from.

In order: ``--gsd`` (``given``), the GeoTIFF's georeferencing in any CRS (``georeferencing``,
true ground metres, see :mod:`landcover.io.ground`), a ``tiles.csv`` beside the image
(``tiles.csv``), else an estimate from the pixels (``estimated``).

The estimate: the bundled ``weights/gsd-estimator.onnx`` (frozen ImageNet EfficientNet-Lite0
features and a small head, trained by ``scripts/train_gsd_estimator.py`` on views downsampled
from native imagery of 0.018 - 30 m) reads nine crops (224 px, or the image's own size when
smaller) at the image's own resolution; the GSD is the median of their estimates and the
interval comes from their spread and the net's own variance. Where the interval is wider than
:data:`WIDE` or the estimate outside the range the model card trusts, a warning names the file
and asks for ``--gsd``. An estimate is always reported as ``estimated``, hectares from it are
marked, and it never makes ``predict`` upsample.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.windows import Window

from landcover.data.pairs import tiles_row
from landcover.errors import LandcoverError

log = logging.getLogger(__name__)

ESTIMATOR = Path(__file__).resolve().parent.parent / "weights" / "gsd-estimator.onnx"
CROP = 224
GRID = 3  # crops on a GRID x GRID lattice over the image
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
    ch, cw = min(crop, height), min(crop, width)
    rows = sorted({round(i * (height - ch) / max(1, grid - 1)) for i in range(grid)})
    cols = sorted({round(i * (width - cw) / max(1, grid - 1)) for i in range(grid)})
    return [Window(col_off=c, row_off=r, width=cw, height=ch) for r in rows for c in cols]


@functools.cache
def _session(path: Path) -> object:
    import onnxruntime as ort  # the core dependency, imported where a model is run

    if not path.is_file():
        raise LandcoverError("the bundled GSD estimator is missing; give --gsd", path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


@functools.cache
def trusted_range(model: Path = ESTIMATOR) -> tuple[float, float]:
    """``(low, high)`` metres the estimator is trusted in: its ``trusted_gsd_m`` metadata,
    else :data:`TRUSTED`."""
    meta = _session(model).get_modelmeta().custom_metadata_map  # type: ignore[attr-defined]
    low, high = json.loads(meta.get("trusted_gsd_m", json.dumps(TRUSTED)))
    return float(low), float(high)


def interval_of(log2_crops: np.ndarray, log_var: np.ndarray | None) -> tuple[float, float, float]:
    """Median and interval (metres) from per-crop ``log2`` estimates and log-variances.

    The half-width (in log2) is the crops' robust spread (1.4826 x their median absolute
    deviation) and the net's own median standard deviation, added in quadrature.
    """
    centre = float(np.median(log2_crops))
    spread = 1.4826 * float(np.median(np.abs(log2_crops - centre)))
    own = 0.0 if log_var is None else float(np.median(np.exp(0.5 * log_var)))
    half = math.hypot(spread, own)
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
    windows = crop_windows(height, width)
    if height * width <= ONE_READ_PIXELS:
        whole = read(Window(col_off=0, row_off=0, width=width, height=height))
        crops = [whole[w.toslices()] for w in windows]
    else:
        crops = [read(w) for w in windows]
    batch = np.stack([c.transpose(2, 0, 1) for c in crops]).astype(np.float32) / 255.0
    outputs = _session(model).run(None, {"input": batch})  # type: ignore[attr-defined]
    log_var = np.asarray(outputs[1]).ravel() if len(outputs) > 1 else None
    metres, low, high = interval_of(np.asarray(outputs[0]).ravel(), log_var)
    return Gsd(metres, "estimated", (low, high))


def estimate_gsd_array(image: np.ndarray, model: Path = ESTIMATOR) -> Gsd:
    """:func:`estimate_gsd` for an in-memory ``(H, W, 3)`` uint8 image."""
    return estimate_gsd(lambda w: image[w.toslices()], image.shape[0], image.shape[1], model)


def doubt(gsd: Gsd, model: Path = ESTIMATOR) -> str | None:
    """Why an estimate should not be trusted (interval wider than :data:`WIDE`, or outside
    :func:`trusted_range`), or ``None``."""
    if not gsd.estimated or gsd.metres is None or gsd.interval is None:
        return None
    low, high = gsd.interval
    if high > WIDE * low:
        return f"its crops disagree by {high / low:.2g}x"  # the interval is in the GSD text
    lo, hi = trusted_range(model)
    if not lo <= gsd.metres <= hi:
        return f"outside the range the estimator is trusted in ({lo:g}-{hi:g} m)"
    return None


def estimate_scene_gsd(
    name: str | Path, read: Callable[[Window], np.ndarray], height: int, width: int
) -> Gsd:
    """:func:`estimate_gsd` for the file ``name``, with a warning naming it when in doubt."""
    gsd = estimate_gsd(read, height, width)
    reason = doubt(gsd)
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
