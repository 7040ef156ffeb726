"""The quickstart notebook runs from top to bottom on the shipped sample, torch-free."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the [dev] extra (nbformat, nbclient)")
nbclient = pytest.importorskip("nbclient", reason="needs the [dev] extra (nbformat, nbclient)")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "quickstart.ipynb"
CHECK_CELL = 'import sys\nprint("torch imported:", "torch" in sys.modules)'


def _stdout(cell: dict) -> str:
    outputs = cell.get("outputs", [])
    return "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")


def _has_figure(cell: dict) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def executed() -> list[dict]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))
    where = {"metadata": {"path": str(NOTEBOOK.parent)}}
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", resources=where)
    client.execute()  # raises CellExecutionError on the first failing cell
    return [c for c in nb.cells if c.cell_type == "code"]


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert cells and all(not c.outputs and c.execution_count is None for c in cells)


def test_notebook_counts_the_sample_mask_exactly(executed: list[dict]) -> None:
    text = "".join(_stdout(c) for c in executed)
    assert "image (1224, 1224, 3), mask (1224, 1224)\nclasses: urban_land, " in text
    assert "1498176 pixels, 0 off the palette" in text  # 1224 x 1224, every colour on the palette
    assert re.search(r"agriculture_land\s+701992\s+46\.9%\s+17\.55", text)


def test_notebook_maps_scores_and_draws(executed: list[dict]) -> None:
    text = "".join(_stdout(c) for c in executed)
    assert "model GSD 1.195 m; probabilities (7, 1224, 1224)" in text
    miou = float(re.search(r"mIoU (\d\.\d+), pixel accuracy", text).group(1))
    # a training-split scene; the exact value depends on the precision the CPU gets (int8/fp32)
    assert 0.5 < miou <= 1.0
    assert "1498176 scored pixels" in text
    assert sum(_has_figure(c) for c in executed) == 4  # tile+mask, class bars, overlays, confusion


def test_notebook_never_imports_torch(executed: list[dict]) -> None:
    assert _stdout(executed[-1]).strip() == "torch imported: False"
