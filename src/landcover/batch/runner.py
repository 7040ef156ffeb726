"""``predict_many``: map many scenes, resumable, in-process or on a Dask cluster.

Each scene is one task carrying paths and options (never pixels): :func:`scene_task` maps it
with :func:`~landcover.inference.predict.predict_file` and then writes its done record (or
its failed record with the one-line reason). Running the same command again skips the done
scenes (:mod:`landcover.batch.records`); ``areas.csv`` is rebuilt from all done records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from landcover.batch.cog import to_cog
from landcover.batch.records import (
    RunFolder,
    claim_run,
    fingerprint,
    is_done,
    read_records,
    remove_stale_temps,
    write_record,
)
from landcover.batch.stac_input import expand_stac, with_sources, write_sources
from landcover.errors import LandcoverError
from landcover.inference.areas import write_areas_csv
from landcover.inference.gsd import Gsd
from landcover.inference.predict import (
    OUTPUT_PATTERNS,
    RUN_CSV,
    RunResult,
    SceneResult,
    expand_inputs,
    output_stems,
    predict_file,
)
from landcover.io.remote import display, input_path

log = logging.getLogger(__name__)

# Options of predict_file that do not change any output.
NEUTRAL_OPTIONS = ("batch_size", "progress")


@dataclass
class BatchResult(RunResult):
    """A :class:`RunResult` plus the large-area outputs (VRT mosaics, STAC collection)."""

    catalog: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class ModelSpec:
    """How to open the model, on this machine or on a worker (picklable, no session)."""

    model: str | None = None
    backend: str = "auto"
    precision: str | None = None
    threads: int | None = None

    def load(self) -> Any:
        """The :class:`~landcover.inference.predictor.Predictor`."""
        from landcover.inference.predictor import load_predictor

        return load_predictor(self.model, self.backend, self.threads, self.precision)


def scene_task(
    predictor: Any, path: str, out: str, stem: str, options: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Map one scene into ``out`` and record it: ``("done" | "failed", record)``."""

    def make() -> SceneResult:
        return predict_file(predictor, path, out, stem=stem, **options)

    return record_outcome(out, stem, path, make)


def record_outcome(
    out: str, stem: str, path: str, make: Callable[[], SceneResult]
) -> tuple[str, dict[str, Any]]:
    """Run ``make`` (which writes a scene's outputs), make its class raster a COG, and write
    the done record; or the failed record with the one-line reason."""
    folder = RunFolder(Path(out))
    try:
        scene = make()
    except LandcoverError as e:
        return "failed", _failed(folder, stem, path, e.message)
    except OSError as e:  # rasterio's read errors on a truncated raster among them
        return "failed", _failed(folder, stem, path, f"read or write failed ({e})")
    classes = next((p for p in scene.outputs if p.name.endswith("_classes.tif")), None)
    if classes is not None:
        to_cog(classes)  # overviews for large areas; pixels, colours and legend kept
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
    return "done", record


def _failed(folder: RunFolder, stem: str, path: str, reason: str) -> dict[str, Any]:
    log.error("%s: %s", display(path), reason)
    record = {"stem": stem, "input": display(path), "reason": reason}
    write_record(folder, "failed", stem, record)
    return record


def scene_from_record(record: dict[str, Any], out: Path) -> SceneResult:
    """The :class:`SceneResult` a done record stands for."""
    gsd = Gsd(record["gsd_m"], record["gsd_source"])
    outputs = [out / name for name in record["outputs"]]
    return SceneResult(
        Path(record["input"]), outputs, record["areas"], record["seconds"], gsd, record["stem"]
    )


def predict_many(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    model: ModelSpec | None = None,
    predictor: Any = None,
    executor: Any = None,
    overwrite: bool = False,
    progress: bool = True,
    split_pixels: int | None = None,
    asset: str | None = None,
    **options: Any,
) -> BatchResult:
    """Map every image among ``inputs`` into ``out``, skipping scenes already done there.

    Args:
        inputs: image files or folders, URLs of rasters (:mod:`landcover.io.remote`), STAC
            Items, ItemCollections or catalogs (:mod:`landcover.batch.stac_input`).
        out: the run folder (resumed when it holds a run with the same model and options).
        model: the model to use (default: the bundled one, precision by CPU).
        predictor: ``model`` already opened here (else it is opened once, here and on each
            worker).
        executor: ``None`` (this process), ``"local:N"`` (a Dask ``LocalCluster`` of N worker
            processes), a scheduler address or scheduler file, or a ``distributed.Client``.
        overwrite: replace a run with another model or options (else refused).
        progress: progress bars.
        split_pixels: on Dask, a scene of more pixels is mapped in parts by several workers
            (same result, pixel for pixel); default 100 M.
        asset: the STAC inputs' asset to map (default: their RGB ``visual`` asset).
        options: :func:`~landcover.inference.predict.predict_file` options.

    Returns:
        Every done scene of the run (this time and before) and this run's failures.
    """
    spec = model or ModelSpec()
    inputs, sources = expand_stac(inputs, asset)
    files = expand_inputs(inputs)
    stems = output_stems(files)
    predictor = predictor if predictor is not None else spec.load()
    fp_options = {k: v for k, v in options.items() if k not in NEUTRAL_OPTIONS}
    fp_options["precision"] = getattr(predictor, "precision", spec.precision)
    fp = fingerprint(getattr(predictor, "path", None), fp_options)
    inputs_by_stem = {stems[f]: str(f) for f in files}
    folder = claim_run(out, fp, inputs_by_stem, OUTPUT_PATTERNS, overwrite)
    write_sources(folder.records, {stems[input_path(s.image)]: s for s in sources})
    remove_stale_temps(folder.path)
    todo = [f for f in files if not is_done(folder, stems[f])]
    if len(todo) < len(files):
        log.info("resuming: %d of %d scenes already done", len(files) - len(todo), len(files))
    tasks = [(str(f), str(folder.path), stems[f]) for f in todo]
    split = {} if split_pixels is None else {"split_pixels": split_pixels}
    results = _execute(predictor, spec, executor, tasks, options, progress, split)
    failures = [(Path(r["input"]), r["reason"]) for state, r in results if state == "failed"]
    remove_stale_temps(folder.path)
    result = _collect(folder, set(inputs_by_stem), failures)
    result.catalog = write_catalog(folder, [s.stem for s in result.scenes])
    return result


def write_catalog(folder: RunFolder, stems: Sequence[str]) -> list[Path]:
    """The VRT mosaics (one per CRS) and the STAC collection over the done scenes' class
    rasters, rebuilt from the done records; nothing when no scene is georeferenced."""
    from landcover.batch.mosaic import build_vrt
    from landcover.batch.stac import scene_info, write_stac
    from landcover.io.ground import is_georeferenced
    from landcover.io.raster import open_raster

    rasters = []
    for stem in sorted(stems):
        path = folder.path / f"{stem}_classes.tif"
        with open_raster(path) as src:
            if is_georeferenced(src.crs, src.transform):
                rasters.append(path)
    if not rasters:
        return []
    vrts = build_vrt(rasters, folder.path, overwrite=True)
    scenes = with_sources(folder.records, [scene_info(p) for p in rasters])
    stac = write_stac(folder.path, scenes, overwrite=True)
    return [*vrts, stac]


def _execute(
    predictor: Any,
    spec: ModelSpec,
    executor: Any,
    tasks: list[tuple[str, str, str]],
    options: dict[str, Any],
    progress: bool,
    split: dict[str, int],
) -> list[tuple[str, dict[str, Any]]]:
    """Run the scene tasks here or on Dask; a progress bar on this process either way."""
    from landcover.inference.predict import _bar

    if executor is None:
        inner = dict(options, progress=progress and len(tasks) == 1)
        bar = _bar(len(tasks), "scenes", progress and len(tasks) > 1, "scene")
        results = _in_process(predictor, tasks, inner, bar)
    else:
        from landcover.batch.dask_exec import run_on_dask

        opts = dict(options, progress=False)
        results = run_on_dask(executor, spec, tasks, opts, progress, predictor=predictor, **split)
    return list(results)


def _in_process(
    predictor: Any, tasks: list[tuple[str, str, str]], options: dict[str, Any], bar: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, out, stem in tasks:
        yield scene_task(predictor, path, out, stem, options)
        bar.update(1)
    bar.close()


def _collect(folder: RunFolder, stems: set[str], failures: list[tuple[Path, str]]) -> BatchResult:
    """The run's result from the done records; ``areas.csv`` rebuilt from all of them."""
    done = {s: r for s, r in read_records(folder, "done").items() if s in stems}
    scenes = [scene_from_record(r, folder.path) for r in done.values()]
    result = BatchResult(scenes=scenes, failures=failures)
    if scenes:
        tables = {s: r["areas"] for s, r in done.items()}
        result.areas_csv = write_areas_csv(folder.path / RUN_CSV, tables)
    return result
