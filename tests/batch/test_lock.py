"""One run per output folder: a second run on a folder a live run holds is refused in one line;
a run killed with SIGKILL leaves nothing blocking."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from landcover.batch.lock import LOCK_FILE, run_lock
from landcover.cli import main
from landcover.errors import FolderBusyError
from tests.inference.conftest import coded_image, make_onnx

pytestmark = [
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
    pytest.mark.skipif(sys.platform == "win32", reason="fcntl.flock is POSIX"),
]

HOLD = (
    "import sys, time\n"
    "from landcover.batch.lock import run_lock\n"
    "with run_lock(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(120)\n"
)


def _predict_args(tmp_path: Path, out: Path) -> list[str]:
    (tmp_path / "in").mkdir(exist_ok=True)
    Image.fromarray(coded_image(40, 48)).save(tmp_path / "in" / "a.png")
    model = make_onnx(tmp_path / "tiny.onnx")
    return ["-q", "predict", str(tmp_path / "in"), "--out", str(out), "--model", str(model)]


def test_a_second_run_on_a_held_folder_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = _predict_args(tmp_path, out)
    with run_lock(out):
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        with pytest.raises(FolderBusyError, match="another landcover run is writing here"):
            with run_lock(out):
                pass
    assert len(err.splitlines()) == 1
    assert f"{out}: another landcover run is writing here (pid {os.getpid()} on " in err
    assert not list(out.glob("*_classes.tif"))
    assert main(args) == 0  # released: the next run maps
    assert (out / "a_classes.tif").is_file() and not (out / LOCK_FILE).exists()


def test_a_run_killed_by_sigkill_does_not_block_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _predict_args(tmp_path, out)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = subprocess.run(
            [sys.executable, "-m", "landcover", *args], capture_output=True, text=True, timeout=120
        )
        assert busy.returncode == 2
        assert f"pid {holder.pid} on " in busy.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert holder.returncode == -signal.SIGKILL
    assert (out / LOCK_FILE).is_file()  # the file stays; no one holds it any more
    assert main(args) == 0
    assert (out / "a_classes.tif").is_file() and not (out / LOCK_FILE).exists()
