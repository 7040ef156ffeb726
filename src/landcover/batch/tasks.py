"""What a scene task needs on any process: how to open the model, and its record.

A task carries paths and a :class:`~landcover.inference.options.PredictOptions` (never
pixels). Its outcome is written as a done record (or a failed one with the one-line reason) by
:func:`recording`, in this process or on a Dask worker, so that a scene finished anywhere is
kept even if the process that started the run dies. Shared by :mod:`landcover.batch.runner`
and :mod:`landcover.batch.dask_exec`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from landcover.batch.records import RunFolder, write_record
from landcover.batch.scene import SceneResult
from landcover.errors import LandcoverError
from landcover.inference.gsd import Gsd
from landcover.inference.predictor import Predictor, load_predictor
from landcover.io.remote import display

log = logging.getLogger(__name__)

Outcome = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class ModelSpec:
    """How to open the model, on this machine or on a worker (picklable, no session)."""

    model: str | None = None
    backend: str = "auto"
    precision: str | None = None
    threads: int | None = None

    def load(self) -> Predictor:
        """The :class:`~landcover.inference.predictor.Predictor`."""
        return load_predictor(self.model, self.backend, self.threads, self.precision)


class SceneRecord:
    """A scene task's outcome: set :attr:`scene` inside :func:`recording`; read :attr:`result`.

    Attributes:
        scene: what the task mapped (``None`` until set, or when it failed).
        result: ``("done" | "failed", record)`` once :func:`recording` has ended.
    """

    def __init__(self) -> None:
        self.scene: SceneResult | None = None
        self.result: Outcome = ("failed", {})


@contextmanager
def recording(out: str | Path, stem: str, path: str | Path) -> Iterator[SceneRecord]:
    """Record the scene mapped inside the block: its done record, or (on an input or
    read/write error, which is not raised further) its failed record with the reason."""
    folder = RunFolder(Path(out))
    rec = SceneRecord()
    try:
        yield rec
    except LandcoverError as e:
        rec.result = "failed", _failed(folder, stem, path, e.message)
    except OSError as e:  # rasterio's read errors on a truncated raster among them
        rec.result = "failed", _failed(folder, stem, path, f"read or write failed ({e})")
    else:
        if rec.scene is None:
            raise RuntimeError(f"{stem}: recording() ended without a scene")
        rec.result = "done", _done(folder, stem, path, rec.scene)


def _done(folder: RunFolder, stem: str, path: str | Path, scene: SceneResult) -> dict[str, Any]:
    record = {
        "stem": stem,
        "input": display(path),
        "outputs": [p.name for p in scene.outputs],
        "areas": scene.areas,
        "gsd_m": scene.gsd.metres,
        "gsd_source": scene.gsd.source,
        "seconds": round(scene.seconds, 3),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_record(folder, "done", stem, record)
    return record


def _failed(folder: RunFolder, stem: str, path: str | Path, reason: str) -> dict[str, Any]:
    log.error("%s: %s", display(path), reason)
    record = {"stem": stem, "input": display(path), "reason": reason}
    write_record(folder, "failed", stem, record)
    return record


def scene_from_record(record: dict[str, Any], out: Path) -> SceneResult:
    """The :class:`~landcover.batch.scene.SceneResult` a done record stands for."""
    gsd = Gsd(record["gsd_m"], record["gsd_source"])
    outputs = [out / name for name in record["outputs"]]
    return SceneResult(
        Path(record["input"]), outputs, record["areas"], record["seconds"], gsd, record["stem"]
    )
