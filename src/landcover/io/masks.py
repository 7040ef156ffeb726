"""Reading mask files into class labels, in the format a class schema declares.

:func:`read_mask_labels` is the one way masks are read: by ``check``, ``stats``, training and
evaluation. ``rgb`` schemas read the mask as colours (:func:`~landcover.io.images.read_mask_rgb`)
and match them to the palette; ``index`` schemas read a single band as-is (PNG modes ``L``, ``P``
(its indices, not its colours), ``I;16``, ``I``, or a 1-band raster) and take each value as a
class index. A format that does not fit the schema is named: a single-channel mask under an
``rgb`` schema gets a warning (its grey levels are most likely class indices), a colour mask under
an ``index`` schema a :class:`MaskFormatError`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image, UnidentifiedImageError

from landcover.errors import LandcoverError, LandcoverIOError
from landcover.io.images import read_mask_rgb
from landcover.io.pictures import RASTER_SUFFIXES, check_file, open_picture, short_error
from landcover.io.raster import open_raster
from landcover.schema import ClassSchema, EncodedMask

log = logging.getLogger(__name__)

#: Pillow modes holding one band (an alpha band aside).
SINGLE_CHANNEL_MODES = frozenset(
    {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
)
SINGLE_CHANNEL_WARNING = "single-channel mask: class indices? use a schema with mask_format: index"

_warned: set[tuple[Path, str]] = set()


class MaskFormatError(LandcoverError, ValueError):
    """A mask file in a format its schema cannot read (e.g. a colour mask, index schema)."""


def read_mask_labels(
    path: str | Path,
    schema: ClassSchema,
    *,
    log_warning: bool = True,
    max_far: float | None = None,
) -> EncodedMask:
    """Read a mask file into class labels for ``schema`` (its ``mask_format``).

    Args:
        path: the mask file (PNG, JPEG, TIFF...).
        schema: the class schema the mask follows.
        log_warning: also log the result's ``warning`` (once per file), naming the file.
        max_far: ``rgb`` schemas only: refuse a mask when more than this share of its pixels
            is far from every palette colour (:func:`far_from_palette`), i.e. drawn in another
            schema's colours.

    Returns:
        The labels ``(H, W)`` ``uint8``, off-palette (or off-range) pixel counts and a
        ``warning`` when the file's format looks wrong for the schema.

    Raises:
        LandcoverError: naming the file when it is unreadable or in another schema's colours;
            :class:`MaskFormatError` for a colour mask under an ``index`` schema.
    """
    p = check_file(path)
    if schema.mask_format == "index":
        return schema.encode_index(read_index_mask(p, schema.name))
    rgb = read_mask_rgb(p)
    if max_far is not None:
        far = far_from_palette(rgb, schema)
        if far > max_far:
            raise LandcoverError(
                f"{100 * far:.0f}% of the mask's colours are far from the {schema.name!r} "
                "palette: is it labelled with another schema? (see --schema)",
                p,
            )
    encoded = schema.encode(rgb)
    if not is_single_channel(p):
        return encoded
    if log_warning and (p, SINGLE_CHANNEL_WARNING) not in _warned:
        _warned.add((p, SINGLE_CHANNEL_WARNING))
        log.warning("%s: %s", p, SINGLE_CHANNEL_WARNING)
    return replace(encoded, warning=SINGLE_CHANNEL_WARNING)


def read_index_mask(path: str | Path, schema_name: str = "index") -> np.ndarray:
    """Read an index mask as ``(H, W)`` integer pixel values, unconverted.

    Palette PNGs give their indices; an alpha band is dropped; a 3-band mask whose bands are
    equal (grey saved as RGB) gives its first band.

    Raises:
        LandcoverError: naming the file when it is unreadable;
            :class:`MaskFormatError` for a colour mask or non-integer values.
    """
    p = check_file(path)
    arr = _read_raster_bands(p) if p.suffix.lower() in RASTER_SUFFIXES else _read_pil_bands(p)
    if arr.ndim == 3:
        arr = _one_band(arr, p, schema_name)
    if arr.dtype == bool:
        return arr.astype(np.uint8)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)):
            raise MaskFormatError("index mask holds non-integer values", p)
        return arr.astype(np.int64)
    if arr.dtype.kind not in "ui":
        raise MaskFormatError(f"index mask holds {arr.dtype} values, not integers", p)
    return arr


def _one_band(arr: np.ndarray, p: Path, schema_name: str) -> np.ndarray:
    """The class-index band of an ``(H, W, C)`` array: its first, when it is grey or has alpha."""
    if arr.shape[2] <= 2:  # grey, or grey + alpha
        return np.ascontiguousarray(arr[..., 0])
    rgb = arr[..., :3]
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        log.info("%s: grey %d-band mask, class indices read from its first band", p, arr.shape[2])
        return np.ascontiguousarray(rgb[..., 0])
    raise MaskFormatError(
        f"colour mask, but schema {schema_name!r} reads class indices (mask_format: index); "
        "use a schema with mask_format: rgb",
        p,
    )


def _read_pil_bands(p: Path) -> np.ndarray:
    """Pixel values of a Pillow image, ``(H, W)`` or ``(H, W, C)``, without conversion."""
    try:
        with open_picture(p) as im:
            im.load()
            if im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
                raise MaskFormatError(f"{im.mode} image is no index mask", p)
            return np.asarray(im).copy()
    except LandcoverError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise LandcoverIOError(f"not a readable image, or truncated ({short_error(e)})", p) from e


def _read_raster_bands(p: Path) -> np.ndarray:
    """Every band of a raster as ``(H, W)`` (one band) or ``(H, W, C)``."""
    try:
        with open_raster(p) as src:
            data = src.read()
    except (rasterio.errors.RasterioError, OSError) as e:
        raise LandcoverIOError(f"not a readable raster ({short_error(e)})", p) from e
    return data[0] if data.shape[0] == 1 else np.moveaxis(data, 0, -1)


def is_single_channel(path: str | Path) -> bool:
    """True when the file holds one band (greyscale image, 1-band raster), from its header.

    An unreadable file gives ``False`` (reading it reports the problem).
    """
    p = Path(path)
    try:
        if p.suffix.lower() in RASTER_SUFFIXES:
            with open_raster(p) as src:
                return bool(src.count == 1)
        with Image.open(p) as im:
            return im.mode in SINGLE_CHANNEL_MODES
    except Exception:  # noqa: BLE001 - a probe; the reader names the real problem
        return False


def far_from_palette(rgb: np.ndarray, schema: ClassSchema, sample: int = 10_000) -> float:
    """Share of mask pixels (on a regular sample) farther than ``schema.tolerance`` from every
    class colour: near 1 for a mask drawn in another schema's colours, near 0 otherwise.

    Thresholded schemas accept any colour, so only this distance tells a DeepGlobe mask from,
    say, a Dubai one.
    """
    flat = rgb.reshape(-1, 3)
    flat = flat[:: max(1, flat.shape[0] // sample)]
    if not flat.size:
        return 0.0
    colors, counts = np.unique(flat, axis=0, return_counts=True)
    dist = np.linalg.norm(
        colors[:, None, :].astype(np.float32) - schema.palette[None].astype(np.float32), axis=2
    )
    return float(counts[dist.min(axis=1) > schema.tolerance].sum() / counts.sum())
