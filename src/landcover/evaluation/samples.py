"""Keep small thumbnails of the images a gallery will show, so memory stays bounded.

During an evaluation only the worst N, the best N, N images drawn at random and the most
doubtful flagged images are kept, each reduced to at most ``max_side`` pixels a side.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sample:
    """A thumbnail of one evaluated image, ready for a gallery figure.

    Attributes:
        name: the image's key.
        image: reduced RGB image ``(h, w, 3)`` ``uint8``.
        pred: reduced predicted classes ``(h, w)``.
        truth: reduced mask classes ``(h, w)``.
        title: figure title (name and scores).
        box: flagged area ``(row0, col0, row1, col1)`` in thumbnail pixels, if any.
    """

    name: str
    image: np.ndarray
    pred: np.ndarray
    truth: np.ndarray
    title: str
    box: tuple[int, int, int, int] | None = None


def make_sample(
    name: str,
    image: np.ndarray,
    pred: np.ndarray,
    truth: np.ndarray,
    title: str,
    box: tuple[int, int, int, int] | None = None,
    max_side: int = 512,
) -> Sample:
    """Reduce an image, its prediction and mask by a whole stride to at most ``max_side``.

    Class maps are subsampled (never interpolated), so every thumbnail pixel is a real class.
    ``box`` is given in image pixels and rescaled to the thumbnail.
    """
    step = max(1, math.ceil(max(image.shape[:2]) / max_side))
    small_box = None
    if box is not None:
        r0, c0, r1, c1 = box
        small_box = (r0 // step, c0 // step, -(-r1 // step), -(-c1 // step))
    return Sample(
        name,
        np.ascontiguousarray(image[::step, ::step]),
        np.ascontiguousarray(pred[::step, ::step]),
        np.ascontiguousarray(truth[::step, ::step]),
        title,
        small_box,
    )


class TopN:
    """The ``n`` samples with the largest (or smallest) score seen so far.

    Args:
        n: how many to keep.
        largest: keep the largest scores when True, the smallest when False.
    """

    def __init__(self, n: int, largest: bool = True) -> None:
        self.n = n
        self.sign = 1.0 if largest else -1.0
        self._heap: list[tuple[float, int, Sample]] = []
        self._count = 0

    def wants(self, score: float) -> bool:
        """Whether a sample with ``score`` would enter the kept set (NaN never does)."""
        if self.n <= 0 or math.isnan(score):
            return False
        return len(self._heap) < self.n or self.sign * score > self._heap[0][0]

    def offer(self, score: float, make: Callable[[], Sample]) -> None:
        """Keep the sample built by ``make`` if its score ranks; ``make`` runs only then."""
        if not self.wants(score):
            return
        self._count += 1
        item = (self.sign * score, self._count, make())
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, item)
        else:
            heapq.heapreplace(self._heap, item)

    def ranked(self) -> list[Sample]:
        """Kept samples, best-ranked first (largest score first when ``largest``)."""
        return [s for _, _, s in sorted(self._heap, key=lambda t: (-t[0], t[1]))]
