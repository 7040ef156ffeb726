"""``predict_many``: map many scenes, resumable, in-process or on a Dask cluster.

Each scene is one task carrying paths and a :class:`~landcover.inference.options.PredictOptions`
(never pixels), mapped by :func:`~landcover.batch.scene.predict_file` (in this process,
:data:`IN_FLIGHT` scenes at a time) and recorded in input order by
:func:`~landcover.batch.tasks.recording`, which writes its done record (or its failed record
with the one-line reason). Running the same command again skips the done scenes
(:mod:`landcover.batch.records`); ``areas.csv``, the VRT mosaics and the STAC collection are
rebuilt from all done records. :func:`predict_paths` is the same run for a model already open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from landcover.batch.catalog import write_catalog
from landcover.batch.lock import run_lock
from landcover.batch.records import (
    RunFolder,
    claim_run,
    fingerprint,
    is_done,
    read_records,
    remove_stale_temps,
)
from landcover.batch.scene import SceneResult, predict_file
from landcover.batch.stac_input import expand_stac, write_sources
from landcover.batch.tasks import ModelSpec, Outcome, recording, scene_from_record
from landcover.inference.areas import write_areas_csv
from landcover.inference.options import PredictOptions
from landcover.inference.predict import OUTPUT_PATTERNS, RUN_CSV, expand_inputs, output_stems
from landcover.inference.predictor import Predictor
from landcover.io.progress import progress_bar
from landcover.io.remote import input_path

log = logging.getLogger(__name__)

#: Scenes mapped at once in this process: one's model run overlaps the other's reading,
#: resampling and writing, single-threaded work that leaves cores idle (a folder of 2448²
#: tiles: 0.51 -> 0.42 s a tile, ``benchmarks/predict_throughput.py``); the files are the same
#: as one at a time, peak memory up to twice one scene's. Across processes and machines: Dask.
IN_FLIGHT = 2


@dataclass
class RunResult:
    """What a run produced: every done scene (this time and before), this run's failures, the
    run's ``areas.csv`` and its large-area outputs (VRT mosaics, STAC collection)."""

    scenes: list[SceneResult] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)
    areas_csv: Path | None = None
    catalog: list[Path] = field(default_factory=list)


def predict_paths(
    predictor: Predictor,
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    options: PredictOptions | None = None,
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> RunResult:
    """Map every image among ``inputs`` (files or folders) into ``out_dir`` with ``predictor``,
    exactly as ``landcover predict`` does (:func:`predict_many`, in this process): the same
    COGs, records (a rerun resumes), ``areas.csv``, VRT mosaics and STAC collection.

    A file that fails is logged and listed in :attr:`RunResult.failures`; the others are still
    processed.
    """
    return predict_many(
        inputs, out_dir, options, predictor=predictor, overwrite=overwrite, progress=progress
    )


def predict_many(
    inputs: Sequence[str | Path],
    out: str | Path,
    options: PredictOptions | None = None,
    *,
    model: ModelSpec | None = None,
    predictor: Predictor | None = None,
    executor: Any = None,
    overwrite: bool = False,
    progress: bool = True,
    split_pixels: int | None = None,
    asset: str | None = None,
) -> RunResult:
    """Map every image among ``inputs`` into ``out``, skipping scenes already done there.

    Args:
        inputs: image files or folders, URLs of rasters (:mod:`landcover.io.remote`), STAC
            Items, ItemCollections or catalogs (:mod:`landcover.batch.stac_input`).
        out: the run folder (resumed when it holds a run with the same model and options).
        options: how to map the scenes (default: :class:`PredictOptions`'s defaults).
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

    Returns:
        Every done scene of the run (this time and before) and this run's failures.
    """
    options = options or PredictOptions()
    inputs, sources = expand_stac(inputs, asset)
    files = expand_inputs(inputs)  # a bad input is refused before the model is opened
    spec = model or ModelSpec()
    predictor = predictor if predictor is not None else spec.load()
    with run_lock(out):  # one run per folder at a time
        folder, todo, stems = _claim(files, out, options, predictor, overwrite)
        write_sources(
            folder.records, {output_stems(files)[input_path(s.image)]: s for s in sources}
        )
        results: list[Outcome] = []
        if executor is None:
            one, cancel = len(todo) == 1, threading.Event()
            pool = ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="landcover-scene")
            map_one = partial(predict_file, predictor, out_dir=folder.path, options=options)
            try:
                futures = {
                    s: pool.submit(map_one, p, stem=s, progress=progress and one, cancel=cancel)
                    for p, s in todo
                }
                for path, stem in progress_bar(
                    todo, "scenes", "scene", disable=not progress or one
                ):
                    with recording(folder.path, stem, path) as rec:
                        rec.scene = futures[stem].result()
                    results.append(rec.result)
            except BaseException:  # interrupted: the scene in flight stops before its next block
                cancel.set()
                raise
            finally:
                pool.shutdown(cancel_futures=True)
        else:
            # Lazy: Dask (the [dask] extra) loads only for --cluster/--scheduler.
            from landcover.batch.dask_exec import run_on_dask

            tasks = [(str(p), str(folder.path), stem) for p, stem in todo]
            split = {} if split_pixels is None else {"split_pixels": split_pixels}
            results = list(
                run_on_dask(executor, spec, tasks, options, progress, predictor, **split)
            )
        failures = [(Path(r["input"]), r["reason"]) for state, r in results if state == "failed"]
        remove_stale_temps(folder.path)
        result = _collect(folder, stems, failures)
        result.catalog = write_catalog(folder, [s.stem for s in result.scenes])
    return result


def _claim(
    files: list[Path],
    out: str | Path,
    options: PredictOptions,
    predictor: Predictor,
    overwrite: bool,
) -> tuple[RunFolder, list[tuple[Path, str]], set[str]]:
    """Claim (or resume) the run folder; the scenes still to do (input, output name), and the
    output names of all the inputs."""
    stems = output_stems(files)
    fp = fingerprint(predictor.path, {**options.fingerprint(), "precision": predictor.precision})
    inputs_by_stem = {stems[f]: str(f) for f in files}
    folder = claim_run(out, fp, inputs_by_stem, OUTPUT_PATTERNS, overwrite)
    remove_stale_temps(folder.path)
    todo = [(f, stems[f]) for f in files if not is_done(folder, stems[f])]
    if len(todo) < len(files):
        log.info("resuming: %d of %d scenes already done", len(files) - len(todo), len(files))
    return folder, todo, set(inputs_by_stem)


def _collect(folder: RunFolder, stems: set[str], failures: list[tuple[Path, str]]) -> RunResult:
    """The run's result from the done records; ``areas.csv`` rebuilt from all of them."""
    done = {s: r for s, r in read_records(folder, "done").items() if s in stems}
    scenes = [scene_from_record(r, folder.path) for r in done.values()]
    result = RunResult(scenes=scenes, failures=failures)
    if scenes:
        tables = {s: r["areas"] for s, r in done.items()}
        result.areas_csv = write_areas_csv(folder.path / RUN_CSV, tables)
    return result
