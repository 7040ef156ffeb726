"""Image files on disk: which suffixes are images, checks that a file can be opened, and whole
pictures (JPEG, PNG, BMP) decoded by Pillow as ``uint8`` arrays, with errors naming the file.

GeoTIFFs are read by :mod:`landcover.io.raster`; :mod:`landcover.io.images` reads either kind.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from landcover.errors import InputError, LandcoverError, LandcoverIOError
from landcover.io.bands import GREY_WARNING, stretch_to_uint8
from landcover.io.remote import input_path, is_remote

log = logging.getLogger(__name__)

PIL_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
RASTER_SUFFIXES = {".tif", ".tiff"}
IMAGE_SUFFIXES = PIL_SUFFIXES | RASTER_SUFFIXES
GREY_MODES = ("L", "LA", "1", "I;16", "I;16B", "I", "F")
CONVERTIBLE_MODES = ("RGB", "RGBA", "L", "LA", "P", "PA", "1", "CMYK", "YCbCr")
JPEG_SCALES = (2, 4, 8)
"""The reductions a JPEG decodes at directly (libjpeg's DCT scaling: 1/2, 1/4, 1/8 a side)."""


def check_file(path: str | Path) -> Path:
    """Return ``path`` if it is a non-empty readable file, else raise a clear error (a remote
    raster is returned as it is: :func:`~landcover.io.remote.check_remote` checks it).

    Raises:
        LandcoverIOError: missing, a folder, unreadable or empty.
    """
    if is_remote(path):
        return input_path(path)
    p = Path(path)
    if not p.exists():
        raise LandcoverIOError("no such file", p)
    if p.is_dir():
        raise LandcoverIOError("is a folder, not an image file", p)
    try:
        size = p.stat().st_size
        with open(p, "rb"):
            pass
    except PermissionError as e:
        raise LandcoverIOError("permission denied", p) from e
    if size == 0:
        raise LandcoverIOError("empty file (0 bytes)", p)
    return p


def open_picture(p: Path) -> Any:
    """``PIL.Image.open`` with a clear error for pictures too large to decode whole.

    A JPEG/PNG header may claim any size (60000x60000 is 3.6 G pixels, 10 GB decoded);
    Pillow refuses beyond twice ``Image.MAX_IMAGE_PIXELS`` (179 M pixels by default) with a
    ``DecompressionBombError`` traceback. Large scenes belong in tiled GeoTIFFs, which are read
    window by window.

    Raises:
        InputError: the picture is too large to decode whole.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(p)
    except Image.DecompressionBombError as e:
        size = short_error(e).split("(")[1].split(" pixels")[0] if "(" in str(e) else "?"
        raise InputError(
            f"picture of {size} pixels is too large to decode whole (limit "
            f"{2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} M pixels): convert it to a tiled "
            "GeoTIFF (e.g. gdal_translate -of COG), which is read window by window",
            p,
        ) from e


def picture_size(p: Path) -> tuple[int, int]:
    """A picture's ``(width, height)`` from its header (nothing decoded).

    Raises:
        LandcoverIOError: not a readable image.
    """
    try:
        with open_picture(p) as im:
            return im.size  # type: ignore[no-any-return]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise LandcoverIOError(f"not a readable image, or truncated ({short_error(e)})", p) from e


def read_picture(
    p: Path, mode: str = "RGB", warn_grey: bool = False, note: int = logging.INFO, step: int = 1
) -> np.ndarray:
    """Decode a whole picture as ``uint8`` in ``mode``; 16-bit and float pictures are stretched.

    Args:
        p: the file (already checked by :func:`check_file`).
        mode: the Pillow mode wanted (``"RGB"``).
        warn_grey: warn that a greyscale picture makes a poorer map.
        note: the log level of the note that the picture was converted.
        step: a JPEG decoded at 1/``step`` a side (one of :data:`JPEG_SCALES`; ``ceil(size /
            step)`` pixels), by Pillow's DCT-scaled decoding (``Image.draft``): each pixel
            within one grey level on average of the mean of its ``step x step`` block, about
            twice as fast at 1/2; other pictures (and JPEGs libjpeg cannot scale) are
            area-averaged to the same size.

    Raises:
        LandcoverIOError: not a readable image, or truncated.
        InputError: an image mode that cannot be converted.
    """
    try:
        with open_picture(p) as im:
            reduced = (-(-im.width // step), -(-im.height // step))
            if step > 1:
                im.draft(im.mode, (max(1, im.width // step), max(1, im.height // step)))
            im.load()
            if warn_grey and im.mode in GREY_MODES:
                log.warning("%s: %s", p, GREY_WARNING)
            if im.mode in ("I;16", "I;16B", "I", "F"):
                arr = stretch_to_uint8(np.asarray(im, dtype=np.float32)[..., None], p)
                return np.repeat(arr, 3, axis=2)
            if im.mode != mode:
                if im.mode not in CONVERTIBLE_MODES:
                    raise InputError(f"unsupported image mode {im.mode}", p)
                log.log(note, "%s: converted %s image to %s", p, im.mode, mode)
                im = im.convert(mode)
            if im.size != reduced:  # a JPEG libjpeg does not scale (CMYK...): area average
                im = im.resize(reduced, Image.Resampling.BOX)
            return np.asarray(im, dtype=np.uint8).copy()
    except LandcoverError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise LandcoverIOError(f"not a readable image, or truncated ({short_error(e)})", p) from e


def short_error(e: BaseException) -> str:
    """The first line of an exception's message (at most 160 characters), or its type."""
    return str(e).splitlines()[0][:160] if str(e) else type(e).__name__
