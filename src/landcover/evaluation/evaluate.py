"""Evaluate a model on image/mask pairs and write a full report.

Each image is predicted exactly as ``landcover predict`` does, through the same function
(:func:`~landcover.inference.engine.map_image`: same GSD rules, argmax at the model's GSD brought
back by nearest neighbour to the mask's full resolution), then
scored into one confusion matrix accumulated over the whole set. Memory stays bounded: one
image's probabilities at a time, and small thumbnails for the galleries.

Report files (``metrics.json`` is written last, so its presence means the run finished):
``confusion.csv``, ``confusion.png``, ``per_image.csv``, ``flags.csv``, ``metrics.json`` and
``gallery/{worst,best,random,flagged}/NN_<image>.png``.
"""

from __future__ import annotations

import functools
import logging
import math
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.windows import Window

from landcover.data.pairs import Pair
from landcover.errors import LandcoverError, LandcoverIOError
from landcover.evaluation.class_match import match_classes, remapped
from landcover.evaluation.flags import Flag, find_flags
from landcover.evaluation.metrics import Scores, confusion_matrix, scores
from landcover.evaluation.per_image import ImageScore, image_score
from landcover.evaluation.report import (
    format_summary,
    metrics_dict,
    save_figure,
    write_confusion_csv,
    write_flags_csv,
    write_metrics_json,
    write_per_image_csv,
)
from landcover.evaluation.samples import Sample, TopN, make_sample
from landcover.inference.engine import labels_and_confidence, model_scale, predict_array
from landcover.inference.gsd import estimate_gsd_array
from landcover.inference.predictor import Predictor
from landcover.io.atomic import prepare_output_dir
from landcover.io.bands import BandSpec
from landcover.io.masks import far_from_palette as far_from_palette
from landcover.io.masks import read_mask_labels
from landcover.io.progress import progress_bar
from landcover.io.raster import RasterReader
from landcover.models.meta import ModelMeta
from landcover.schema import ClassSchema, EncodedMask
from landcover.viz.confusion import plot_confusion
from landcover.viz.gallery import plot_comparison

log = logging.getLogger(__name__)

REPORT_FILES = (
    "metrics.json",
    "confusion.csv",
    "confusion.png",
    "per_image.csv",
    "flags.csv",
    "index.html",
)
GALLERY_DIR = "gallery"
REPORT_DIRS = (GALLERY_DIR, "report_assets")
"""Folders of a report: the galleries, and the HTML page's files (written by
:mod:`landcover.report`, a room above this one; a test keeps the name its ``ASSETS_DIR``)."""
OFF_PALETTE_LIMIT = 0.5
"""Share of off-palette mask pixels above which a mask is taken to use another schema."""

PredictFn = Callable[..., np.ndarray]
"""``predict(predictor, image, *, gsd_m, overlap, tta) -> (K, H, W) float32`` probabilities
(also given ``valid``, ``estimated`` and, for an image read reduced, its full ``shape``, as
:func:`~landcover.inference.engine.predict_array` takes them)."""


@dataclass
class EvaluationResult:
    """What an evaluation produced.

    Attributes:
        out: the report folder.
        schema: the class schema scored.
        confusion: the ``(K, K)`` confusion matrix over the whole set (rows = truth).
        scores: set-level scores from ``confusion``.
        images: per-image scores, in evaluation order.
        flags: doubtful areas found, largest first.
        failed: ``(image key, error message)`` of the pairs skipped.
    """

    out: Path
    schema: ClassSchema
    confusion: np.ndarray
    scores: Scores
    images: list[ImageScore] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """The text table printed at the end of ``landcover evaluate``."""
        return format_summary(self.scores, self.schema, len(self.images))


def prepare_output(out: str | Path, overwrite: bool = False) -> Path:
    """Create the report folder; refuse one already holding a report unless ``overwrite``.

    With ``overwrite``, the previous report's files and galleries are removed first so that no
    stale file is mistaken for part of the new report.

    Raises:
        LandcoverError: when ``out`` is a file, holds a report (without ``overwrite``), or
            cannot be written.
    """
    out = Path(out)
    names = (*REPORT_FILES, *REPORT_DIRS)
    prepare_output_dir(out, names, overwrite)
    for n in names:
        p = out / n
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    return out


def read_truth(
    pair: Pair, schema: ClassSchema, bands: Sequence[BandSpec] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read a pair's image ``(H, W, 3)``, mask class indices ``(H, W)`` ``uint8`` and validity.

    The image is read as ``landcover predict`` reads it
    (:class:`~landcover.io.raster.RasterReader`: ``bands``, percentile stretch of 16-bit and
    float rasters). Its nodata and NaN pixels are returned as ``valid`` (``(H, W)`` bool, or
    ``None`` when every pixel is valid) and get the schema's fill index in the labels, so they
    are never scored. The mask is read in ``schema``'s format
    (:func:`~landcover.io.masks.read_mask_labels`), refused when most of its colours are far
    from an RGB schema's palette; a format that looks wrong is logged as a warning.

    Raises:
        LandcoverError: for unreadable files, a mask in another schema's colours or format, or
            a mask whose size differs from its image's.
    """
    try:
        with RasterReader(pair.image, bands=bands) as reader:
            info = reader.info
            image, valid = reader.read(
                Window(col_off=0, row_off=0, width=info.width, height=info.height)
            )
    except LandcoverError:
        raise
    except OSError as e:  # rasterio's read errors on a truncated raster
        first = str(e).splitlines()[0]
        raise LandcoverIOError(f"not a readable raster ({first})", pair.image) from e
    enc = read_mask_labels(pair.mask, schema, max_far=OFF_PALETTE_LIMIT)
    if image.shape[:2] != enc.labels.shape:
        raise LandcoverError(
            f"mask is {enc.labels.shape[1]}x{enc.labels.shape[0]} but its image "
            f"{pair.image.name} is {image.shape[1]}x{image.shape[0]}",
            pair.mask,
        )
    _log_off_palette(pair.mask, enc, schema)
    if valid.all():
        return image, enc.labels, None
    log.info("%s: %d nodata pixels, not scored", pair.image, int(np.count_nonzero(~valid)))
    enc.labels[~valid] = schema.fill_index
    return image, enc.labels, valid


def reduced_read(
    path: Path,
    bands: Sequence[BandSpec] | None,
    meta: ModelMeta,
    image: np.ndarray,
    gsd_m: float | None,
    extra: dict[str, Any],
) -> np.ndarray:
    """The image the model is given, read as ``predict`` reads it: reduced from the file's
    overviews or a JPEG's DCT scales when the model's GSD is coarser
    (:meth:`~landcover.io.raster.RasterReader.reduction`; ``extra`` then gets the full
    ``shape``), else ``image`` itself."""
    scale = model_scale(gsd_m, meta.gsd_m)  # as scale_for when it shrinks, without its warning
    if scale >= 1.0:
        return image
    with RasterReader(path, bands=bands) as reader:
        step = reader.reduction(scale)
        if step == 1:
            return image
        extra["shape"] = image.shape[:2]
        height, width = image.shape[:2]
        return reader.read(Window(col_off=0, row_off=0, width=width, height=height), step)[0]


def _log_off_palette(path: Path, enc: EncodedMask, schema: ClassSchema) -> None:
    """Warn about mask pixels that are no class (they are not scored)."""
    for found, what in (
        (enc.off_colors, "off the {} palette"),
        (enc.off_values, "with values that are no {} class"),
    ):
        if found:
            listed = ", ".join(f"{key}: {n}" for key, n in list(found.items())[:5])
            text = what.format(schema.name)
            log.warning("%s: %d pixels %s (%s), not scored", path, enc.off_palette, text, listed)


def _default_predict() -> PredictFn:
    return predict_array


def _title(row: ImageScore) -> str:
    def pct(v: float) -> str:
        return "-" if math.isnan(v) else f"{100 * v:.1f}%"

    return f"{row.name}   pixel accuracy {pct(row.pixel_accuracy)}   mIoU {pct(row.miou)}"


def evaluate_pairs(
    predictor: Predictor,
    pairs: Sequence[Pair],
    out: str | Path,
    *,
    schema: ClassSchema | None = None,
    gsd_m: float | None = None,
    gallery: int = 4,
    flag_threshold: float = 0.9,
    min_area: float = 0.05,
    overlap: float = 0.25,
    tta: bool = False,
    overwrite: bool = False,
    seed: int = 0,
    progress: bool = True,
    predict: PredictFn | None = None,
    model_name: str = "model",
    bands: Sequence[BandSpec] | None = None,
    estimate: bool = True,
) -> EvaluationResult:
    """Predict and score every pair, then write the report into ``out``.

    ``predictor`` is the model (with ``.meta``); ``schema`` the data's (default: the model's,
    matched to it by class name: :func:`~landcover.evaluation.class_match.match_classes`);
    ``gsd_m`` the images' metres per pixel (``None``: estimated per image
    unless ``estimate`` is false, as ``predict`` does); ``gallery`` images per gallery (worst,
    best, random with ``seed``, flagged; 0 for none); ``flag_threshold``/``min_area`` what a
    confident disagreement is (:func:`~landcover.evaluation.flags.find_flags`); ``overlap``/
    ``tta`` the sliding windows; ``predict`` the predicting function (default
    :func:`~landcover.inference.engine.predict_array`, the path ``predict`` takes);
    ``model_name`` the model's name in errors and ``metrics.json``; ``bands`` the RGB bands.
    A pair that cannot be read is skipped and listed in :attr:`EvaluationResult.failed`.

    Raises:
        LandcoverError: for an empty pair list, a schema mismatch, an unusable report folder,
            or when no pair at all could be evaluated.
    """
    schema = schema or predictor.meta.schema
    mapping = match_classes(predictor.meta.schema, schema, model_name)
    if not pairs:
        raise LandcoverError("no image/mask pairs to evaluate")
    if predictor.meta.in_channels != 3:
        raise LandcoverError(
            f"{model_name} reads {predictor.meta.in_channels} bands; image/mask pairs are read "
            "as RGB: evaluate it on a scene list"
        )
    out = prepare_output(out, overwrite)
    predict = remapped(predict or _default_predict(), mapping)
    run = _Tally(schema, gallery, len(pairs), seed, flag_threshold, min_area)
    for i, pair in enumerate(progress_bar(pairs, "evaluate", "image", disable=not progress)):
        try:
            image, truth, valid = read_truth(pair, schema, bands)
            gsd, extra = run.gsd_for(image, gsd_m, estimate)
            if valid is not None:
                extra["valid"] = valid
            seen = reduced_read(pair.image, bands, predictor.meta, image, gsd, extra)
            probs = predict(predictor, seen, gsd_m=gsd, overlap=overlap, tta=tta, **extra)
        except LandcoverError as e:
            log.warning("skipped: %s", e)
            run.failed.append((pair.key, str(e)))
            continue
        run.add(i, pair, image, truth, probs)
    result = run.result(out, len(pairs))
    _write_report(result, model_name, run.gsd_text(gsd_m), run.galleries())
    return result


class _Tally:
    """What the images of one evaluation add up to: the matrix, rows, flags and galleries."""

    def __init__(
        self, schema: ClassSchema, gallery: int, n: int, seed: int, threshold: float, area: float
    ) -> None:
        self.schema, self.threshold, self.min_area = schema, threshold, area
        k = schema.num_classes
        self.total = np.zeros((k, k), dtype=np.int64)
        self.rows: list[ImageScore] = []
        self.flags: list[Flag] = []
        self.failed: list[tuple[str, str]] = []
        self.estimated: list[float] = []
        self.worst, self.best = TopN(gallery, largest=False), TopN(gallery, largest=True)
        self.flagged = TopN(gallery, largest=True)
        rng = np.random.default_rng(seed)
        self.chosen = set(rng.choice(n, size=min(gallery, n), replace=False).tolist())
        self.randoms: list[Sample] = []

    def add(
        self, i: int, pair: Pair, image: np.ndarray, truth: np.ndarray, probs: np.ndarray
    ) -> None:
        """Score one image's ``(K, H, W)`` probabilities against its mask."""
        schema, k = self.schema, self.schema.num_classes
        if probs.shape != (k, *truth.shape):
            raise LandcoverError(
                f"prediction has shape {probs.shape}, expected {(k, *truth.shape)}", pair.image
            )
        pred, confidence = labels_and_confidence(probs)
        cm = confusion_matrix(truth, pred, k, schema.ignore_index)
        self.total += cm
        row = image_score(pair.key, cm, schema)
        self.rows.append(row)
        if row.pixels == 0:
            log.info("%s: every mask pixel is ignored; image not scored", pair.mask)
        found = find_flags(
            pred,
            confidence,
            truth,
            threshold=self.threshold,
            min_area=self.min_area,
            ignore_index=schema.ignore_index,
            image=pair.key,
        )
        self.flags.extend(found)
        self._offer(i, pair, image, pred, truth, row, found)

    def _offer(
        self,
        i: int,
        pair: Pair,
        image: np.ndarray,
        pred: np.ndarray,
        truth: np.ndarray,
        row: ImageScore,
        found: list[Flag],
    ) -> None:
        """Offer the image to the galleries (samples are only drawn when kept)."""
        title = _title(row)

        def make(box: tuple[int, int, int, int] | None = None, t: str = title) -> Sample:
            return make_sample(pair.key, image, pred, truth, t, box)

        self.worst.offer(row.miou, make)
        self.best.offer(row.miou, make)
        if i in self.chosen:
            self.randoms.append(make())
        if found:
            f, classes = found[0], self.schema.classes
            ftitle = (
                f"{pair.key}   {100 * f.area_fraction:.1f}% predicted "
                f"{classes[f.predicted]} ({f.confidence:.2f}), mask says {classes[f.mask]}"
            )
            self.flagged.offer(f.area_fraction, functools.partial(make, f.box, ftitle))

    def gsd_for(
        self, image: np.ndarray, gsd_m: float | None, estimate: bool
    ) -> tuple[float | None, dict[str, Any]]:
        """The GSD to map ``image`` at, and ``{"estimated": True}`` when it is an estimate
        from the pixels (remembered for the report; never used to upsample)."""
        if gsd_m is not None or not estimate:
            return gsd_m, {}
        metres = estimate_gsd_array(image).metres
        if metres is None:
            return None, {}
        self.estimated.append(metres)
        return metres, {"estimated": True}

    def result(self, out: Path, n: int) -> EvaluationResult:
        """The scores over every image added; an error when none could be."""
        if not self.rows:
            first = self.failed[0][1] if self.failed else ""
            raise LandcoverError(f"none of the {n} pairs could be evaluated (first: {first})")
        self.flags.sort(key=lambda f: -f.area_fraction)
        k = self.schema.ignore_index
        matrix = scores(self.total, k)
        return EvaluationResult(
            out, self.schema, self.total, matrix, self.rows, self.flags, self.failed
        )

    def galleries(self) -> dict[str, list[Sample]]:
        """The kept samples of each gallery."""
        return {
            "worst": self.worst.ranked(),
            "best": self.best.ranked(),
            "random": self.randoms,
            "flagged": self.flagged.ranked(),
        }

    def gsd_text(self, gsd_m: float | None) -> float | str | None:
        """The GSD for ``metrics.json``: given, or the range of the per-image estimates."""
        if not self.estimated:
            return gsd_m
        text = f"estimated per image, {min(self.estimated):.3g}-{max(self.estimated):.3g} m"
        log.info("GSD: %s (median %.3g m)", text, float(np.median(self.estimated)))
        return text


def _write_report(
    result: EvaluationResult,
    model_name: str,
    gsd_m: float | str | None,
    galleries: dict[str, list[Sample]],
) -> None:
    out, schema = result.out, result.schema
    write_confusion_csv(out / "confusion.csv", result.confusion, schema)
    write_per_image_csv(out / "per_image.csv", result.images)
    write_flags_csv(out / "flags.csv", result.flags, schema)
    save_figure(
        plot_confusion(result.confusion, schema.classes, schema.ignore_index), out / "confusion.png"
    )
    for kind, samples in galleries.items():
        if not samples:
            continue
        folder = out / GALLERY_DIR / kind
        folder.mkdir(parents=True, exist_ok=True)
        for n, s in enumerate(samples, 1):
            fig = plot_comparison(s.image, s.pred, s.truth, schema, s.title, s.box)
            save_figure(fig, folder / f"{n:02d}_{_safe_name(s.name)}.png")
    metrics = metrics_dict(result.scores, schema, len(result.images))
    metrics.update(
        model=model_name,
        gsd_m=gsd_m,
        flagged_images=len({f.image for f in result.flags}),
        failed=[{"image": k, "error": e} for k, e in result.failed],
    )
    write_metrics_json(out / "metrics.json", metrics)


def _safe_name(key: str) -> str:
    stem = key.rsplit(".", 1)[0] if "." in key.rsplit("/", 1)[-1] else key
    return stem.replace("/", "__")
