"""Cut an image of any size into square windows with overlap, and put them back together.

The grid covers every pixel: windows start every ``stride`` pixels and the last window of each
row and column is shifted inwards so that it ends exactly at the image edge (no remainder is
dropped, no padding is needed). Images smaller than a window get one window of the image's own
size along that axis.
"""

from __future__ import annotations

import math

from rasterio.windows import Window

from landcover.errors import InputError


def stride_for(size: int, overlap: float) -> int:
    """Step between window starts for a window ``size`` and an ``overlap`` fraction in [0, 1)."""
    if size < 1:
        raise InputError(f"window size must be positive, got {size}")
    if not 0.0 <= overlap < 1.0:
        raise InputError(f"overlap must be in [0, 1), got {overlap}")
    return max(1, int(round(size * (1.0 - overlap))))


def window_starts(length: int, size: int, stride: int) -> list[int]:
    """Start offsets along one axis of ``length`` pixels covering it with windows of ``size``.

    The last start is ``length - size`` so the last window ends at the edge; when the axis is
    shorter than a window the single start is 0.
    """
    if length < 1:
        raise InputError(f"axis length must be positive, got {length}")
    if length <= size:
        return [0]
    n = math.ceil((length - size) / stride) + 1
    starts = [min(i * stride, length - size) for i in range(n)]
    return sorted(set(starts))


def grid(height: int, width: int, size: int, overlap: float = 0.0) -> list[Window]:
    """All windows covering a ``height`` x ``width`` image, row-major.

    Args:
        height: image height in pixels.
        width: image width in pixels.
        size: window side in pixels (windows are clipped to the image when it is smaller).
        overlap: fraction of a window shared with its neighbour, in [0, 1).

    Returns:
        Windows in row-major order; window ``r * n_cols + c`` is at grid row ``r``, column ``c``.
    """
    stride = stride_for(size, overlap)
    rows = window_starts(height, size, stride)
    cols = window_starts(width, size, stride)
    h, w = min(size, height), min(size, width)
    return [Window(col_off=c, row_off=r, width=w, height=h) for r in rows for c in cols]
