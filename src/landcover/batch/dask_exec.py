"""Run scene tasks on Dask distributed (the ``[dask]`` extra; imported only when asked for).

The model is opened once per worker by a :class:`PredictorPlugin` (a ``WorkerPlugin``: the
scheduler applies it again to a worker that restarts). Threads: on a ``local:N`` cluster each
worker gets ``cores / N`` threads and maps one scene at a time with all of them (a worker
resource); on a cluster of your own each worker maps as many scenes at once as it has threads,
one ONNX Runtime thread each, so no worker uses more cores than Dask gave it.
Tasks carry paths and options; each writes its scene's outputs and record on the worker, so a
scene finished there is kept even if this process dies. A worker that dies mid-task has its
task rescheduled by Dask on another one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from landcover.batch.runner import ModelSpec, scene_task
from landcover.errors import InputError, require_extra

require_extra("distributed", "dask", "--cluster and --scheduler")
from distributed import WorkerPlugin  # noqa: E402  (after the install hint)

PLUGIN_NAME = "landcover-predictor"
TASK_RETRIES = 2
RESOURCE = "landcover-scene"


class PredictorPlugin(WorkerPlugin):  # type: ignore[misc]
    """Opens the model on each worker at start-up (and again when a worker restarts)."""

    name = PLUGIN_NAME

    def __init__(self, spec: ModelSpec, worker_threads: bool) -> None:
        self.spec = spec
        self.worker_threads = worker_threads
        self.predictor: Any = None

    def setup(self, worker: Any) -> None:
        """Open the model with all the worker's threads (local cluster) or one."""
        import dataclasses

        threads = getattr(getattr(worker, "state", None), "nthreads", None) or 1
        threads = threads if self.worker_threads else 1
        self.predictor = dataclasses.replace(self.spec, threads=threads).load()

    def teardown(self, worker: Any) -> None:
        """Drop the session."""
        self.predictor = None


def worker_task(
    path: str, out: str, stem: str, options: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """One scene on a worker, with the model its plugin opened."""
    from distributed import get_worker

    plugin: Any = get_worker().plugins[PLUGIN_NAME]
    return scene_task(plugin.predictor, path, out, stem, options)


def connect(executor: Any) -> tuple[Any, list[Any]]:
    """A ``distributed.Client`` for ``executor`` and what to close after the run.

    ``"local:N"``: a ``LocalCluster`` of N worker processes sharing this machine's cores;
    a ``.json`` path: a scheduler file; any other string: a scheduler address; a ``Client``:
    itself (left open).
    """
    from distributed import Client, LocalCluster

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
    options: dict[str, Any],
    progress: bool,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Submit every scene task and yield ``(state, record)`` as they finish."""
    from distributed import as_completed

    from landcover.inference.predict import _bar

    client, to_close = connect(executor)
    local = bool(to_close)  # a LocalCluster made here: one scene per worker at a time
    try:
        client.register_plugin(PredictorPlugin(spec, worker_threads=local), name=PLUGIN_NAME)
        futures = [
            client.submit(
                worker_task,
                path,
                out,
                stem,
                options,
                key=f"landcover-{stem}-{id(tasks)}",
                retries=TASK_RETRIES,
                pure=False,
                resources={RESOURCE: 1} if local else None,
            )
            for path, out, stem in tasks
        ]
        bar = _bar(len(futures), "scenes", progress)
        for future in as_completed(futures):
            yield _outcome(future)
            bar.update(1)
        bar.close()
    finally:
        for thing in to_close:
            thing.close()


def _outcome(future: Any) -> tuple[str, dict[str, Any]]:
    """A finished task's result; a task that kept failing (e.g. killed workers) as failed."""
    try:
        return future.result()  # type: ignore[no-any-return]
    except Exception as e:  # noqa: BLE001 - any worker-side failure is this scene's failure
        stem = str(future.key).removeprefix("landcover-").rsplit("-", 1)[0]
        return "failed", {"stem": stem, "input": stem, "reason": f"{type(e).__name__}: {e}"}
