"""Gains, losses, net change and swap per class from a from-to matrix (Pontius).

For class ``j`` of a matrix ``M`` (rows: before, columns: after), in any unit (pixels or
hectares):

- ``persistence = M[j, j]``; ``before = sum(M[j, :])``; ``after = sum(M[:, j])``;
- ``loss = before - persistence`` and ``gain = after - persistence``;
- ``net = gain - loss`` (``after - before``, signed; Pontius' net change is its magnitude);
- ``swap = 2 * min(gain, loss)``: change that moved the class around without changing its
  total, so that ``gain + loss = |net| + swap``.

Over the whole map, the changed area is ``sum(gain) = sum(loss)``; it splits into quantity
(``sum(|net|) / 2``) and exchange (``sum(swap) / 2``).

Reference: Pontius, R. G. Jr., Shusas, E. and McEachern, M. (2004). Detecting important
categorical land changes while accounting for persistence. Agriculture, Ecosystems &
Environment 101, 251-268.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from landcover.io.legend import Legend

QUANTITIES = ("before", "after", "persistence", "gain", "loss", "net", "swap")


@dataclass(frozen=True)
class ChangeStats:
    """Per-class change quantities, each a ``(K,)`` array in the matrix's unit."""

    before: np.ndarray
    after: np.ndarray
    persistence: np.ndarray
    gain: np.ndarray
    loss: np.ndarray
    net: np.ndarray
    swap: np.ndarray

    def totals(self) -> dict[str, float]:
        """Whole-map figures: total, unchanged, changed, quantity (net) and exchange (swap)."""
        return {
            "total": float(self.before.sum()),
            "unchanged": float(self.persistence.sum()),
            "changed": float(self.gain.sum()),
            "net": float(np.abs(self.net).sum() / 2),
            "swap": float(self.swap.sum() / 2),
        }


def change_stats(matrix: np.ndarray) -> ChangeStats:
    """Per-class persistence, gain, loss, net change and swap of a from-to matrix.

    Args:
        matrix: ``(K, K)`` areas or pixel counts; rows are the classes before, columns after.

    Returns:
        The quantities, in the matrix's unit (float64).
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"a from-to matrix must be square, got shape {m.shape}")
    persistence = np.diag(m).copy()
    before = m.sum(axis=1)
    after = m.sum(axis=0)
    gain = after - persistence
    loss = before - persistence
    return ChangeStats(
        before=before,
        after=after,
        persistence=persistence,
        gain=gain,
        loss=loss,
        net=gain - loss,
        swap=2.0 * np.minimum(gain, loss),
    )


@dataclass(frozen=True)
class ChangeResult:
    """The comparison of two class maps.

    Attributes:
        before: the first date's class raster.
        after: the second date's class raster.
        out_dir: the folder holding the outputs.
        legend: the maps' shared legend (class names and colours).
        pixels: ``(K, K)`` pixel counts, rows before, columns after.
        hectares: ``(K, K)`` ground hectares, or ``None`` when the maps are not georeferenced.
        aligned: whether ``after`` was reprojected onto ``before``'s grid.
        files: the files written.
    """

    before: Path
    after: Path
    out_dir: Path
    legend: Legend
    pixels: np.ndarray
    hectares: np.ndarray | None
    aligned: bool = False
    files: tuple[Path, ...] = ()

    @property
    def unit(self) -> str:
        """``"ha"``, or ``"pixels"`` when the maps are not georeferenced."""
        return "pixels" if self.hectares is None else "ha"

    @property
    def matrix(self) -> np.ndarray:
        """The from-to matrix in :attr:`unit`."""
        return self.pixels.astype(np.float64) if self.hectares is None else self.hectares

    @property
    def stats(self) -> ChangeStats:
        """Per-class persistence, gain, loss, net change and swap in :attr:`unit`."""
        return change_stats(self.matrix)
