"""Windowed raster reading and writing with bounded memory.

:class:`RasterReader` reads RGB windows, or the bands of a model of other than three
(``channels``), plus a validity mask, from GeoTIFFs through rasterio
windows, so a scene never needs to fit in memory; JPEG/PNG are decoded whole by Pillow (fast)
and sliced. A scene mapped at a coarser GSD than its own is read reduced
(:meth:`RasterReader.reduction`, ``read(window, step)``): a raster from its overviews, a JPEG
by DCT-scaled decoding. 16-bit and float rasters are scaled to 8 bits by the same 2-98 %
percentile rule as :func:`landcover.io.bands.stretch_to_uint8`, with the limits measured once
on a decimated read of the whole scene so that every window is scaled alike.
:class:`RasterWriter` writes a uint8 class GeoTIFF window by window with the input's CRS and
transform, the schema's colour table and a nodata value, under a temporary name renamed on
:meth:`RasterWriter.close`.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from landcover.errors import InputError, LandcoverIOError
from landcover.io.atomic import publish, reserve_temp
from landcover.io.bands import BandSpec, apply_stretch, select_bands, stretch_limits
from landcover.io.ground import ground_gsd
from landcover.io.pictures import (
    JPEG_SCALES,
    RASTER_SUFFIXES,
    check_file,
    picture_size,
    read_picture,
)
from landcover.io.remote import display, is_remote, open_remote, remote_env

log = logging.getLogger(__name__)

NODATA_LABEL = 255
STRETCH_SAMPLE_SIDE = 1024
OVERVIEW_MIN_SIDE = 256
GDAL_CACHE_MB = 64
"""GDAL's block cache (MB) under :func:`gdal_env`: memory stays bounded however large the scene."""


@dataclass(frozen=True)
class RasterInfo:
    """Facts about an input raster.

    Attributes:
        path: the file.
        width: pixels per row.
        height: rows.
        crs: rasterio CRS, or ``None`` when not georeferenced.
        transform: affine pixel-to-map transform (identity when not georeferenced).
        nodata: the input's nodata value, if any.
        gsd_m: true ground metres per pixel at the scene's centre from its CRS (projected or
            geographic, see :func:`~landcover.io.ground.ground_gsd`), else ``None``.
        dtype: pixel type of the bands read.
    """

    path: Path
    width: int
    height: int
    crs: Any
    transform: Any
    nodata: float | None
    gsd_m: float | None
    dtype: str


class RasterReader:
    """Read ``(h, w, channels)`` uint8 windows (RGB when 3) and ``(h, w)`` validity masks
    from one image.

    Args:
        path: JPEG/PNG/TIFF/GeoTIFF.
        bands: 1-based bands (or band names) to read, ``channels`` of them; for RGB, the
            bands to use as RGB (rasters with more than 3 bands).
        stretch: ``(low, high)`` percentiles for 16-bit/float scaling.
        channels: bands read (a model of other than 3 bands; a picture gives RGB only).

    Use as a context manager; :attr:`info` describes the raster.
    """

    def __init__(
        self,
        path: str | Path,
        bands: Sequence[BandSpec] | None = None,
        stretch: tuple[float, float] = (2.0, 98.0),
        channels: int = 3,
    ) -> None:
        self.path = check_file(path)
        self.channels = channels
        self._src: Any = None
        self._array: np.ndarray | None = None
        self._array_step = 1
        self._limits: np.ndarray | None = None
        if self.path.suffix.lower() in RASTER_SUFFIXES or is_remote(self.path):
            self._open_raster(bands, stretch)
        else:
            self._open_picture()

    def _open_picture(self) -> None:
        if self.channels != 3:
            raise InputError(f"a picture has RGB only; {self.channels} bands asked", self.path)
        w, h = picture_size(self.path)  # decoded on the first read, at the step asked
        crs, transform = None, rasterio.Affine.identity()
        world = [self.path.with_suffix(s) for s in (".jgw", ".pgw", ".wld")]
        world.append(self.path.with_name(self.path.name + ".aux.xml"))
        if any(w.exists() for w in world):
            with open_raster(self.path) as src:
                crs, transform = src.crs, src.transform
        gsd = ground_gsd(crs, transform, w, h)
        self.info = RasterInfo(self.path, w, h, crs, transform, None, gsd, "uint8")

    def _open_raster(self, bands: Sequence[BandSpec] | None, stretch: tuple[float, float]) -> None:
        try:
            self._src = open_raster(self.path)
        except rasterio.errors.RasterioIOError as e:
            raise LandcoverIOError(
                f"not a readable raster ({str(e).splitlines()[0]})", display(self.path)
            ) from e
        src = self._src
        self._bands = select_bands(
            src.count,
            bands,
            self.path,
            colorinterp=[c.name for c in src.colorinterp],
            descriptions=src.descriptions,
            channels=self.channels,
        )
        dtype = src.dtypes[self._bands[0] - 1]
        self.info = RasterInfo(
            self.path,
            src.width,
            src.height,
            src.crs,
            src.transform,
            src.nodata,
            ground_gsd(src.crs, src.transform, src.width, src.height),
            dtype,
        )
        if dtype != "uint8":
            self._limits = self._stretch_limits(stretch)

    def _stretch_limits(self, percentiles: tuple[float, float]) -> np.ndarray:
        """Per-band ``(2, C)`` percentile limits from a decimated read of the whole raster."""
        limits = raster_stretch_limits(self._src, self._bands, percentiles)
        log.info(
            "%s: scaled %s to 8 bits (%g-%g %% percentile stretch)",
            self.path,
            self.info.dtype,
            *percentiles,
        )
        return limits

    def _valid(self, data: np.ndarray) -> np.ndarray:
        return valid_pixels(data, self.info.nodata)

    def reduction(self, scale: float) -> int:
        """The coarsest read step (1: full resolution) for mapping at ``scale`` model pixels per
        input pixel: the largest of the raster's overview factors, or of a JPEG's DCT scales
        (:data:`~landcover.io.pictures.JPEG_SCALES`), whose pixels are still at least as fine as
        the model's (``step * scale <= 1``). 1 for a raster with nodata or of floats: its
        validity is read at full resolution, and with it every pixel."""
        if self._src is not None:
            if self.info.nodata is not None or self.info.dtype.startswith("float"):
                return 1
            steps = [int(f) for f in self._src.overviews(self._bands[0])]
        else:
            jpeg = self.path.suffix.lower() in (".jpg", ".jpeg")
            steps = [f for f in JPEG_SCALES if jpeg and f <= min(self.info.width, self.info.height)]
        step = max([1, *(f for f in steps if f * scale <= 1.0 + 1e-9)])
        if step > 1 and self._src is not None and self._nearest_overview(steps.index(step)):
            return 1
        return step

    def _nearest_overview(self, level: int) -> bool:
        """Whether the overview ``level`` records that it was built by NEAREST (``gdaladdo``'s
        default: every other pixel, aliased; its map scored 0.014 mIoU lower in
        ``benchmarks/reduced_reads.py``). Overviews that record nothing (the COG driver's)
        are taken as smoothed."""
        with (
            rasterio.Env(**remote_env()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(self._src.name, overview_level=level) as ovr:
                return str(ovr.tags(self._bands[0]).get("RESAMPLING", "")).upper() == "NEAREST"

    def read(self, window: Window, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The pixels ``(h, w, channels)`` uint8 and validity ``(h, w)`` bool of ``window``.

        ``step`` (from :meth:`reduction`): the pixels at ``step`` times fewer a side, about
        ``(h / step, w / step)``, from the raster's overview of that factor (asked at exactly
        its size, GDAL reads that overview, whatever ``GDAL_OVERVIEW_OVERSAMPLING_THRESHOLD``
        allows: tested) or a JPEG decoded at 1/``step``; the validity stays at full resolution
        (every pixel valid, as :meth:`reduction` only reduces rasters without nodata).
        """
        if self._src is None:
            return self._read_picture(window, step)
        reduced: dict[str, Any] = {}
        if step > 1:
            h, w = (max(1, round(n / step)) for n in (window.height, window.width))
            reduced = {"out_shape": (len(self._bands), h, w), "resampling": Resampling.bilinear}
        try:
            data = self._src.read(self._bands, window=window, **reduced)
        except rasterio.errors.RasterioIOError as e:  # a remote read failed after its retries
            raise LandcoverIOError(f"read failed ({_innermost(e)})", display(self.path)) from e
        if step == 1:
            valid = self._valid(data)
        else:
            valid = np.ones((window.height, window.width), dtype=bool)
        if self._limits is not None:
            data = apply_stretch(data, self._limits)
        rgb = np.moveaxis(data, 0, -1)
        if rgb.shape[2] == 1 and self.channels == 3:
            rgb = np.repeat(rgb, 3, axis=2)
        return np.ascontiguousarray(rgb), valid

    def _read_picture(self, window: Window, step: int) -> tuple[np.ndarray, np.ndarray]:
        """A picture's window, decoded whole once per step; at a step, the reduced rows and
        columns that cover the window (aligned within one reduced pixel)."""
        if self._array is None or self._array_step != step:
            self._array = read_picture(self.path, warn_grey=self._array is None, step=step)
            self._array_step = step
        valid = np.ones((window.height, window.width), dtype=bool)
        if step == 1:
            return self._array[window.toslices()], valid
        r0, c0 = window.row_off, window.col_off
        rows = slice(r0 // step, -(-(r0 + window.height) // step))
        cols = slice(c0 // step, -(-(c0 + window.width) // step))
        return self._array[rows, cols], valid

    def close(self) -> None:
        """Close the underlying raster."""
        if self._src is not None:
            self._src.close()
            self._src = None

    def __enter__(self) -> RasterReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RasterWriter:
    """Write a GeoTIFF window by window under a temporary name; :meth:`close` publishes it.

    Args:
        path: the final ``.tif``.
        info: the input raster whose size, CRS and transform are copied.
        count: bands.
        dtype: pixel type.
        nodata: nodata value to declare, or ``None``.
        colormap: ``{value: (r, g, b, a)}`` colour table for band 1 (uint8 only).
        compress: GeoTIFF compression.
        tags: GeoTIFF metadata tags (e.g. a class raster's :class:`~landcover.io.legend.Legend`).
        overviews: build internal overviews by this GDAL resampling (``"mode"`` for codes)
            before publishing, halving down to :data:`OVERVIEW_MIN_SIDE`; ``None``: none.
    """

    def __init__(
        self,
        path: str | Path,
        info: RasterInfo,
        count: int = 1,
        dtype: str = "uint8",
        nodata: float | None = None,
        colormap: dict[int, tuple[int, int, int, int]] | None = None,
        compress: str = "deflate",
        tags: dict[str, str] | None = None,
        overviews: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.overviews = overviews
        self.tmp = reserve_temp(self.path)
        profile: dict[str, Any] = {
            "driver": "GTiff",
            "width": info.width,
            "height": info.height,
            "count": count,
            "dtype": dtype,
            "compress": compress,
            "zlevel": 1,
            "predictor": 1,
            "BIGTIFF": "IF_SAFER",
        }
        if info.width >= 256 and info.height >= 256:
            profile.update(tiled=True, blockxsize=256, blockysize=256)
        if info.crs is not None:
            profile.update(crs=info.crs, transform=info.transform)
        if nodata is not None:
            profile["nodata"] = nodata
        try:
            self._dst = open_raster(self.tmp, "w", **profile)
        except (rasterio.errors.RasterioIOError, PermissionError) as e:
            self.tmp.unlink(missing_ok=True)
            raise LandcoverIOError("cannot write here", self.path.parent) from e
        if colormap is not None:
            self._dst.write_colormap(1, colormap)
        if tags:
            self._dst.update_tags(**tags)

    def write(self, data: np.ndarray, window: Window, band: int = 1) -> None:
        """Write ``(h, w)`` pixels into ``band`` (1-based), or ``(C, h, w)``, at ``window``."""
        if data.ndim == 2:
            self._dst.write(data, band, window=window)
        else:
            self._dst.write(data, window=window)

    def close(self) -> Path:
        """Finish the file (with its overviews) and rename it to its final name; returns the
        final path."""
        if self.overviews is not None:
            self._build_overviews(self.overviews)
        self._dst.close()
        return publish(self.tmp, self.path)

    def _build_overviews(self, resampling: str) -> None:
        """Internal overviews, best effort: a failure leaves the raster without, warned of."""
        factors = overview_factors(self._dst.width, self._dst.height)
        try:
            if factors:
                self._dst.build_overviews(factors, Resampling[resampling])
        except rasterio.errors.RasterioError as e:
            log.warning("%s: no overviews (%s)", self.path, str(e).splitlines()[0])

    def abort(self) -> None:
        """Drop the unfinished file."""
        try:
            self._dst.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def overview_factors(width: int, height: int) -> list[int]:
    """Overview decimation factors 2, 4, 8... while the reduced raster's shorter side stays
    at least :data:`OVERVIEW_MIN_SIDE` pixels."""
    factors, f = [], 2
    while min(width, height) // f >= OVERVIEW_MIN_SIDE:
        factors.append(f)
        f *= 2
    return factors


def _innermost(e: BaseException) -> str:
    """The first line of the innermost cause of a chained error (GDAL's own message)."""
    while e.__cause__ is not None:
        e = e.__cause__
    return (str(e).splitlines() or [type(e).__name__])[0][:200]


def valid_pixels(data: np.ndarray, nodata: float | None) -> np.ndarray:
    """``(h, w)`` True where a ``(C, h, w)`` read holds data: not every band ``nodata`` (NaN
    included), and every band finite for float rasters."""
    ok = np.ones(data.shape[1:], dtype=bool)
    if nodata is not None:
        if isinstance(nodata, float) and math.isnan(nodata):
            ok &= ~np.all(np.isnan(data), axis=0)
        else:
            ok &= ~np.all(data == nodata, axis=0)
    if data.dtype.kind == "f":
        ok &= np.all(np.isfinite(data), axis=0)
    return ok


def raster_stretch_limits(
    src: Any, bands: Sequence[int], percentiles: tuple[float, float] = (2.0, 98.0)
) -> np.ndarray:
    """The 16-bit/float to 8-bit rule of a whole raster (:func:`~landcover.io.bands.stretch_limits`
    on a decimated read of ``bands``): the same limits for prediction and training windows."""
    f = max(1, math.ceil(max(src.width, src.height) / STRETCH_SAMPLE_SIDE))
    shape = (len(bands), max(1, src.height // f), max(1, src.width // f))
    data = src.read(list(bands), out_shape=shape).astype(np.float32)
    return stretch_limits(data, valid_pixels(data, src.nodata), percentiles)


def class_colormap(palette: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """Colour table for a class GeoTIFF: class colours, nodata (255) transparent."""
    cmap = {i: (0, 0, 0, 0) for i in range(256)}
    for i, c in enumerate(palette):
        cmap[i] = (int(c[0]), int(c[1]), int(c[2]), 255)
    return cmap


def open_raster(path: str | Path, mode: str = "r", **profile: Any) -> Any:
    """``rasterio.open``, quiet about a missing georeferencing (plain pictures' maps have none,
    and every command handles that case itself): the one way rasters are opened here. A remote
    raster (URL, ``/vsi...``) is read through :func:`~landcover.io.remote.open_remote`."""
    if mode == "r" and is_remote(path):
        return open_remote(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(path, mode, **profile)


def gdal_env() -> Any:
    """The GDAL settings every raster command runs under (``with gdal_env(): ...``): a block
    cache of :data:`GDAL_CACHE_MB`."""
    return rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB)
