"""Tiling: windows cover any image size and reassemble exactly (property-based)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from landcover.data.tiling import grid, stride_for, window_starts


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(1, 90),
    width=st.integers(1, 90),
    size=st.integers(1, 40),
    overlap=st.floats(0.0, 0.9),
)
def test_grid_windows_cover_the_image(height: int, width: int, size: int, overlap: float) -> None:
    windows = grid(height, width, size, overlap)
    assert all((w.height, w.width) == (min(size, height), min(size, width)) for w in windows)
    covered = np.zeros((height, width), dtype=np.int32)
    for w in windows:
        assert 0 <= w.row_off and w.row_off + w.height <= height
        assert 0 <= w.col_off and w.col_off + w.width <= width
        covered[w.toslices()] += 1
    assert covered.min() >= 1


def test_non_square_grid_is_row_major() -> None:
    # 2 rows x 3 columns: the seed's ``i * n_rows + j`` put window (0, 2) at index 2 of a
    # 2-wide row, i.e. on the wrong row.
    windows = grid(20, 30, 10)
    assert [(w.row_off, w.col_off) for w in windows] == [
        (0, 0),
        (0, 10),
        (0, 20),
        (10, 0),
        (10, 10),
        (10, 20),
    ]


def test_remainder_is_covered_by_a_shifted_last_window() -> None:
    assert window_starts(25, 10, 10) == [0, 10, 15]
    assert window_starts(7, 10, 5) == [0]
    assert grid(5, 25, 10)[-1] == Window(col_off=15, row_off=0, width=10, height=5)


def test_stride_and_errors() -> None:
    assert stride_for(512, 0.25) == 384
    assert stride_for(3, 0.9) == 1
    with pytest.raises(ValueError, match="overlap"):
        stride_for(10, 1.0)


def test_bad_window_arguments_are_input_errors() -> None:
    from landcover.errors import InputError, LandcoverError

    with pytest.raises(InputError, match=r"overlap must be in \[0, 1\)") as e:
        stride_for(64, 1.0)
    assert isinstance(e.value, LandcoverError) and isinstance(e.value, ValueError)
