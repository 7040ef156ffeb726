"""A training process killed with SIGKILL resumes from its last checkpoint."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.cli import main


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_kill_9_then_resume(tiny_data: tuple[Path, Path, Path], tmp_path: Path) -> None:
    data, split, cfg = tiny_data
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "landcover",
        "-q",
        "train",
        "--data",
        str(data),
        "--split",
        str(split),
        "--config",
        str(cfg),
        "--epochs",
        "500",
        "--out",
        str(run),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = run / "checkpoints" / "last.ckpt"
    try:
        deadline = time.monotonic() + 120
        while not last.is_file() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # let it run into a later epoch, then kill it wherever it is
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = torch.load(last, map_location="cpu", weights_only=False)["epoch"] + 1
    assert done < 500

    assert main(["train", "--resume", str(run), "--epochs", str(done + 2)]) == 0
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        epochs = [int(r["epoch"]) for r in csv.DictReader(f)]
    assert epochs == list(range(1, done + 3))
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == done + 1
