"""Done and failed records of a batch run: what makes ``predict`` resumable.

A run folder holds ``.landcover/run.json`` (the run's fingerprint: model file hash, the options
that change outputs, the package version; and the inputs) and one record per scene in
``.landcover/done/<stem>.json`` or ``.landcover/failed/<stem>.json``. A done record is written
(atomically) only *after* the scene's outputs are in place, so a run killed at any moment
resumes by redoing exactly the scenes without one. A run with another fingerprint into the
same folder is refused with the differences unless ``overwrite``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landcover import __version__
from landcover.errors import InputError
from landcover.io.atomic import TEMP_SUFFIX, prepare_output_dir, write_text_atomic

RECORDS = ".landcover"
RUN_JSON = "run.json"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(model_file: str | Path | None, options: dict[str, Any]) -> dict[str, Any]:
    """What decides a run's outputs: the model file's hash, the options, the version."""
    return {
        "model_file": None if model_file is None else Path(model_file).name,
        "model_sha256": None if model_file is None else file_sha256(model_file),
        "options": {k: options[k] for k in sorted(options)},
        "landcover": __version__,
    }


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of what differs between two fingerprints (options by name)."""
    out = [k for k in ("model_sha256", "landcover") if old.get(k) != new.get(k)]
    o, n = old.get("options", {}), new.get("options", {})
    out += [f"--{k.replace('_', '-')}" for k in sorted(set(o) | set(n)) if o.get(k) != n.get(k)]
    return [("model" if d == "model_sha256" else d) for d in out]


@dataclass(frozen=True)
class RunFolder:
    """A claimed run folder and where its records go."""

    path: Path

    @property
    def records(self) -> Path:
        """The ``.landcover`` folder."""
        return self.path / RECORDS

    def record_path(self, state: str, stem: str) -> Path:
        """``.landcover/<state>/<stem>.json`` (state ``done`` or ``failed``)."""
        return self.records / state / f"{stem}.json"


def read_run(out: str | Path) -> dict[str, Any] | None:
    """The ``run.json`` of the run in ``out`` (fingerprint and inputs), or ``None``."""
    run_json = Path(out) / RECORDS / RUN_JSON
    return json.loads(run_json.read_text()) if run_json.is_file() else None


def claim_run(
    out: str | Path,
    fp: dict[str, Any],
    inputs: dict[str, str],
    output_patterns: Sequence[str],
    overwrite: bool = False,
) -> RunFolder:
    """Create or reopen the run folder ``out`` for a run with fingerprint ``fp``.

    ``inputs`` maps each output stem to its input path. The same fingerprint resumes; another
    one is refused (naming what differs) unless ``overwrite``, which forgets all records. A
    folder holding outputs but no records (an older run) is refused likewise.
    """
    folder = RunFolder(Path(out))
    old = read_run(folder.path)
    if old is None or overwrite:
        prepare_output_dir(folder.path, output_patterns, overwrite)
        if folder.records.is_dir():
            shutil.rmtree(folder.records)
    elif old["fingerprint"] != fp:
        what = ", ".join(_differences(old["fingerprint"], fp)) or "the run"
        raise InputError(
            f"holds a run with another {what}; use --overwrite to replace it, or another folder",
            folder.path,
        )
    for state in ("done", "failed"):
        (folder.records / state).mkdir(parents=True, exist_ok=True)
    known = dict(old["inputs"]) if old and not overwrite else {}
    known.update(inputs)
    run = {"fingerprint": fp, "inputs": known}
    write_text_atomic(folder.records / RUN_JSON, json.dumps(run, indent=1))
    return folder


def write_record(folder: RunFolder, state: str, stem: str, record: dict[str, Any]) -> Path:
    """Write a scene's record atomically; a done record clears an earlier failure."""
    path = folder.record_path(state, stem)
    write_text_atomic(path, json.dumps(record, indent=1, default=str))
    if state == "done":
        folder.record_path("failed", stem).unlink(missing_ok=True)
    return path


def read_records(folder: RunFolder, state: str) -> dict[str, dict[str, Any]]:
    """Every ``state`` record of the folder, by stem."""
    return {
        p.stem: json.loads(p.read_text())
        for p in sorted((folder.records / state).glob("*.json"))
        if not p.name.startswith(".")
    }


def is_done(folder: RunFolder, stem: str) -> bool:
    """A done record exists and every output it lists is there."""
    path = folder.record_path("done", stem)
    if not path.is_file():
        return False
    record = json.loads(path.read_text())
    return all((folder.path / name).is_file() for name in record.get("outputs", []))


@dataclass(frozen=True)
class RunStatus:
    """Scenes of a run folder: done, failed (with the reason) and pending."""

    done: list[str]
    failed: dict[str, str]
    pending: list[str]


def run_status(out: str | Path) -> RunStatus:
    """The state of every scene of the run in ``out`` (``landcover status``)."""
    folder = RunFolder(Path(out))
    run = read_run(folder.path)
    if run is None:
        raise InputError("no landcover run here (no .landcover/run.json)", out)
    inputs = run["inputs"]
    done = [s for s in sorted(inputs) if is_done(folder, s)]
    failed = {s: r.get("reason", "") for s, r in read_records(folder, "failed").items()}
    failed = {s: r for s, r in failed.items() if s not in done}
    pending = [s for s in sorted(inputs) if s not in done and s not in failed]
    return RunStatus(done, failed, pending)


def remove_stale_temps(out: str | Path) -> list[Path]:
    """Delete temporary files left by killed writers (``.<name>.<random>.tmp``)."""
    stale = [p for p in Path(out).glob(f".*{TEMP_SUFFIX}") if p.is_file()]
    stale += [p for p in Path(out, RECORDS).rglob(f".*{TEMP_SUFFIX}") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale
