"""One run per output folder at a time: an OS advisory lock on ``<out>/.landcover.lock``.

The lock is ``fcntl.flock`` on the lock file, held while the run works and removed at its end.
The operating system releases the lock when the process ends in any way (``kill -9`` and power
loss included), so a crashed run never leaves the folder blocked: its file stays, but no one
holds it, and the next run takes it. The file
says who holds it (process id, host, start time), which a refused run names. NFS and other
network file systems may not honour ``flock``; on Windows (no ``fcntl``) no lock is taken.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from landcover.errors import FolderBusyError, LandcoverIOError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_FILE = ".landcover.lock"


@contextmanager
def run_lock(out: str | Path) -> Iterator[Path]:
    """Hold the output folder ``out`` (created if missing) for this run; the lock file is
    removed when the run ends normally.

    Yields:
        The lock file.

    Raises:
        FolderBusyError: another live run holds ``out``.
        LandcoverIOError: the folder or its lock file cannot be created.
    """
    folder = Path(out)
    path = folder / LOCK_FILE
    fd = _locked_fd(folder, path)
    try:
        _write_holder(fd)
        yield path
    finally:
        path.unlink(missing_ok=True)  # before releasing: a waiting run then makes a new file
        os.close(fd)  # releases the lock


def _locked_fd(folder: Path, path: Path) -> int:
    """Open and lock ``path``; retried when the file was removed by its holder meanwhile."""
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            message = f"cannot create the run's lock file ({e.strerror})"
            raise LandcoverIOError(message, folder) from e
        try:
            _acquire(fd, folder)
            if _same_file(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the open file ``fd`` (not removed or replaced)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _acquire(fd: int, folder: Path) -> None:
    """Lock ``fd`` without waiting, or raise naming the run that holds it."""
    if fcntl is None:
        log.debug("%s: no fcntl on this system; the folder is not locked", folder)
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise FolderBusyError(
            f"another landcover run is writing here ({_holder(fd)}); wait for it to finish, "
            "or use another --out",
            folder,
        ) from None


def _write_holder(fd: int) -> None:
    """Record this process as the holder (read only by refused runs, for their message)."""
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(holder).encode())


def _holder(fd: int) -> str:
    """Who holds the lock, as the lock file says."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096) or b"{}")
        return f"pid {info['pid']} on {info['host']}, started {info['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
