"""Training and validation windows read from scenes, in bounded memory.

:class:`SceneWindows` yields ``(image, labels)`` windows of ``size`` pixels at one training GSD,
read from the scenes on demand (:class:`~landcover.data.scene_windows.SceneReader`); labels
outside the subset's blocks are ignored. Training windows are centred on random points of the
labelled cells of the training blocks (:func:`labelled_points`), so every sample holds labels;
validation uses a fixed list of windows tiling the validation blocks (:func:`tile_points`).
Each process (DataLoader worker) opens its own rasters.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import shapely
import torch
from affine import Affine
from torch.utils.data import Dataset

from landcover.data.scene_split import CELLS, Block, blocks_of
from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import Scene
from landcover.io.bands import BandSpec
from landcover.schema import ClassSchema
from landcover.training.dataset import Transform, sample_tensors

Point = tuple[int, float, float]  # (scene index, x, y) in the scene's CRS


def labelled_points(
    readers: Sequence[SceneReader], blocks: Sequence[Block], subset: str
) -> tuple[np.ndarray, float]:
    """Centres ``(scene, x, y)`` of the labelled cells of ``subset``'s blocks, and the cell size."""
    points: list[Point] = []
    size = 0.0
    for i, reader in enumerate(readers):
        for block in (b for b in blocks if b.scene == reader.scene.name and b.split == subset):
            x0, y0, x1, _ = shapely.bounds(block.geometry)
            size = (x1 - x0) / CELLS
            grid = Affine(size, 0, x0, 0, -size, y0 + CELLS * size)
            rows, cols = np.nonzero(reader.labels.read(grid, (CELLS, CELLS)) != reader.fill)
            points += [(i, x0 + (c + 0.5) * size, y0 + (CELLS - r - 0.5) * size)
                       for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]  # fmt: skip
    return np.array(points, dtype=np.float64).reshape(-1, 3), size


def tile_points(
    readers: Sequence[SceneReader],
    blocks: Sequence[Block],
    subset: str,
    size: int,
    gsd: float,
    limit: int,
) -> list[Point]:
    """Fixed window centres tiling ``subset``'s blocks, keeping windows that hold labels.

    At most ``limit`` of them, evenly spaced over the list.
    """
    side = size * gsd
    points: list[Point] = []
    for i, reader in enumerate(readers):
        keep = blocks_of(blocks, reader.scene.name, subset)
        for block in keep:
            x0, y0, x1, y1 = shapely.bounds(block)
            for y in _centres(y0, y1, side)[::-1]:
                for x in _centres(x0, x1, side):
                    transform, shape = reader.grid(x, y, size, gsd)
                    if (reader.labels.read(transform, shape) != reader.fill).any():
                        points.append((i, x, y))
    if len(points) > limit:
        points = [points[int(j)] for j in np.linspace(0, len(points) - 1, limit)]
    return points


def _centres(low: float, high: float, side: float) -> list[float]:
    """Centres of the windows of ``side`` tiling ``[low, high]`` (one for a short span)."""
    n = max(1, round((high - low) / side))
    return [low + (k + 0.5) * (high - low) / n for k in range(n)]


class SceneWindows(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Windows of scenes as ``(image uint8 (C, H, W), labels int64 (H, W))`` samples.

    Args:
        scenes: the scenes.
        schema: their class schema.
        blocks: the split's blocks; labels outside ``subset``'s blocks are ignored.
        subset: ``train``, ``val`` or ``test``.
        size: window side in pixels.
        gsd: training GSD in metres.
        bands: 1-based image bands to read (default 1, 2, 3).
        points: fixed window centres (validation); ``None``: random ones from ``cells``.
        cells: labelled cell centres ``(scene, x, y)`` and cell size (training).
        length: samples per epoch when random.
        seed: random seed of the window centres.
        transform: ``(image, labels) -> (image, labels)`` applied to every sample.
    """

    def __init__(
        self,
        scenes: Sequence[Scene],
        schema: ClassSchema,
        blocks: Sequence[Block],
        subset: str,
        size: int,
        gsd: float,
        bands: Sequence[BandSpec] | None = None,
        points: Sequence[Point] | None = None,
        cells: tuple[np.ndarray, float] | None = None,
        length: int = 0,
        seed: int = 0,
        transform: Transform | None = None,
    ) -> None:
        self.scenes, self.schema, self.bands = list(scenes), schema, bands
        self.keep = [blocks_of(blocks, s.name, subset) for s in self.scenes]
        self.size, self.gsd, self.seed, self.transform = size, gsd, seed, transform
        self.points = list(points) if points is not None else None
        self.cells = cells
        self.length = len(self.points) if self.points is not None else length
        self._readers: list[SceneReader] = []
        self._pid = -1
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.length

    def readers(self) -> list[SceneReader]:
        """This process's open scenes (opened on first use in each process)."""
        if self._pid != os.getpid():
            self._readers = [SceneReader(s, self.schema, self.bands) for s in self.scenes]
            info = torch.utils.data.get_worker_info()
            # Each worker draws its own windows, reproducibly for a seed.
            self._rng = np.random.default_rng([self.seed, info.id if info else 0])
            self._pid = os.getpid()
        return self._readers

    def point(self, index: int) -> Point:
        """The window centre of sample ``index``: fixed, or random in a labelled cell."""
        if self.points is not None:
            return self.points[index]
        assert self.cells is not None
        centres, cell = self.cells
        i, x, y = centres[self._rng.integers(len(centres))]
        dx, dy = self._rng.uniform(-cell / 2, cell / 2, size=2)
        return int(i), float(x + dx), float(y + dy)

    def arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The window ``(image (H, W, C), labels (H, W))`` of sample ``index``, untransformed."""
        readers = self.readers()
        i, x, y = self.point(index)
        return readers[i].read(x, y, self.size, self.gsd, self.keep[i])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return sample_tensors(*self.arrays(index), self.transform)
