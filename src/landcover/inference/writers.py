"""Output files of a prediction, each written under a temporary name and renamed when complete.

The class GeoTIFF is written window by window by :class:`landcover.io.raster.RasterWriter`;
this module writes the colour PNG and overlay JPEG (Pillow, fast) and small text files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from landcover.io.atomic import atomic_path
from landcover.io.raster import NODATA_LABEL


def atomic_save(path: str | Path, save: Callable[[Path], object]) -> Path:
    """Call ``save(tmp)`` on a temporary name beside ``path``, then rename it onto ``path``."""
    with atomic_path(path) as tmp:
        save(tmp)
    return Path(path)


def _palette_image(labels: np.ndarray, palette: np.ndarray) -> Any:
    """Class indices as a Pillow palette ("P") image in the class colours."""
    pal = np.zeros((256, 3), dtype=np.uint8)
    pal[: len(palette)] = palette
    data = np.ascontiguousarray(labels, dtype=np.uint8)
    im = Image.frombytes("P", (data.shape[1], data.shape[0]), data.tobytes())
    im.putpalette(pal.ravel().tolist())
    return im


def write_color_png(path: str | Path, labels: np.ndarray, palette: np.ndarray) -> Path:
    """Write class indices as a palette PNG in the class colours; nodata is transparent."""
    im = _palette_image(labels, palette)
    has_nodata = bool((labels == NODATA_LABEL).any())

    def save(tmp: Path) -> None:
        kwargs = {"transparency": NODATA_LABEL} if has_nodata else {}
        im.save(tmp, format="PNG", compress_level=1, **kwargs)

    return atomic_save(path, save)


def overlay(image: np.ndarray, labels: np.ndarray, palette: np.ndarray, alpha: float) -> np.ndarray:
    """Blend class colours over ``image`` with opacity ``alpha``; pixels whose label is no class
    (nodata, 255) show the image. The one overlay: ``predict`` writes it, galleries draw it."""
    base = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    colors = _palette_image(labels, palette).convert("RGB")
    out = Image.blend(base, colors, float(np.clip(alpha, 0.0, 1.0)))
    nodata = labels >= len(palette)
    if nodata.any():
        out.paste(base, mask=Image.fromarray(nodata.astype(np.uint8) * 255))
    return np.asarray(out)


def write_overlay_jpg(
    path: str | Path,
    image: np.ndarray,
    labels: np.ndarray,
    palette: np.ndarray,
    alpha: float = 0.5,
    quality: int = 85,
) -> Path:
    """Write the image with the class map blended over it as a JPEG."""
    im = Image.fromarray(overlay(image, labels, palette, alpha))
    return atomic_save(path, lambda tmp: im.save(tmp, format="JPEG", quality=quality))
