"""A rectangle of pixels, the unit in which rasters are read, predicted and written."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """A rectangle of pixels: top row, left column, height and width."""

    row: int
    col: int
    height: int
    width: int

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` slices selecting this window from an ``(H, W, ...)`` array."""
        return slice(self.row, self.row + self.height), slice(self.col, self.col + self.width)
