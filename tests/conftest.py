"""Shared fixtures: tiny synthetic datasets (see tests/helpers.py for the writers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import write_dataset


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, list[np.ndarray]]:
    """A DeepGlobe-style folder with 3 pairs of 32x32 px, and the masks' label maps."""
    root = tmp_path / "data"
    return root, write_dataset(root)
