"""Windows of a scene at a chosen ground sampling distance: image and labels, nothing more.

:class:`SceneReader` opens a scene (raster plus labels) and reads a square window centred on a
point of the scene's working CRS (its own, or the UTM zone of a geographic scene: see
:mod:`landcover.data.scene_crs`), resampled to a training GSD (bilinear for the image, warped
onto the window's grid where the working CRS is not the raster's; labels rasterised or warped
directly on the window's grid). Nothing reads a whole scene.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.vrt import WarpedVRT
from rasterio.windows import from_bounds

from landcover.data.scene_crs import working_grid
from landcover.data.scene_labels import LabelSource, open_labels
from landcover.data.scenes import Scene, read_scene_list
from landcover.errors import InputError, LandcoverIOError
from landcover.io.bands import BandSpec, apply_stretch, as_band, resolve_bands
from landcover.io.raster import open_raster, raster_stretch_limits
from landcover.schema import ClassSchema

#: GDAL block cache while reading windows, in MB.
CACHE_MB = 64


class SceneReader:
    """An open scene: its raster, working CRS (metres), bounds and GSD in it, and labels.

    Args:
        scene: the scene.
        schema: the class schema of its labels.
        bands: 1-based band indices or names of the image to read (default: 1, 2, 3), names
            matched in each scene (:func:`~landcover.io.bands.resolve_bands`).

    Raises:
        LandcoverIOError: naming the raster when it cannot be opened.
        InputError: naming the file for fewer bands than asked, no
            CRS, or bad labels (see :mod:`landcover.data.scene_labels`).
    """

    def __init__(
        self, scene: Scene, schema: ClassSchema, bands: Sequence[BandSpec] | None = None
    ) -> None:
        self.scene = scene
        asked = [as_band(b) for b in bands] if bands else [1, 2, 3]
        try:
            self.src = open_raster(scene.image)  # a URL: read by range requests
        except rasterio.RasterioIOError as e:
            raise LandcoverIOError(f"cannot open the scene ({e})", scene.image) from e
        self.bands = scene_bands(self.src, asked, scene.image)
        # 16-bit and float scenes: scaled to 8 bits by the rule prediction uses (the same limits).
        self.limits = (
            None if self.src.dtypes[0] == "uint8" else raster_stretch_limits(self.src, self.bands)
        )
        self.crs, self.bounds, self.gsd = working_grid(self.src, scene.image)
        self.warp = self.crs != self.src.crs  # a scene in degrees or feet, read in UTM
        self.fill = schema.fill_index
        self.labels: LabelSource = open_labels(scene, schema, self.crs, self.bounds)

    def grid(self, x: float, y: float, size: int, gsd: float) -> tuple[Affine, tuple[int, int]]:
        """The grid of a ``size`` square window centred on ``(x, y)`` at ``gsd`` metres."""
        half = size * gsd / 2
        return Affine(gsd, 0, x - half, 0, -gsd, y + half), (size, size)

    def read(
        self, x: float, y: float, size: int, gsd: float, keep: Sequence[Any] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """Image ``(size, size, bands) uint8`` and labels ``(size, size) uint8`` at ``(x, y)``.

        Args:
            keep: polygons (in the working CRS) outside which labels become the fill index
                (a split's blocks); empty keeps all.
        """
        transform, shape = self.grid(x, y, size, gsd)
        # GDAL's block cache defaults to 5 % of RAM; capped, memory stays flat on big scenes.
        with rasterio.Env(GDAL_CACHEMAX=CACHE_MB):
            image = self._image(transform, size)
            labels = self.labels.read(transform, shape)
        if len(keep):
            inside = rasterize(((g, 1) for g in keep), out_shape=shape, transform=transform)
            labels[inside == 0] = self.fill
        if self.limits is not None:
            image = apply_stretch(image, self.limits)
        return np.ascontiguousarray(image.transpose(1, 2, 0)), labels

    def _image(self, transform: Affine, size: int) -> np.ndarray:
        """The bands on the window grid ``(transform, size)`` of the working CRS (bilinear)."""
        if self.warp:  # WarpedVRT reads no boundless windows: warp straight onto the grid
            with WarpedVRT(self.src, crs=self.crs, transform=transform, width=size,
                           height=size, resampling=Resampling.bilinear) as vrt:  # fmt: skip
                return vrt.read(self.bands)
        w, s, e, n = rasterio.transform.array_bounds(size, size, transform)
        window = from_bounds(w, s, e, n, self.src.transform)
        return self.src.read(
            self.bands,
            window=window,
            out_shape=(len(self.bands), size, size),
            resampling=Resampling.bilinear,
            boundless=not _inside(window, self.src),
            fill_value=0,
        )

    def close(self) -> None:
        """Close the raster."""
        self.src.close()


def _inside(window: Any, src: Any) -> bool:
    return (
        window.col_off >= 0
        and window.row_off >= 0
        and window.col_off + window.width <= src.width + 1e-6
        and window.row_off + window.height <= src.height + 1e-6
    )


def scene_bands(src: Any, bands: Sequence[BandSpec], path: str | Path) -> list[int]:
    """The 1-based indices of ``bands`` (numbers or names) in the open raster ``src``.

    Raises:
        InputError: naming ``path``, for a number beyond its bands or a name none answers to.
    """
    asked = [as_band(b) for b in bands]
    numbers = [b for b in asked if isinstance(b, int)]
    if numbers and (max(numbers) > src.count or min(numbers) < 1):
        raise InputError(f"bands {asked} asked but the scene has {src.count}", path)
    interp = [c.name for c in src.colorinterp]
    return resolve_bands(asked, src.count, path, interp, src.descriptions)


def open_scenes(
    path: str | Path, schema: ClassSchema, bands: Sequence[BandSpec] | None
) -> list[SceneReader]:
    """Open and check every scene of the scene list ``path`` (bands, CRS, labels).

    Scenes may be in several CRSs: each is read in its own working CRS.

    Raises:
        LandcoverError: one line naming the file and the problem, for the first bad input.
    """
    return [SceneReader(s, schema, bands) for s in read_scene_list(path)]
