"""The core commands never import torch (issue 9): checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import write_dataset

CODE = """
import sys
from landcover.cli import main
assert main(["check", sys.argv[1]]) == 0
assert main(["stats", sys.argv[1], "--out", sys.argv[2]]) == 0
assert main(["split", sys.argv[1], "--out", sys.argv[3]]) == 0
print("LOADED", [m for m in ("torch", "lightning", "matplotlib.pyplot") if m in sys.modules])
"""


def test_check_stats_split_do_not_import_torch(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_dataset(root, n=2)
    result = subprocess.run(
        [sys.executable, "-c", CODE, str(root), str(tmp_path / "o"), str(tmp_path / "s.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


EXTRAS_CODE = """
import sys
from pathlib import Path
from landcover.cli import main
img, out, model = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
assert main(["-q", "predict", img, "--model", model, "--out", str(out), "--gsd", "1"]) == 0
assert main(["-q", "report", str(out), "--overwrite"]) == 0
assert main(["-q", "sample", str(out / "a_classes.tif"), "--out", str(out / "p.csv"),
             "--size", "14", "--min-per-class", "1"]) == 0
heavy = ("torch", "pyogrio", "exactextract", "distributed", "dask", "matplotlib.pyplot")
print("LOADED", [m for m in heavy if m in sys.modules])
"""


def test_predict_report_sample_need_no_extra(tmp_path: Path) -> None:
    """The core install maps, reports and samples (CSV) without the [train], [gis] or [dask]
    extras: none of their packages is even imported."""
    from PIL import Image

    from tests.inference.conftest import coded_image, make_onnx

    Image.fromarray(coded_image(40, 48)).save(tmp_path / "a.png")
    model = make_onnx(tmp_path / "tiny.onnx")
    argv = [str(tmp_path / "a.png"), str(tmp_path / "out"), str(model)]
    result = subprocess.run(
        [sys.executable, "-c", EXTRAS_CODE, *argv], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"
