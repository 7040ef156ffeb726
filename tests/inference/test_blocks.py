"""A scene's blocks are rasterio windows (col_off, row_off, width, height) with int offsets."""

from __future__ import annotations

import numpy as np
from rasterio.windows import Window

from landcover.inference.blocks import Preview, blocks, grow


def test_blocks_of_a_wide_image_cover_it_once_in_row_major_order() -> None:
    windows = list(blocks(30, 50, 20))  # 2 rows x 3 columns of blocks, clipped at the edges
    assert windows == [
        Window(col_off=0, row_off=0, width=20, height=20),
        Window(col_off=20, row_off=0, width=20, height=20),
        Window(col_off=40, row_off=0, width=10, height=20),
        Window(col_off=0, row_off=20, width=20, height=10),
        Window(col_off=20, row_off=20, width=20, height=10),
        Window(col_off=40, row_off=20, width=10, height=10),
    ]
    covered = np.zeros((30, 50), dtype=np.int32)
    for w in windows:
        assert all(isinstance(v, int) for v in w.flatten())
        covered[w.toslices()] += 1
    assert (covered == 1).all()


def test_grow_adds_the_margin_and_clips_to_the_image() -> None:
    inner = Window(col_off=40, row_off=0, width=10, height=20)
    assert grow(inner, 4, 30, 50) == Window(col_off=36, row_off=0, width=14, height=24)
    middle = Window(col_off=20, row_off=10, width=5, height=3)
    assert grow(middle, 2, 30, 50) == Window(col_off=18, row_off=8, width=9, height=7)


def test_preview_takes_every_step_th_pixel_of_each_block() -> None:
    full = np.arange(30 * 50, dtype=np.int64).reshape(30, 50) % 251
    preview = Preview(30, 50, 3, None)
    for w in blocks(30, 50, 20):
        preview.put(full[w.toslices()].astype(np.uint8), w)
        assert preview.region(w) == (
            slice(-(-w.row_off // 3), -(-(w.row_off + w.height) // 3)),
            slice(-(-w.col_off // 3), -(-(w.col_off + w.width) // 3)),
        )
    np.testing.assert_array_equal(preview.data, full[::3, ::3].astype(np.uint8))
