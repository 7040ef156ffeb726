"""Progress bars (tqdm), loaded only when a bar is shown.

Importing tqdm costs ~0.03 s (it reads its own version from the installed package metadata)
and every bar, even a disabled one, starts a monitor thread and a multiprocessing lock. A run
that shows no bar (one scene, ``-q``, a Dask worker) pays none of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def progress_bar(
    items: Iterable[T],
    desc: str,
    unit: str,
    *,
    total: int | None = None,
    disable: bool = False,
    leave: bool = True,
) -> Iterable[T]:
    """``items`` with a bar (tqdm's), or ``items`` themselves when ``disable``."""
    if disable:
        return items
    # Lazy: tqdm loads only when a bar is shown (see the module docstring).
    from tqdm import tqdm

    bar: Iterable[T] = tqdm(items, desc=desc, unit=unit, total=total, leave=leave)
    return bar


class CountingBar:
    """A bar advanced by hand (:meth:`step`), for work counted in other units than items;
    does nothing when disabled."""

    def __init__(self, total: int, desc: str, unit: str, *, disable: bool = False) -> None:
        self._bar = None
        if not disable:
            # Lazy: tqdm loads only when a bar is shown (see the module docstring).
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False)

    def step(self) -> None:
        """One unit of work done."""
        if self._bar is not None:
            self._bar.update()

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
