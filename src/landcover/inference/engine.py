"""Sliding-window prediction over an image of any size, with blended overlap.

The image is first resampled to the model's ground sampling distance (when both are known),
then cut into windows of the model's tile size (edge windows shifted inside the image; images
smaller than a window padded by reflection), predicted in batches, and the class
probabilities of overlapping windows averaged with a smooth weight window (a 2-D Hann window
with a floor so that pixels near image edges, seen by one window only, still count).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image
from rasterio.windows import Window

from landcover.data.tiling import grid
from landcover.errors import InputError
from landcover.inference.predictor import Predictor
from landcover.io.raster import NODATA_LABEL
from landcover.models.meta import ModelMeta

log = logging.getLogger(__name__)

WEIGHT_FLOOR = 0.05
MAX_BATCH_PIXELS = 1 << 19  # activations grow with pixels per call (~0.4 GB per MP)
GSD_TOLERANCE = 0.02
COARSE_LIMIT = 2.0  # inputs coarser than this many model pixels are not upsampled
#: On a graph that takes any size, an image up to this many tiles a side is one window of its
#: own size (rounded up to 32): a 2448² tile at an estimated 0.55 m (1118 px at the model's
#: GSD) costs one 1120² window instead of four 1024² windows.
OWN_WINDOW_TILES = 1.25


def model_scale(gsd_m: float | None, model_gsd_m: float | None) -> float:
    """Factor from input pixels to model pixels (``gsd_m / model_gsd_m``), 1 when unknown."""
    if not gsd_m or not model_gsd_m:
        return 1.0
    scale = float(gsd_m) / float(model_gsd_m)
    return 1.0 if abs(scale - 1.0) <= GSD_TOLERANCE else scale


def blend_weights(size: int, floor: float = WEIGHT_FLOOR) -> np.ndarray:
    """Square ``(size, size)`` float32 weight window: 2-D Hann raised to ``floor`` at the edges."""
    t = (np.arange(size, dtype=np.float64) + 0.5) / size
    w1 = floor + (1.0 - floor) * np.sin(np.pi * t) ** 2
    return np.outer(w1, w1).astype(np.float32)


def normalise(image: np.ndarray, meta: ModelMeta) -> np.ndarray:
    """``(H, W, C)`` uint8 -> ``(C, H, W)`` float32 ``(pixel / 255 - mean) / std`` via a LUT,
    each band with its own mean and std."""
    out = np.empty((image.shape[2], *image.shape[:2]), dtype=np.float32)
    levels = np.arange(256, dtype=np.float32) / 255.0
    for c in range(image.shape[2]):
        lut = ((levels - meta.mean[c]) / meta.std[c]).astype(np.float32)
        np.take(lut, image[..., c], out=out[c])
    return out


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize ``(H, W, C)`` uint8 with Pillow (bilinear with area support when shrinking);
    other than 3 bands, band by band (Pillow would read a fourth band as alpha)."""
    if image.shape[:2] == (height, width):
        return image
    size, how = (width, height), Image.Resampling.BILINEAR
    if image.shape[2] == 3:
        return np.asarray(Image.fromarray(image).resize(size, how))
    bands = [
        np.asarray(Image.fromarray(image[..., c]).resize(size, how)) for c in range(image.shape[2])
    ]
    return np.stack(bands, axis=-1)


def resize_labels(labels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize ``(h, w)`` class indices (or any 2-D array) by nearest neighbour to
    ``(height, width)``: columns first on the small array, then whole rows (contiguous copies,
    ~10x faster than one 2-D fancy index)."""
    if labels.shape == (height, width):
        return labels
    rows = np.minimum(
        ((np.arange(height) + 0.5) * labels.shape[0] / height).astype(np.intp), labels.shape[0] - 1
    )
    cols = np.minimum(
        ((np.arange(width) + 0.5) * labels.shape[1] / width).astype(np.intp), labels.shape[1] - 1
    )
    return np.take(np.take(labels, cols, axis=1), rows, axis=0)


def class_labels(probs: np.ndarray) -> np.ndarray:
    """``(K, H, W)`` probabilities -> ``(H, W)`` uint8 argmax (first class wins ties)."""
    return labels_and_confidence(probs)[0]


def labels_and_confidence(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(K, H, W)`` probabilities -> uint8 argmax and float32 maximum, both ``(H, W)``.

    Class by class, which is ~3x faster than ``argmax(axis=0)`` over the strided class axis;
    the maximum comes for free.
    """
    best = probs[0].copy()
    labels = np.zeros(probs.shape[1:], dtype=np.uint8)
    higher = np.empty(probs.shape[1:], dtype=bool)
    for k in range(1, probs.shape[0]):
        np.greater(probs[k], best, out=higher)
        np.putmask(labels, higher, k)
        np.maximum(best, probs[k], out=best)
    return labels, best


def pad_to_tile(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Pad ``(H, W, C)`` by reflection at the bottom and right to at least ``size`` a side
    (or ``(height, width)``)."""
    sh, sw = (size, size) if isinstance(size, int) else size
    pad_h, pad_w = max(0, sh - image.shape[0]), max(0, sw - image.shape[1])
    if not (pad_h or pad_w):
        return image
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")


def _ceil32(n: int) -> int:
    """``n`` rounded up to a multiple of 32 (the encoders' total stride)."""
    return max(32, -(-n // 32) * 32)


def _tta_batch(predictor: Predictor, x: np.ndarray) -> np.ndarray:
    """Average predictions over identity, two flips and a quarter turn."""
    acc = predictor.predict_batch(x)
    acc += predictor.predict_batch(np.ascontiguousarray(x[..., ::-1]))[..., ::-1]
    acc += predictor.predict_batch(np.ascontiguousarray(x[..., ::-1, :]))[..., ::-1, :]
    rot = np.ascontiguousarray(np.rot90(x, 1, axes=(2, 3)))
    acc += np.rot90(predictor.predict_batch(rot), -1, axes=(2, 3))
    return acc / 4.0


def predict_model_grid(
    predictor: Predictor,
    image: np.ndarray,
    *,
    overlap: float = 0.25,
    tta: bool = False,
    batch_size: int = 4,
) -> np.ndarray:
    """Predict an image already at the model's GSD; returns ``(K, H, W)`` float32 probabilities.

    Args:
        predictor: the model.
        image: ``(H, W, 3)`` uint8.
        overlap: fraction of a window shared with its neighbours, in [0, 1).
        tta: average over flips and a quarter turn.
        batch_size: most windows per model call (fewer for big windows, see
            :data:`MAX_BATCH_PIXELS`).
    """
    meta = predictor.meta
    size = meta.tile_size
    height, width = image.shape[:2]
    # On a graph that takes any size, an image up to OWN_WINDOW_TILES tiles costs its own
    # pixels: one window of its size rounded up to 32, instead of padding or four windows.
    limit = size * OWN_WINDOW_TILES
    own = predictor.flexible and height <= limit and width <= limit
    image = pad_to_tile(image, (_ceil32(height), _ceil32(width)) if own else size)
    x = normalise(image, meta)
    ph, pw = image.shape[:2]
    windows = (
        [Window(col_off=0, row_off=0, width=pw, height=ph)] if own else grid(ph, pw, size, overlap)
    )
    k = meta.num_classes
    if len(windows) == 1:
        (w,) = windows
        rs, cs = w.toslices()
        tile = x[None, :, rs, cs]
        probs = _tta_batch(predictor, tile) if tta else predictor.predict_batch(tile)
        return np.ascontiguousarray(probs[0, :, :height, :width], dtype=np.float32)
    batch_size = max(1, min(batch_size, MAX_BATCH_PIXELS // (size * size)))
    weight = blend_weights(size)
    acc = np.zeros((k, ph, pw), dtype=np.float32)
    wsum = np.zeros((ph, pw), dtype=np.float32)
    for start in range(0, len(windows), batch_size):
        batch: list[Window] = windows[start : start + batch_size]
        xb = np.stack(
            [x[:, w.row_off : w.row_off + size, w.col_off : w.col_off + size] for w in batch]
        )
        probs = _tta_batch(predictor, xb) if tta else predictor.predict_batch(xb)
        for w, p in zip(batch, probs, strict=True):
            rs, cs = w.toslices()
            acc[:, rs, cs] += p * weight
            wsum[rs, cs] += weight
    acc /= wsum
    return acc[:, :height, :width]


def fill_invalid(image: np.ndarray, valid: np.ndarray | None, meta: ModelMeta) -> np.ndarray:
    """Replace invalid (nodata) pixels by the model's mean colour so they disturb nothing
    (``valid`` at the image's grid, or at the full one of a reduced read: nearest pixel)."""
    if valid is None or valid.all():
        return image
    valid = resize_labels(valid, *image.shape[:2])
    out = image.copy()
    mean = np.asarray(meta.mean[: image.shape[2]])
    out[~valid] = np.clip(np.round(mean * 255.0), 0, 255).astype(np.uint8)
    return out


def scale_for(
    gsd_m: float | None, model_gsd_m: float | None, name: str = "image", estimated: bool = False
) -> float:
    """Input-to-model pixel factor; an input over :data:`COARSE_LIMIT` coarser is not upsampled.

    Such an input (a 10 m scene for a 1.2 m model) is mapped at its own pixels, costing what
    its pixel count costs, with a warning naming it: the model never saw objects that small.
    Finer inputs (drone imagery) are downsampled to the model's GSD. An ``estimated`` GSD never
    upsamples: that costs the square of the factor, and an estimate can be 2x off.
    """
    scale = model_scale(gsd_m, model_gsd_m)
    if estimated and scale > 1.0:
        return 1.0
    if scale > COARSE_LIMIT:
        log.warning(
            "%s: its GSD, %.3g m, is %.1fx coarser than the model's %g m; mapped at its own "
            "pixels without upsampling, expect a poor map (give --gsd if the GSD is wrong)",
            name,
            gsd_m,
            scale,
            model_gsd_m,
        )
        return 1.0
    return scale


@dataclass(frozen=True)
class ModelMap:
    """An image's class probabilities at the model's GSD, and the image's own grid.

    Every command brings them back the same way: the argmax (first class wins ties) at the
    model's resolution, then nearest neighbour to the input grid, so that ``evaluate`` scores
    exactly the labels ``predict`` writes (bilinear probabilities at full resolution cost ~20x
    more on a 2448-px tile).

    Attributes:
        probs: ``(K, h, w)`` float32 at the model's GSD.
        height: input rows.
        width: input columns.
        valid: ``(height, width)`` bool, False where the input is nodata; or ``None``.
    """

    probs: np.ndarray
    height: int
    width: int
    valid: np.ndarray | None = None

    def labels(self) -> np.ndarray:
        """``(H, W)`` uint8 classes, :data:`NODATA_LABEL` where the input is nodata."""
        labels = resize_labels(class_labels(self.probs), self.height, self.width)
        if self.valid is not None and not self.valid.all():
            labels[~self.valid] = NODATA_LABEL
        return labels

    def probability(self, k: int) -> np.ndarray:
        """``(H, W)`` float32 probability of class ``k``, each pixel its model pixel's (0 where
        nodata)."""
        out = resize_labels(self.probs[k], self.height, self.width)
        if self.valid is not None and not self.valid.all():
            out = out * self.valid
        return out

    def probabilities(self) -> np.ndarray:
        """``(K, H, W)`` float32: :meth:`probability` of every class."""
        return np.stack([self.probability(k) for k in range(self.probs.shape[0])])


def map_image(
    predictor: Predictor,
    image: np.ndarray,
    *,
    scale: float = 1.0,
    valid: np.ndarray | None = None,
    overlap: float = 0.25,
    tta: bool = False,
    batch_size: int = 4,
    shape: tuple[int, int] | None = None,
) -> ModelMap:
    """Map an ``(H, W, C)`` uint8 image (C: the model's bands): resample by ``scale`` to the
    model's GSD and predict.

    The one prediction path: ``predict`` (block by block), ``evaluate`` and :func:`predict_array`
    all call it. Nodata pixels (``valid`` False) are filled with the model's mean colour first.
    ``shape``: the image's full ``(H, W)`` when ``image`` was read reduced
    (:meth:`~landcover.io.raster.RasterReader.reduction`); ``scale`` and ``valid`` stay those
    of the full grid, so the model sees the same grid and the map has the full one.
    """
    small = to_model_grid(image, valid, scale, predictor.meta, shape)
    probs = predict_model_grid(predictor, small, overlap=overlap, tta=tta, batch_size=batch_size)
    height, width = shape or image.shape[:2]
    return ModelMap(probs, height, width, valid)


def to_model_grid(
    image: np.ndarray,
    valid: np.ndarray | None,
    scale: float,
    meta: ModelMeta,
    shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """Nodata filled with the model's mean colour, then resampled to ``scale`` times the full
    grid (``shape``, default the image's own: a reduced read is brought to the same model
    grid), the model's input as :func:`map_image` and int8 calibration feed it."""
    height, width = shape or image.shape[:2]
    return resize_image(
        fill_invalid(image, valid, meta),
        max(1, round(height * scale)),
        max(1, round(width * scale)),
    )


def predict_array(
    predictor: Predictor,
    image: np.ndarray,
    *,
    gsd_m: float | None = None,
    overlap: float = 0.25,
    tta: bool = False,
    valid: np.ndarray | None = None,
    batch_size: int = 4,
    estimated: bool = False,
    shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """Class probabilities ``(K, H, W)`` float32 for an in-memory image at its own resolution.

    Args:
        predictor: the model (:func:`~landcover.inference.predictor.load_predictor`).
        image: ``(H, W, 3)`` uint8 RGB (``C`` bands for a model of ``C``), any size; or
            ``(3, H, W)`` as rasterio and torchgeo hold it (an array shaped ``(3, H, 3)`` is
            read as ``(H, W, 3)``).
        gsd_m: the image's metres per pixel; when it differs from the model's, the image is
            resampled to the model's GSD (:func:`scale_for`) and each pixel gets the
            probabilities of its model pixel (:class:`ModelMap`).
        overlap: fraction of a window shared with its neighbours, in [0, 1).
        tta: average over flips and a quarter turn.
        valid: ``(H, W)`` bool, False where the input is nodata; those pixels get all-zero
            probabilities and do not influence their neighbours' colour statistics.
        batch_size: windows per model call.
        estimated: ``gsd_m`` is an estimate (never used to upsample).
        shape: the full ``(H, W)`` of an image read reduced (:func:`map_image`); ``gsd_m``
            and ``valid`` stay those of the full image, and so does the result.
    """
    c = predictor.meta.in_channels
    if image.ndim == 3 and image.shape[0] == c and image.shape[2] != c:
        image = np.ascontiguousarray(np.moveaxis(image, 0, -1))  # (C, H, W) -> (H, W, C)
    if image.ndim != 3 or image.shape[2] != c or image.dtype != np.uint8:
        raise InputError(
            f"expected an (H, W, {c}) or ({c}, H, W) uint8 image, got {image.shape} {image.dtype}"
        )
    scale = scale_for(gsd_m, predictor.meta.gsd_m, estimated=estimated)
    return map_image(
        predictor,
        image,
        scale=scale,
        valid=valid,
        overlap=overlap,
        tta=tta,
        batch_size=batch_size,
        shape=shape,
    ).probabilities()
