"""Minimum mapping unit: patches smaller than an area take the class of their largest neighbour.

The rule is GDAL's sieve (``gdal_sieve``, :func:`rasterio.features.sieve`) with 4-connectivity,
run in strips so that memory does not grow with the raster (rasterio's sieve needs the whole
raster and its output in memory): a patch under the area walks to its largest neighbour, then
to that one's largest neighbour, until it reaches a patch at least as large as the area, whose
class it takes; a patch with no such chain (surrounded by nodata, or by small patches only)
keeps its class. Nodata is never a neighbour and never changes. Sizes are true ground areas
(:func:`landcover.io.ground.row_pixel_areas`), so the unit is the same in any CRS; ties between
neighbours of equal area go to the later patch in scan order (GDAL: the first one met).

Three passes over the strips: patch areas and the patches joined across strip borders; the
largest neighbour of each small patch; then :meth:`Sieve.apply` on each strip as it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from landcover.gis.strips import INVALID, StripReader, bincount_rows, border_links, label_patches


@dataclass(frozen=True)
class Sieve:
    """The new class of every patch of every strip (from :func:`plan_sieve`).

    Attributes:
        offsets: ``(strips,)`` id of the first patch of each strip.
        new_class: ``(patches,)`` ``int32`` class each patch takes.
        changed: patches merged into a neighbour.
    """

    offsets: np.ndarray
    new_class: np.ndarray
    changed: int

    def apply(self, i: int, classes: np.ndarray) -> np.ndarray:
        """Strip ``i`` (as :meth:`StripReader.read` gives it) with the small patches merged."""
        labels, _ = label_patches(classes)
        out = self.new_class[np.maximum(labels - 1, 0) + self.offsets[i]]
        out[labels == 0] = INVALID
        return out


@dataclass
class _Patches:
    """Pass 1: every patch of every strip, and the ones joined across strip borders."""

    offsets: np.ndarray
    classes: np.ndarray
    areas: np.ndarray
    links: np.ndarray


def plan_sieve(
    reader: StripReader,
    row_areas: np.ndarray,
    min_area_m2: float,
    progress: Callable[[], None] | None = None,
) -> Sieve | None:
    """Find the class each patch takes under a minimum mapping unit.

    Args:
        reader: the class raster.
        row_areas: ``(height,)`` ground area in m² of one pixel of each row.
        min_area_m2: patches smaller than this are merged.
        progress: called after each strip of each pass.

    Returns:
        The :class:`Sieve` to apply to each strip, or ``None`` when no patch is that small.
    """
    patches = _scan_patches(reader, row_areas, progress)
    ncomp, comp = _components(len(patches.classes), patches.links)
    area = np.bincount(comp, weights=patches.areas, minlength=ncomp)
    comp_class = np.empty(ncomp, np.int32)
    comp_class[comp] = patches.classes
    small = area < min_area_m2
    if not small.any():
        return None
    best = _largest_neighbours(reader, patches.offsets, comp, area, small, progress)
    final = _follow_chains(best, small)
    new_class = comp_class[final][comp]
    changed = int(np.count_nonzero(final != np.arange(ncomp)))
    return Sieve(patches.offsets, new_class, changed)


def _components(n: int, links: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of ``n`` patches joined by ``links`` (min-label propagation).

    Returns:
        The number of components and the component (``0..count-1``) of each patch.
    """
    label = np.arange(n, dtype=np.int64)
    a, b = links[:, 0], links[:, 1]
    while len(a):
        low = np.minimum(label[a], label[b])
        new = label.copy()
        for side in (a, b, label[a], label[b]):  # hook the patches and their roots
            np.minimum.at(new, side, low)
        while not np.array_equal(new, new[new]):  # pointer jumping to the roots
            new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    roots, comp = np.unique(label, return_inverse=True)
    return len(roots), comp.astype(np.int64)


def _scan_patches(
    reader: StripReader, row_areas: np.ndarray, progress: Callable[[], None] | None
) -> _Patches:
    offsets, classes, areas, links = [], [], [], []
    total = 0
    last: tuple[np.ndarray, np.ndarray] | None = None
    for i, (row0, rows) in enumerate(reader.strips):
        strip = reader.read(i)
        labels, patch_class = label_patches(strip)
        # Global ids of the first and last rows (nodata gets total - 1, never linked).
        first, end = labels[0] + (total - 1), labels[-1] + (total - 1)
        offsets.append(total)
        classes.append(patch_class)
        areas.append(bincount_rows(labels, len(patch_class), row_areas[row0 : row0 + rows]))
        if last is not None:
            links.append(border_links(last[0], last[1], first, strip[0]))
        last = (end, strip[-1].copy())
        total += len(patch_class)
        if progress:
            progress()
    return _Patches(
        np.asarray(offsets, np.int64),
        np.concatenate(classes),
        np.concatenate(areas),
        np.concatenate(links) if links else np.zeros((0, 2), np.int64),
    )


def _largest_neighbours(
    reader: StripReader,
    offsets: np.ndarray,
    comp: np.ndarray,
    area: np.ndarray,
    small: np.ndarray,
    progress: Callable[[], None] | None,
) -> np.ndarray:
    """Pass 2: the largest neighbour (area, then id) of each small patch, -1 when none."""
    best = np.full(len(area), -1, np.int64)
    last: np.ndarray | None = None
    for i in range(len(reader.strips)):
        labels, _ = label_patches(reader.read(i))
        cid = np.where(labels > 0, comp[np.maximum(labels - 1, 0) + offsets[i]], -1)
        pairs = [(cid[:, :-1], cid[:, 1:]), (cid[:-1], cid[1:])]
        if last is not None:
            pairs.append((last, cid[0]))
        for a, b in pairs:
            _update_best(best, a.ravel(), b.ravel(), area, small)
        last = cid[-1].copy()
        if progress:
            progress()
    return best


def _update_best(
    best: np.ndarray, a: np.ndarray, b: np.ndarray, area: np.ndarray, small: np.ndarray
) -> None:
    """Fold the neighbour pairs ``(a, b)`` into ``best`` (both directions, small side only)."""
    keep = (a != b) & (a >= 0) & (b >= 0)
    a, b = a[keep], b[keep]
    keep = small[a] | small[b]
    a, b = a[keep], b[keep]
    src = np.concatenate([a[small[a]], b[small[b]]])
    dst = np.concatenate([b[small[a]], a[small[b]]])
    if not len(src):
        return
    old = best[src]
    has_old = old >= 0
    src = np.concatenate([src, src[has_old]])
    dst = np.concatenate([dst, old[has_old]])
    order = np.lexsort((dst, area[dst], src))  # by source, then area, then id: last is best
    src, dst = src[order], dst[order]
    last = np.r_[src[1:] != src[:-1], True]
    best[src[last]] = dst[last]


def _follow_chains(best: np.ndarray, small: np.ndarray) -> np.ndarray:
    """Where each patch ends: the first large patch down its chain of largest neighbours, or
    itself when the chain ends in nodata or loops among small patches (GDAL's rule)."""
    idx = np.arange(len(best))
    step = np.where(small & (best >= 0), best, idx)
    for _ in range(64):  # pointer doubling: chains of up to 2**64 patches
        nxt = step[step]
        if np.array_equal(nxt, step):
            break
        step = nxt
    return np.where(small[step], idx, step)
