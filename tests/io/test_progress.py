"""Progress bars: tqdm's when shown, the items themselves (and no tqdm) when not."""

from __future__ import annotations

import subprocess
import sys

import pytest

from landcover.io.progress import CountingBar, progress_bar


def test_a_disabled_bar_is_the_items_themselves() -> None:
    items = [3, 1, 2]
    assert progress_bar(items, "x", "item", disable=True) is items


def test_a_shown_bar_yields_every_item_and_draws_on_stderr(capsys: pytest.CaptureFixture) -> None:
    assert list(progress_bar(iter([3, 1, 2]), "counting", "item", total=3)) == [3, 1, 2]
    err = capsys.readouterr().err
    assert "counting" in err and "3/3" in err


def test_a_counting_bar_counts_its_steps(capsys: pytest.CaptureFixture) -> None:
    bar = CountingBar(4, "strips", "strip")
    for _ in range(4):
        bar.step()
    assert bar._bar is not None and bar._bar.n == 4
    bar.close()
    assert "strips" in capsys.readouterr().err


def test_no_bar_loads_no_tqdm() -> None:
    code = (
        "import sys; from landcover.io.progress import CountingBar, progress_bar; "
        "assert list(progress_bar([1, 2], 'x', 'item', disable=True)) == [1, 2]; "
        "bar = CountingBar(2, 'x', 'strip', disable=True); bar.step(); bar.close(); "
        "print('tqdm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
