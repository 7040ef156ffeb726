"""``train --devices 2 --strategy ddp`` on CPU (gloo): rank 1 joins rank 0's run folder."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.training.ranks import is_rank_zero


def test_rank_zero_reads_the_launchers_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for v in ("RANK", "SLURM_PROCID", "NODE_RANK", "LOCAL_RANK"):
        monkeypatch.delenv(v, raising=False)
    assert is_rank_zero()
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("NODE_RANK", "0")
    assert is_rank_zero()
    monkeypatch.setenv("LOCAL_RANK", "1")  # Lightning's DDP launcher, second process
    assert not is_rank_zero()
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("NODE_RANK", "1")  # first process of the second node
    assert not is_rank_zero()


def _train(*extra: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    ddp = "--devices 2 --strategy ddp --accelerator cpu --batch-size 2 --val-batch-size 1"
    cmd = [sys.executable, "-m", "landcover", "-q", "train", *ddp.split(), *extra]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def _epochs(run: Path) -> list[int]:
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


@pytest.mark.slow
def test_ddp_two_processes_train_then_resume(
    tiny_data: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    data, split, cfg = tiny_data
    run = tmp_path / "run"
    args = ["--data", str(data), "--split", str(split), "--config", str(cfg)]
    first = _train(*args, "--epochs", "1", "--out", str(run), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "already holds results" not in first.stderr
    assert first.stdout.count("best checkpoint:") == 1  # rank 0 reports, once
    assert _epochs(run) == [1]
    again = _train("--resume", str(run), "--epochs", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _epochs(run) == [1, 2]
    last = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["epoch"] == 1
    assert sorted(p.name for p in run.iterdir()) == [
        "checkpoints", "config.yaml", "curves.png", "metrics.csv", "split.csv",
    ]  # fmt: skip
