"""Run scene tasks on Dask distributed (the ``[dask]`` extra; imported only when asked for).

The model is opened once per worker by a :class:`PredictorPlugin` (a ``WorkerPlugin``: the
scheduler applies it again to a worker that restarts). Threads: on a ``local:N`` cluster each
worker gets ``cores / N`` threads and maps one scene at a time with all of them (a worker
resource); on a cluster of your own each worker maps as many scenes at once as it has threads,
one ONNX Runtime thread each, so no worker uses more cores than Dask gave it.
Tasks carry paths and a :class:`~landcover.inference.options.PredictOptions`; each writes its
scene's outputs and record on the worker (:func:`~landcover.batch.tasks.recording`), so a
scene finished there is kept even if this process dies. A worker that dies mid-task has its
task rescheduled by Dask on another one.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from landcover.batch.records import RECORDS
from landcover.batch.scene import predict_file
from landcover.batch.scene_parts import assemble_parts, predict_part, scene_plan
from landcover.batch.tasks import ModelSpec, Outcome, recording
from landcover.errors import InputError, require_extra
from landcover.inference.gsd import Gsd
from landcover.inference.options import PredictOptions
from landcover.inference.predictor import Predictor
from landcover.io.progress import progress_bar
from landcover.io.raster import open_raster

require_extra("distributed", "dask", "predict --cluster/--scheduler")
from distributed import (  # noqa: E402  (after the install hint)
    Client,
    LocalCluster,
    WorkerPlugin,
    as_completed,
    get_worker,
)

PLUGIN_NAME = "landcover-predictor"
TASK_RETRIES = 2
RESOURCE = "landcover-scene"
SPLIT_PIXELS = 100_000_000  # a scene above this (10000 x 10000 px) is mapped in parts
PART_PIXELS = 25_000_000  # about this many pixels per part


class PredictorPlugin(WorkerPlugin):
    """Opens the model on each worker at start-up (and again when a worker restarts)."""

    name = PLUGIN_NAME

    def __init__(self, spec: ModelSpec, worker_threads: bool) -> None:
        self.spec = spec
        self.worker_threads = worker_threads
        self.predictor: Predictor | None = None

    def setup(self, worker: Any) -> None:
        """Open the model with all the worker's threads (local cluster) or one."""
        threads = getattr(getattr(worker, "state", None), "nthreads", None) or 1
        threads = threads if self.worker_threads else 1
        self.predictor = dataclasses.replace(self.spec, threads=threads).load()

    def teardown(self, worker: Any) -> None:
        """Drop the session."""
        self.predictor = None


def _predictor() -> Predictor:
    """The model this worker's plugin opened."""
    plugin = get_worker().plugins[PLUGIN_NAME]
    assert isinstance(plugin, PredictorPlugin) and plugin.predictor is not None
    return plugin.predictor


def worker_task(path: str, out: str, stem: str, options: PredictOptions) -> Outcome:
    """One scene on a worker, with the model its plugin opened."""
    with recording(out, stem, path) as rec:
        rec.scene = predict_file(_predictor(), path, out, options, stem=stem, progress=False)
    return rec.result


def worker_part(
    path: str,
    part_dir: str,
    index: int,
    blocks: range,
    gsd: tuple[Any, ...],
    options: PredictOptions,
) -> int:
    """One part of a split scene, on a worker (:mod:`landcover.batch.scene_parts`)."""
    return predict_part(_predictor(), path, part_dir, index, blocks, Gsd(*gsd), options)


def worker_assemble(
    path: str,
    out: str,
    stem: str,
    parts: list[tuple[int, range]],
    gsd: tuple[Any, ...],
    options: PredictOptions,
    *finished: int,
) -> Outcome:
    """Assemble a split scene once its parts (``finished``) are done, and record it."""
    part_dir = _part_dir(out, stem)
    with recording(out, stem, path) as rec:
        args = (_predictor(), path, out, stem, part_dir, parts, Gsd(*gsd), options)
        rec.scene = assemble_parts(*args)
    return rec.result


def _part_dir(out: str, stem: str) -> str:
    return str(Path(out) / RECORDS / "parts" / stem)


def connect(executor: Any) -> tuple[Any, list[Any]]:
    """A ``distributed.Client`` for ``executor`` and what to close after the run.

    ``"local:N"``: a ``LocalCluster`` of N worker processes sharing this machine's cores;
    a ``.json`` path: a scheduler file; any other string: a scheduler address; a ``Client``:
    itself (left open).
    """
    if not isinstance(executor, str):
        return executor, []
    if executor.startswith("local:"):
        n = _worker_count(executor)
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=max(1, (os.cpu_count() or 1) // n),
            processes=True,
            dashboard_address=None,
            resources={RESOURCE: 1},
        )
        client = Client(cluster)
        return client, [client, cluster]
    if executor.endswith(".json"):
        client = Client(scheduler_file=executor)
    else:
        client = Client(executor)
    return client, [client]


def _worker_count(executor: str) -> int:
    text = executor.removeprefix("local:")
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"--cluster {executor!r}: give local:N with N workers, e.g. local:2")
    return int(text)


def run_on_dask(
    executor: Any,
    spec: ModelSpec,
    tasks: list[tuple[str, str, str]],
    options: PredictOptions,
    progress: bool,
    predictor: Predictor | None = None,
    *,
    split_pixels: int = SPLIT_PIXELS,
) -> Iterator[Outcome]:
    """Submit every scene (a scene above ``split_pixels`` in parts, then its assembly, which
    waits for them) and yield ``(state, record)`` as scenes finish."""
    client, to_close = connect(executor)
    # A LocalCluster made here: one scene per worker at a time (its workers hold the resource;
    # a scheduler address's or file's workers do not, so their tasks must not ask for it).
    local = isinstance(executor, str) and executor.startswith("local:")
    submit = _submitter(client, local, id(tasks))
    try:
        client.register_plugin(PredictorPlugin(spec, worker_threads=local), name=PLUGIN_NAME)
        futures = []
        for path, out, stem in tasks:
            plan = _plan(predictor, path, options, split_pixels)
            if plan is None:
                futures.append(submit(worker_task, stem, path, out, stem, options))
                continue
            futures.append(_submit_parts(submit, path, out, stem, plan, options))
        for future in progress_bar(
            as_completed(futures), "scenes", "scene", total=len(futures), disable=not progress
        ):
            yield _outcome(future)
    finally:
        for thing in to_close:
            thing.close()


def _submitter(client: Any, local: bool, run_id: int) -> Callable[..., Any]:
    """``submit(fn, key, *args)``: a task with its key, retries and (locally) a resource."""

    def submit(fn: Any, key: str, *args: Any) -> Any:
        return client.submit(
            fn,
            *args,
            key=f"landcover-{key}-{run_id}",
            retries=TASK_RETRIES,
            pure=False,
            resources={RESOURCE: 1} if local else None,
        )

    return submit


Plan = tuple[list[tuple[int, range]], tuple[Any, ...]]  # parts, and the Gsd's fields


def _plan(
    predictor: Predictor | None, path: str, options: PredictOptions, split_pixels: int
) -> Plan | None:
    """Parts (index, block range) and GSD of a scene to split; ``None`` to map it whole."""
    try:
        with open_raster(path) as src:
            pixels = src.width * src.height
        if predictor is None or pixels <= split_pixels:
            return None
        n_blocks, gsd = scene_plan(predictor, path, options)
    except Exception:  # noqa: BLE001 - an unreadable scene fails in its task, with its reason
        return None
    n_parts = min(n_blocks, max(2, math.ceil(pixels / PART_PIXELS)))
    bounds = [round(i * n_blocks / n_parts) for i in range(n_parts + 1)]
    parts = [(i, range(bounds[i], bounds[i + 1])) for i in range(n_parts)]
    return (parts, (gsd.metres, gsd.source, gsd.interval)) if n_parts > 1 else None


def _submit_parts(
    submit: Callable[..., Any],
    path: str,
    out: str,
    stem: str,
    plan: Plan,
    options: PredictOptions,
) -> Any:
    """The part tasks of a split scene, and its assembly task (returned)."""
    parts, gsd = plan
    part_dir = _part_dir(out, stem)
    shutil.rmtree(part_dir, ignore_errors=True)  # parts of an interrupted run are redone
    done = [
        submit(worker_part, f"{stem}-part{i}", path, part_dir, i, blocks, gsd, options)
        for i, blocks in parts
    ]
    return submit(worker_assemble, stem, path, out, stem, parts, gsd, options, *done)


def _outcome(future: Any) -> Outcome:
    """A finished task's result; a task that kept failing (e.g. killed workers) as failed."""
    try:
        return future.result()  # type: ignore[no-any-return]
    except Exception as e:  # noqa: BLE001 - any worker-side failure is this scene's failure
        stem = str(future.key).removeprefix("landcover-").rsplit("-", 1)[0]  # see _submitter
        return "failed", {"stem": stem, "input": stem, "reason": f"{type(e).__name__}: {e}"}
