"""Join the pieces of polygons cut by strip borders, and hand out polygons once complete.

A patch that crosses a strip border is polygonized as one piece per strip (and may have
several pieces in one strip, joined through another). :class:`PieceMerger` keeps the pieces of
patches still open at the bottom of the current strip; a patch is complete, and its pieces are
dissolved (:func:`shapely.coverage_union_all`: the pieces are edge-matched, see
:mod:`landcover.gis.polygonize`), as soon as none of its pieces continues into the next strip.
Only patches crossing the current border are held, so memory does not grow with the raster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely


@dataclass
class Polygons:
    """Complete polygons, in pixel coordinates.

    Attributes:
        geoms: shapely polygons.
        classes: ``int32`` class of each.
        pixels: pixels of each.
        confidence_sum: sum of the confidence raster over each one's pixels, or ``None``.
    """

    geoms: np.ndarray
    classes: np.ndarray
    pixels: np.ndarray
    confidence_sum: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.geoms)


@dataclass
class _Group:
    """The pieces of one patch seen so far."""

    cls: int
    pieces: list[Any] = field(default_factory=list)
    pixels: float = 0.0
    confidence: float = 0.0


class PieceMerger:
    """Collect the pieces of each strip, top to bottom; return the polygons that are complete.

    Pieces carry global ids (unique over the raster). For each strip, give :meth:`add` its
    pieces, the ``(upper id, lower id)`` links to the strip above, and the ids of the pieces
    that continue into the strip below.
    """

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}
        self._groups: dict[int, _Group] = {}

    def _find(self, i: int) -> int:
        root = i
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[i] != root:  # path compression
            self._parent[i], i = root, self._parent[i]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return
        ga, gb = self._groups.pop(ra), self._groups[rb]
        gb.pieces += ga.pieces
        gb.pixels += ga.pixels
        gb.confidence += ga.confidence
        self._parent[ra] = rb

    def add(
        self, strip: Polygons, ids: np.ndarray, links: np.ndarray, open_ids: np.ndarray
    ) -> Polygons:
        """Add a strip's pieces; return the polygons completed by it.

        Args:
            strip: the strip's pieces.
            ids: ``(n,)`` global id of each piece.
            links: ``(m, 2)`` pairs ``(id in the strip above, id here)`` of joined pieces.
            open_ids: ids of the pieces here that continue into the strip below.

        Returns:
            :class:`Polygons`: pieces touching no border, then the completed joined ones.
        """
        held = np.isin(ids, links[:, 1]) | np.isin(ids, open_ids)
        done = Polygons(
            strip.geoms[~held],
            strip.classes[~held],
            strip.pixels[~held],
            None if strip.confidence_sum is None else strip.confidence_sum[~held],
        )
        conf = strip.confidence_sum
        for k in np.flatnonzero(held):
            i = int(ids[k])
            self._parent[i] = i
            c = 0.0 if conf is None else float(conf[k])
            self._groups[i] = _Group(int(strip.classes[k]), [strip.geoms[k]], strip.pixels[k], c)
        for a, b in links:
            self._union(int(a), int(b))
        still_open = {self._find(int(i)) for i in open_ids}
        finished = [r for r in self._groups if r not in still_open]
        return _concat(done, self._finish(finished, conf is not None))

    def _finish(self, roots: list[int], with_confidence: bool) -> Polygons:
        groups = [self._groups.pop(r) for r in roots]
        roots_of = {i: self._find(i) for i in list(self._parent)}
        self._parent = {i: r for i, r in roots_of.items() if r in self._groups}
        geoms = np.empty(len(groups), dtype=object)
        for k, g in enumerate(groups):
            geoms[k] = g.pieces[0] if len(g.pieces) == 1 else shapely.coverage_union_all(g.pieces)
        return Polygons(
            geoms,
            np.array([g.cls for g in groups], dtype=np.int32),
            np.array([g.pixels for g in groups], dtype=np.float64),
            np.array([g.confidence for g in groups]) if with_confidence else None,
        )


def _concat(a: Polygons, b: Polygons) -> Polygons:
    conf = None
    if a.confidence_sum is not None and b.confidence_sum is not None:
        conf = np.concatenate([a.confidence_sum, b.confidence_sum])
    return Polygons(
        np.concatenate([a.geoms, b.geoms]),
        np.concatenate([a.classes, b.classes]),
        np.concatenate([a.pixels, b.pixels]),
        conf,
    )
