"""Whole-image reading for RGB imagery and RGB masks, with clear errors naming the file.

JPEG and PNG go through Pillow (fast, handles palette/greyscale/RGBA); TIFF and GeoTIFF through
rasterio. Everything comes out as ``(H, W, 3)`` ``uint8``. Windowed reading of large rasters
lives in :mod:`landcover.io.raster`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from landcover.errors import LandcoverError
from landcover.io.remote import input_path, is_remote, open_remote

log = logging.getLogger(__name__)

GREY_WARNING = (
    "single band (greyscale): the model expects RGB colour imagery; the band is repeated "
    "as R, G and B, expect a poorer map"
)
PIL_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
RASTER_SUFFIXES = {".tif", ".tiff"}
IMAGE_SUFFIXES = PIL_SUFFIXES | RASTER_SUFFIXES


def check_file(path: str | Path) -> Path:
    """Return ``path`` if it is a non-empty readable file, else raise a clear error (a remote
    raster is returned as it is: :func:`~landcover.io.remote.check_remote` checks it)."""
    if is_remote(path):
        return input_path(path)
    p = Path(path)
    if not p.exists():
        raise LandcoverError("no such file", p)
    if p.is_dir():
        raise LandcoverError("is a folder, not an image file", p)
    try:
        size = p.stat().st_size
        with open(p, "rb"):
            pass
    except PermissionError as e:
        raise LandcoverError("permission denied", p) from e
    if size == 0:
        raise LandcoverError("empty file (0 bytes)", p)
    return p


def open_picture(p: Path) -> Any:
    """``PIL.Image.open`` with a clear error for pictures too large to decode whole.

    A JPEG/PNG header may claim any size (60000x60000 is 3.6 G pixels, 10 GB decoded);
    Pillow refuses beyond twice ``Image.MAX_IMAGE_PIXELS`` (179 M pixels by default) with a
    ``DecompressionBombError`` traceback. Large scenes belong in tiled GeoTIFFs, which are read
    window by window.
    """
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(p)
    except Image.DecompressionBombError as e:
        size = _short(e).split("(")[1].split(" pixels")[0] if "(" in str(e) else "?"
        raise LandcoverError(
            f"picture of {size} pixels is too large to decode whole (limit "
            f"{2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} M pixels): convert it to a tiled "
            "GeoTIFF (e.g. gdal_translate -of COG), which is read window by window",
            p,
        ) from e


def image_size(path: str | Path) -> tuple[int, int]:
    """Return ``(width, height)`` from the file header, without decoding pixels."""
    p = check_file(path)
    if p.suffix.lower() in RASTER_SUFFIXES or is_remote(p):  # URLs: GDAL reads them
        import rasterio

        try:
            with open_remote(p) if is_remote(p) else rasterio.open(p) as src:
                return src.width, src.height
        except rasterio.errors.RasterioIOError as e:
            raise LandcoverError(f"not a readable raster ({_short(e)})", p) from e
    from PIL import UnidentifiedImageError

    try:
        with open_picture(p) as im:
            return im.size
    except (UnidentifiedImageError, OSError) as e:
        raise LandcoverError(f"not a readable image ({_short(e)})", p) from e


def read_rgb(path: str | Path, bands: Sequence[int] | None = None) -> np.ndarray:
    """Read an image as ``(H, W, 3)`` ``uint8`` RGB.

    Greyscale, RGBA and palette images are converted to RGB; 16-bit and float rasters are
    scaled by :func:`stretch_to_uint8`; rasters with more than three bands use ``bands``
    (1-based, as GDAL) or the first three, with a warning.
    """
    p = check_file(path)
    if p.suffix.lower() in RASTER_SUFFIXES or is_remote(p):  # URLs: GDAL reads them
        return _read_raster_rgb(p, bands)
    return _read_pil(p, mode="RGB", warn_grey=True)


def read_mask_rgb(path: str | Path) -> np.ndarray:
    """Read an RGB-coded mask as ``(H, W, 3)`` ``uint8``, refusing lossy conversions."""
    p = check_file(path)
    if p.suffix.lower() in RASTER_SUFFIXES or is_remote(p):  # URLs: GDAL reads them
        return _read_raster_rgb(p, None)
    return _read_pil(p, mode="RGB", note=logging.DEBUG)  # palette masks are the norm


def _read_pil(p: Path, mode: str, warn_grey: bool = False, note: int = logging.INFO) -> np.ndarray:
    from PIL import UnidentifiedImageError

    try:
        with open_picture(p) as im:
            im.load()
            if warn_grey and im.mode in ("L", "LA", "1", "I;16", "I;16B", "I", "F"):
                log.warning("%s: %s", p, GREY_WARNING)
            if im.mode in ("I;16", "I;16B", "I", "F"):
                arr = stretch_to_uint8(np.asarray(im, dtype=np.float32)[..., None], p)
                return np.repeat(arr, 3, axis=2)
            if im.mode != mode:
                if im.mode not in ("RGB", "RGBA", "L", "LA", "P", "PA", "1", "CMYK", "YCbCr"):
                    raise LandcoverError(f"unsupported image mode {im.mode}", p)
                log.log(note, "%s: converted %s image to %s", p, im.mode, mode)
                im = im.convert(mode)
            return np.asarray(im, dtype=np.uint8).copy()
    except LandcoverError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise LandcoverError(f"not a readable image, or truncated ({_short(e)})", p) from e


def _read_raster_rgb(p: Path, bands: Sequence[int] | None) -> np.ndarray:
    """A whole raster as RGB through :class:`~landcover.io.raster.RasterReader`, so that 16-bit
    and float rasters are scaled exactly as ``predict`` scales them."""
    from landcover.io.raster import RasterReader
    from landcover.io.windows import Window

    with RasterReader(p, bands=bands) as reader:
        rgb, _ = reader.read(Window(0, 0, reader.info.height, reader.info.width))
    return rgb


def select_bands(count: int, bands: Sequence[int] | None, path: Path | str) -> list[int]:
    """Choose the 1-based band indices to read as RGB from a raster with ``count`` bands."""
    if bands is not None:
        bands = list(bands)
        if len(bands) != 3 or any(not 1 <= b <= count for b in bands):
            raise LandcoverError(f"--bands {bands} does not name 3 of its {count} bands", path)
        return bands
    if count == 1:
        log.warning("%s: %s", path, GREY_WARNING)
        return [1]
    if count == 3:
        return [1, 2, 3]
    if count == 2:
        raise LandcoverError("has 2 bands; RGB needs 3 (use --bands to choose)", path)
    if count == 4:
        log.warning("%s: 4 bands, using 1,2,3 as RGB (override with --bands)", path)
    else:
        log.warning(
            "%s: %d bands, using the first three as RGB (override with --bands)", path, count
        )
    return [1, 2, 3]


def stretch_limits(
    bands: np.ndarray, ok: np.ndarray, percentiles: tuple[float, float] = (2.0, 98.0)
) -> np.ndarray:
    """Per-band ``(2, C)`` float32 limits: the ``percentiles`` of each band of ``(C, H, W)``
    ``bands`` over the pixels where ``ok`` and finite (at most ~1 M of them, evenly spaced).

    The one rule for scaling 16-bit and float imagery to 8 bits, for training and prediction
    alike (:class:`landcover.io.raster.RasterReader` measures it on a decimated read).
    """
    limits = np.zeros((2, bands.shape[0]), dtype=np.float32)
    for b, band in enumerate(bands):
        sample = band[ok & np.isfinite(band)]
        if sample.size > 1_000_000:
            sample = sample[:: sample.size // 1_000_000]
        if sample.size:
            limits[:, b] = np.percentile(sample, percentiles)
    return limits


def apply_stretch(bands: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Map ``(C, H, W)`` bands linearly from their ``limits`` to 0..255, clipped; NaN -> 0."""
    lo, hi = limits[0][:, None, None], limits[1][:, None, None]
    scale = np.where(hi > lo, 255.0 / np.maximum(hi - lo, 1e-12), 0.0)
    f = np.nan_to_num(bands.astype(np.float32), nan=0.0)
    return np.clip((f - lo) * scale, 0, 255).astype(np.uint8)


def stretch_to_uint8(
    arr: np.ndarray,
    path: Path | str = "",
    valid: np.ndarray | None = None,
    percentiles: tuple[float, float] = (2.0, 98.0),
) -> np.ndarray:
    """Scale an ``(H, W, C)`` 16-bit or float image to ``uint8`` (:func:`stretch_limits`)."""
    bands = np.moveaxis(arr.astype(np.float32, copy=False), -1, 0)
    ok = np.ones(bands.shape[1:], dtype=bool) if valid is None else valid
    out = apply_stretch(bands, stretch_limits(bands, ok, percentiles))
    log.info("%s: scaled %s to 8 bits (2-98 %% percentile stretch)", path, arr.dtype)
    return np.ascontiguousarray(np.moveaxis(out, 0, -1))


def _short(e: BaseException) -> str:
    return str(e).splitlines()[0][:160] if str(e) else type(e).__name__
