"""Class statistics of a scene list: labelled pixels per class, counted in bounded chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from affine import Affine

from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import read_scene_list
from landcover.data.stats import DatasetStats, MaskStats
from landcover.errors import LandcoverError
from landcover.schema import ClassSchema, count_labels

#: Side of the chunks the labels are read in, in scene pixels.
CHUNK = 2048


def scene_stats(path: str | Path, schema: ClassSchema, chunk: int = CHUNK) -> DatasetStats:
    """Count each class's pixels under the labels of every scene, on the scene's own grid.

    The labels are read in squares of ``chunk`` pixels, so memory stays bounded.

    Unlabelled pixels count in the ignored class, as off-palette pixels of masks do. A scene
    that cannot be opened is listed in :attr:`DatasetStats.failures`.
    """
    images: list[MaskStats] = []
    failures: list[tuple[Path, str]] = []
    for scene in read_scene_list(path):
        try:
            reader = SceneReader(scene, schema)
        except LandcoverError as e:
            failures.append((scene.labels, e.message))
            continue
        counts = np.zeros(schema.num_classes, dtype=np.int64)
        src, t = reader.src, reader.src.transform
        for row in range(0, src.height, chunk):
            for col in range(0, src.width, chunk):
                h, w = min(chunk, src.height - row), min(chunk, src.width - col)
                grid = t * Affine.translation(col, row)
                counts += count_labels(reader.labels.read(grid, (h, w)), schema.num_classes)
        images.append(MaskStats(scene.name, scene.labels, counts, 0, src.width * src.height))
        reader.close()
    return DatasetStats(schema, images, failures)
