"""Scenes per second of ``predict``: in-process against Dask LocalClusters, same folder, one run.

Scenes: the 5 full DeepGlobe tiles (2448 x 2448 at 0.5 m, ``--gsd 0.5``), each linked
``--copies`` times under another name (20 scenes by default). Rows: this process (no Dask);
``local:1`` (1 worker x 2 threads, one scene at a time with both); ``local:2`` (2 workers x 1
thread). Each maps the same scenes into a fresh folder with the
bundled model (the CPU's default precision); each class raster becomes a COG, as in every run.
The cluster's start-up (measured alone, start and close) is given apart, and the Dask overhead
per scene is ``(cluster wall - start-up - in-process wall) / scenes``. On 2 cores the target is
no loss: ``local:2`` within 10 % of the in-process rate.

Run: ``.venv/bin/python benchmarks/scale_out.py [--copies 4]``
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from landcover.batch.runner import predict_many
from landcover.inference.cpu import cpu_class
from landcover.inference.options import PredictOptions

FULLRES = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "deepglobe" / "fullres"


def _startup(executor: str) -> float:
    """Seconds to start and close the cluster alone."""
    from landcover.batch.dask_exec import connect

    start = time.perf_counter()
    _, to_close = connect(executor)
    for thing in to_close:
        thing.close()
    return time.perf_counter() - start


def _run(images: list[Path], executor: str | None) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        options = PredictOptions(gsd_m=0.5)
        result = predict_many(images, out, options, executor=executor, progress=False)
        wall = time.perf_counter() - start
    assert not result.failures and len(result.scenes) == len(images)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="links to each full tile")
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    links = Path(tempfile.mkdtemp())
    for tile in sorted(FULLRES.glob("*_sat.jpg")):
        for k in range(args.copies):
            (links / f"c{k}_{tile.name}").symlink_to(tile.resolve())
    images = sorted(links.iterdir())
    n = len(images)
    print(f"{n} scenes of 2448 x 2448 px at 0.5 m, CPU class {cpu_class()}\n")
    print("| executor | wall s | scenes/s | vs in-process | start-up s | Dask overhead per scene |")
    print("|---|---:|---:|---:|---:|---:|")
    base = _run(images, None)
    print(f"| in-process | {base:.1f} | {n / base:.2f} | 1.00 | - | - |")
    for executor, label in (("local:1", "local:1 (1 worker x 2 threads)"),
                            ("local:2", "local:2 (2 workers x 1 thread)")):  # fmt: skip
        startup = _startup(executor)
        wall = _run(images, executor)
        steady = wall - startup
        print(
            f"| {label} | {wall:.1f} | {n / steady:.2f} | {base / steady:.2f} | {startup:.1f} | "
            f"{1000 * (steady - base) / n:+.0f} ms |"
        )


if __name__ == "__main__":
    main()
