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
