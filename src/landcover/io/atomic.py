"""Atomic output files and output folders that refuse to clobber earlier results."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from landcover.errors import LandcoverError, LandcoverIOError

TEMP_SUFFIX = ".tmp"
"""The final suffix of every temporary output file (see :func:`reserve_temp`)."""
TEMP_NAME_WARNING = r".*(filename extension should be|non conformant file extension)"
"""GDAL's warnings for a GeoPackage under a temporary name (not ``.gpkg``): ignore them."""


def reserve_temp(path: str | Path) -> Path:
    """Create an empty temporary file beside ``path``, to be :func:`publish`-ed onto it.

    Its name, ``.<name>.<random>.tmp`` (:data:`TEMP_SUFFIX`), is hidden and ends in ``.tmp``, so
    that no glob for results (``*.json``, ``*_classes.tif``) ever matches a file still being
    written; writers therefore name their format explicitly (``format="png"``, ``driver=``).

    Raises:
        LandcoverIOError: when the folder of ``path`` is not writable.
    """
    p = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=TEMP_SUFFIX, dir=p.parent)
    except OSError as e:
        raise LandcoverIOError(f"cannot write here ({e.strerror})", p.parent) from e
    os.close(fd)
    return Path(tmp_name)


def publish(tmp: Path, path: str | Path) -> Path:
    """Rename the finished ``tmp`` onto ``path`` with the usual permissions (0666 & ~umask)."""
    umask = os.umask(0)  # mkstemp creates 0600 files
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
    return Path(path)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    If the block raises, the temporary file is removed and ``path`` is untouched, so an
    interrupted run never leaves a partial file looking complete. The one way files are written
    here (:class:`~landcover.io.raster.RasterWriter` uses the same two steps).

    Raises:
        LandcoverIOError: when the folder of ``path`` is not writable.
    """
    tmp = reserve_temp(path)
    try:
        yield tmp
        publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def prepare_output_dir(out: str | Path, outputs: Sequence[str], overwrite: bool = False) -> Path:
    """Create the output folder ``out`` and check that it may receive ``outputs``.

    Args:
        out: the output folder (created with its parents if missing).
        outputs: the file names this run will write in it, or glob patterns for them
            (e.g. ``*_classes.tif``).
        overwrite: allow replacing those files when they already exist.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        LandcoverError: when ``out`` is a file, cannot be created or written, or already holds
            one of ``outputs`` and ``overwrite`` is false.
    """
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise LandcoverIOError("output path is a file, not a folder", p)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LandcoverIOError(f"cannot create output folder ({e.strerror})", p) from e
    existing = sorted({f.name for pattern in outputs for f in p.glob(pattern) if f.is_file()})
    if existing and not overwrite:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        raise LandcoverError(
            f"output folder already holds results ({shown}); use --overwrite to replace them", p
        )
    probe = p / ".landcover-write-test"
    try:
        if not os.access(p, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise LandcoverIOError("output folder is not writable", p) from e
    return p


def prepare_output_file(out: str | Path, what: str, overwrite: bool = False) -> Path:
    """Check that the file ``out`` may be written: its folder exists and is writable.

    Args:
        out: the file to write.
        what: what the file is, for the error when ``out`` is a folder ("the ONNX file").
        overwrite: allow replacing ``out`` when it already exists.

    Returns:
        ``out`` as a :class:`~pathlib.Path`.

    Raises:
        LandcoverError: when ``out`` is a folder, its folder is missing or not writable, or it
            exists and ``overwrite`` is false.
    """
    p = Path(out)
    if p.is_dir():
        raise LandcoverIOError(f"is a folder; give the name of {what} to write", p)
    if not p.parent.is_dir():
        raise LandcoverIOError("output folder does not exist", p.parent)
    if not os.access(p.parent, os.W_OK | os.X_OK):
        raise LandcoverIOError("output folder is not writable", p.parent)
    if p.exists() and not overwrite:
        raise LandcoverError("already exists; use --overwrite to replace it", p)
    return p
