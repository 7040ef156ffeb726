"""Training curves are drawn without touching the caller's matplotlib state."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

CODE = """
import sys
import matplotlib
matplotlib.use("pdf")  # a notebook's backend, say
from landcover.viz.curves import plot_curves
rows = [
    {"epoch": 0, "train_loss": 1.0, "val_loss": 1.2, "train_acc": 0.5, "val_acc": float("nan")},
    {"epoch": 1, "train_loss": 0.8, "val_loss": 1.0, "train_miou": 0.3, "val_miou": 0.2},
]
plot_curves(rows, sys.argv[1])
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""


def test_plot_curves_keeps_the_backend_and_never_imports_pyplot(tmp_path: Path) -> None:
    out = tmp_path / "curves.png"
    res = subprocess.run(
        [sys.executable, "-c", CODE, str(out)], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["pdf", "False"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp*"))


def test_plot_curves_draws_three_panels(tmp_path: Path) -> None:
    from PIL import Image

    from landcover.viz.curves import plot_curves

    rows = [{"epoch": e, "train_loss": 1 / (e + 1), "val_loss": math.nan} for e in range(3)]
    path = plot_curves(rows, tmp_path / "c.png")
    assert Image.open(path).size == (1300, 360)  # 13 x 3.6 inches at 100 dpi
