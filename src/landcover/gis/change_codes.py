"""Codes, names and colours of a change raster: one code per (before, after) class pair.

A pixel of class ``b`` before and ``a`` after gets code ``b * K + a`` (``K`` classes), so the
code alone gives both classes back (``divmod(code, K)``). The raster is ``uint8`` while
``K * K`` codes fit below the nodata value 255 (up to 15 classes), ``uint16`` with nodata
65535 beyond. Unchanged pixels (``b == a``) are drawn in a mid-grey faintly tinted by their
class (so persistence reads as a calm background, and a white or black class's persistence
never looks like a change into it); changed pixels in the full colour of the class they became.
"""

from __future__ import annotations

import numpy as np

from landcover.io.legend import Legend

ARROW = "→"
# Unchanged pixels: this share of mid-grey mixed into the class colour.
PALE_GREY = 0.75
GREY = 170


def change_dtype(num_classes: int) -> tuple[str, int]:
    """The pixel type and nodata code of the change raster of ``num_classes`` classes."""
    if num_classes * num_classes <= 255:
        return "uint8", 255
    return "uint16", 65535


def change_codes(
    before: np.ndarray, after: np.ndarray, valid: np.ndarray, num_classes: int
) -> np.ndarray:
    """Code ``before * K + after`` of each pixel, the nodata code where ``valid`` is false.

    Args:
        before: ``(h, w)`` class labels of the first date.
        after: ``(h, w)`` class labels of the second date.
        valid: ``(h, w)`` true where both labels are classes (not nodata).
        num_classes: ``K``.

    Returns:
        ``(h, w)`` codes in the type of :func:`change_dtype`.
    """
    dtype, nodata = change_dtype(num_classes)
    code = before.astype(dtype) * num_classes + after.astype(dtype)
    code[~valid] = nodata
    return code


def change_legend(legend: Legend) -> Legend:
    """The legend of the change raster of maps with ``legend``: names "from → to", colours.

    Args:
        legend: the (shared) legend of the two class rasters.

    Returns:
        A legend of ``K * K`` entries, by code, with the change raster's nodata code.
    """
    k = legend.num_classes
    colors = np.asarray(legend.colors, dtype=np.float64).reshape(k, 3)
    names, rows = [], []
    for b in range(k):
        for a in range(k):
            names.append(f"{legend.names[b]} {ARROW} {legend.names[a]}")
            if a == b:
                rows.append(colors[b] * (1 - PALE_GREY) + GREY * PALE_GREY)
            else:
                rows.append(colors[a])
    table = np.rint(np.array(rows).reshape(-1, 3)).astype(np.uint8)
    schema = f"change:{legend.schema}" if legend.schema else "change"
    return Legend(schema, tuple(names), table, change_dtype(k)[1])


def change_colormap(legend: Legend) -> dict[int, tuple[int, int, int, int]]:
    """Colour table of the change raster: every code's colour, nodata transparent."""
    cmap = {i: (int(c[0]), int(c[1]), int(c[2]), 255) for i, c in enumerate(legend.colors)}
    if legend.nodata is not None:
        cmap[int(legend.nodata)] = (0, 0, 0, 0)
    return cmap
