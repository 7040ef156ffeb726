"""Polygons of the patches of one strip, edge-matched and simplified as one coverage.

Coordinates are pixel corners (``x`` = column, ``y`` = row of the whole raster): whole
numbers, so that pieces of one patch cut by a strip border meet exactly.

GDAL's polygonize (:func:`rasterio.features.shapes`) gives each polygon only its own corners: a
straight edge of one polygon lacks the vertex where two neighbours meet on its other side, so
its output is not a valid coverage (:func:`shapely.coverage_is_valid` wants matching vertices
on both sides of every shared edge) and cannot be simplified as one. :func:`match_edges` puts
a vertex on every pixel corner of every edge (:func:`shapely.segmentize`), then drops those
where the boundary goes straight through (the 2 x 2 pixels around the corner split into two
equal halves): what is left is every corner where three patches meet or a boundary turns, on
both sides of every edge.

:func:`simplify_coverage` then runs :func:`shapely.coverage_simplify` on the whole strip with
the strip's outline fixed, so that edges shared inside the strip are simplified once for both
sides, and edges along strip borders stay on pixel corners, where the next strip meets them.
"""

from __future__ import annotations

import numpy as np
import shapely
from rasterio import Affine
from rasterio.features import shapes
from shapely.geometry import shape

from landcover.gis.strips import INVALID


def strip_pieces(labels: np.ndarray, row0: int) -> np.ndarray:
    """Polygonize the patches of a strip (4-connectivity), one polygon per patch.

    Args:
        labels: ``(h, w)`` patch labels from :func:`~landcover.gis.strips.label_patches`
            (0 = nodata, not polygonized).
        row0: row of the strip's first line in the raster.

    Returns:
        Array of shapely polygons, entry ``k`` for label ``k + 1``.
    """
    n = int(labels.max(initial=0))
    pieces = np.empty(n, dtype=object)
    found = shapes(labels, mask=labels > 0, connectivity=4, transform=Affine.translation(0, row0))
    for geom, value in found:
        pieces[int(value) - 1] = shape(geom)
    return pieces


def padded_classes(
    classes: np.ndarray, above: np.ndarray | None, below: np.ndarray | None
) -> np.ndarray:
    """The strip's classes framed by the row above, the row below (or :data:`INVALID` at the
    raster's edges) and an :data:`INVALID` column on each side: ``(h + 2, w + 2)``."""
    h, w = classes.shape
    out = np.full((h + 2, w + 2), INVALID, dtype=np.int32)
    out[1:-1, 1:-1] = classes
    if above is not None:
        out[0, 1:-1] = above
    if below is not None:
        out[-1, 1:-1] = below
    return out


def match_edges(
    pieces: np.ndarray, padded: np.ndarray, row0: int, inner_top: bool, inner_bottom: bool
) -> np.ndarray:
    """Give the pieces of a strip a vertex at every node of the coverage, and no other.

    Args:
        pieces: the strip's polygons (:func:`strip_pieces`).
        padded: :func:`padded_classes` of the strip.
        row0: row of the strip's first line in the raster.
        inner_top: the strip's top border is a border with another strip (not the raster's).
        inner_bottom: likewise for its bottom border.

    Returns:
        The same polygons, edge-matched.
    """
    if not len(pieces):
        return pieces
    dense = shapely.segmentize(pieces, 1.0)
    kind, coords, (ring_off, geom_off) = shapely.to_ragged_array(dense)
    x = np.rint(coords[:, 0]).astype(np.int64)
    y = np.rint(coords[:, 1]).astype(np.int64)
    yl = y - row0
    ul, ur = padded[yl, x], padded[yl, x + 1]
    ll, lr = padded[yl + 1, x], padded[yl + 1, x + 1]
    straight_h = (ul == ur) & (ll == lr)
    straight_v = (ul == ll) & (ur == lr)
    # On a border between strips, a vertical edge crossing it is a corner of both pieces.
    on_border = ((yl == 0) & inner_top) | ((yl == padded.shape[0] - 2) & inner_bottom)
    keep = ~(straight_h | (straight_v & ~on_border))
    keep[ring_off[:-1]] = True  # GDAL starts rings on a corner; keep rings closed regardless
    keep[ring_off[1:] - 1] = True
    ring_of = np.repeat(np.arange(len(ring_off) - 1), np.diff(ring_off))
    kept = np.bincount(ring_of[keep], minlength=len(ring_off) - 1)
    new_ring_off = np.concatenate([[0], np.cumsum(kept)])
    exact = np.stack([x[keep], y[keep]], axis=1).astype(np.float64)
    return shapely.from_ragged_array(kind, exact, (new_ring_off, geom_off))


def simplify_coverage(pieces: np.ndarray, tolerance_px: float) -> np.ndarray:
    """Simplify the strip's coverage; its outline (strip and nodata borders) stays as it is.

    Args:
        pieces: edge-matched polygons (:func:`match_edges`).
        tolerance_px: Visvalingam-Whyatt tolerance in pixels (triangles under its square go);
            0 leaves the pieces unchanged.
    """
    if tolerance_px <= 0 or not len(pieces):
        return pieces
    return np.asarray(shapely.coverage_simplify(pieces, tolerance_px, simplify_boundary=False))
