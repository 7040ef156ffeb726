"""Whether two rasters share a pixel grid, and reading one on the other's grid.

Two class maps can be compared pixel by pixel only on the same grid: same CRS, same size, same
transform (origin and pixel size, within a millionth of a pixel). :func:`grid_difference` says
in words what differs; :func:`aligned_reader` reprojects a raster onto another's grid with
nearest-neighbour resampling (classes are never blended), through a
:class:`rasterio.vrt.WarpedVRT` read window by window.
"""

from __future__ import annotations

from typing import Any

from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT

TOLERANCE = 1e-6  # of a pixel


def grid_difference(a: Any, b: Any) -> str | None:
    """What differs between the grids of two open rasterio datasets, or ``None``.

    Args:
        a: the reference dataset.
        b: the other dataset.

    Returns:
        A short reason ("CRS EPSG:32633 vs EPSG:32634; size 10x10 vs 12x10"), or ``None``
        when the grids are the same.
    """
    reasons = []
    if a.crs != b.crs:
        reasons.append(f"CRS {_crs_name(a.crs)} vs {_crs_name(b.crs)}")
    if (a.width, a.height) != (b.width, b.height):
        reasons.append(f"size {a.width}x{a.height} vs {b.width}x{b.height} px")
    ta, tb = a.transform, b.transform
    pixel = min(abs(ta.a), abs(ta.e)) or 1.0
    # Pixel sizes must agree so closely that the grids drift apart by less than the tolerance.
    size_tol = TOLERANCE * pixel / max(a.width, a.height, 1)
    if any(abs(x - y) > size_tol for x, y in zip(ta[:2] + ta[3:5], tb[:2] + tb[3:5], strict=True)):
        reasons.append(f"pixel size {_size(ta)} vs {_size(tb)}")
    if abs(ta.c - tb.c) > TOLERANCE * pixel or abs(ta.f - tb.f) > TOLERANCE * pixel:
        reasons.append(f"origin ({ta.c:.10g}, {ta.f:.10g}) vs ({tb.c:.10g}, {tb.f:.10g})")
    return "; ".join(reasons) or None


def _crs_name(crs: Any) -> str:
    if crs is None:
        return "none"
    return str(crs.to_string()) if crs.to_epsg() else "custom CRS"


def _size(t: Any) -> str:
    return f"{abs(t.a):.10g}x{abs(t.e):.10g}"


def aligned_reader(src: Any, reference: Any, nodata: int) -> Any:
    """``src`` on the grid of ``reference``, read by nearest neighbour (a WarpedVRT).

    Args:
        src: the dataset to reproject (needs a CRS).
        reference: the dataset whose CRS, transform and size are used (needs a CRS).
        nodata: the value given to pixels of the grid that ``src`` does not cover.

    Returns:
        An open :class:`rasterio.vrt.WarpedVRT`; close it after use.
    """
    return WarpedVRT(
        src,
        crs=reference.crs,
        transform=reference.transform,
        width=reference.width,
        height=reference.height,
        resampling=Resampling.nearest,
        nodata=nodata,
    )
