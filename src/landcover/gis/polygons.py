"""The polygons of a class raster, strip by strip, with bounded memory.

For each strip (with the strip below read ahead, for its first row): merge patches under the
minimum mapping unit (:mod:`landcover.gis.sieve`), label the 4-connected patches, polygonize
them, make their edges match and simplify the strip's coverage
(:mod:`landcover.gis.polygonize`), then join the pieces of patches cut by strip borders
(:mod:`landcover.gis.merge`). Each step yields the polygons completed by the strip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from landcover.gis.merge import PieceMerger, Polygons
from landcover.gis.polygonize import match_edges, padded_classes, simplify_coverage, strip_pieces
from landcover.gis.sieve import Sieve
from landcover.gis.strips import INVALID, StripReader, border_links, label_patches


def iter_polygons(
    reader: StripReader,
    *,
    sieve: Sieve | None = None,
    tolerance_px: float = 0.0,
    confidence: StripReader | None = None,
    progress: Callable[[], None] | None = None,
) -> Iterator[Polygons]:
    """Yield the complete polygons of the class raster, a batch per strip, in pixel coordinates.

    Args:
        reader: the class raster.
        sieve: small patches to merge first (:func:`~landcover.gis.sieve.plan_sieve`).
        tolerance_px: coverage simplification tolerance in pixels (0: none).
        confidence: a raster on the same grid (read in the same strips) whose sum over each
            polygon's pixels is returned.
        progress: called after each strip.
    """

    def load(i: int) -> np.ndarray:
        classes = reader.read(i)
        return sieve.apply(i, classes) if sieve is not None else classes

    merger = PieceMerger()
    total = 0  # patches in the strips above: the first global id of this strip's
    above: tuple[np.ndarray, np.ndarray] | None = None  # last row above: its ids, its classes
    strips = reader.strips
    current = load(0) if strips else np.zeros((0, 0), np.int32)
    for i, (row0, _) in enumerate(strips):
        below = load(i + 1) if i + 1 < len(strips) else None
        labels, patch_class = label_patches(current)
        weights = None if confidence is None else confidence.read_raw(i)
        pieces = _strip_polygons(current, labels, patch_class, row0, above, below, weights)
        pieces.geoms = simplify_coverage(pieces.geoms, tolerance_px)
        links = np.zeros((0, 2), np.int64)
        if above is not None:
            links = border_links(above[0], above[1], labels[0] + (total - 1), current[0])
        ids = np.arange(total, total + len(patch_class), dtype=np.int64)
        open_ids = _continuing(labels[-1], current[-1], below) + total
        yield merger.add(pieces, ids, links, open_ids)
        above = (labels[-1] + (total - 1), current[-1].copy())
        total += len(patch_class)
        current = below if below is not None else current
        if progress:
            progress()


def _strip_polygons(
    classes: np.ndarray,
    labels: np.ndarray,
    patch_class: np.ndarray,
    row0: int,
    above: tuple[np.ndarray, np.ndarray] | None,
    below: np.ndarray | None,
    weights: np.ndarray | None,
) -> Polygons:
    """The strip's patches as edge-matched polygons, with pixel counts and weight sums."""
    pieces = strip_pieces(labels, row0)
    padded = padded_classes(classes, None if above is None else above[1], _first_row(below))
    pieces = match_edges(pieces, padded, row0, above is not None, below is not None)
    n = len(patch_class)
    flat = labels.ravel()
    pixels = np.bincount(flat, minlength=n + 1)[1:].astype(np.float64)
    sums = None
    if weights is not None:
        sums = np.bincount(flat, weights=weights.ravel().astype(np.float64), minlength=n + 1)[1:]
    return Polygons(pieces, patch_class, pixels, sums)


def _first_row(strip: np.ndarray | None) -> np.ndarray | None:
    return None if strip is None else strip[0]


def _continuing(last_labels: np.ndarray, last: np.ndarray, below: np.ndarray | None) -> np.ndarray:
    """0-based labels of the patches of the last row that go on into the strip below."""
    if below is None:
        return np.zeros(0, np.int64)
    same = (last == below[0]) & (last != INVALID)
    return np.unique(last_labels[same]).astype(np.int64) - 1
