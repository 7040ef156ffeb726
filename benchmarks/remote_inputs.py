"""Scenes per second of ``predict`` from an HTTP server (COGs by range requests) against the same
COGs as local files, in-process and on a Dask ``local:2`` cluster, with full and reduced reads,
one run.

Scenes: the 5 full DeepGlobe tiles (2448 x 2448 px) written as georeferenced COGs (0.5 m UTM,
JPEG-compressed 512-px tiles, as NAIP's ``visual`` COGs are), each served ``--copies`` times
under another name (20 scenes by default), from a range-capable HTTP server on 127.0.0.1 in its
own process (``tests/remote_servers.py``). Two sets of the same pixels: COGs without overviews,
read at full resolution (the read before reduced reads), and COGs with AVERAGE overviews, read
through their x2 overview (the bundled model's 1.195 m is 2.4 input pixels: ``predict`` reads
the coarsest overview still finer than the model, :meth:`RasterReader.reduction`). The HTTP
rows are mapped from a STAC ItemCollection listing the scenes, as a STAC API search returns
them. Each row maps every scene into a fresh folder with the bundled model (the CPU's default
precision), COG outputs as in every run, after an untimed warm-up run of each kind. The last
columns are the bytes the server sent per scene and against the bytes the files hold.

Run: ``.venv/bin/python benchmarks/remote_inputs.py [--copies 4]``
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio import Affine

from landcover.batch.runner import predict_many
from landcover.inference.cpu import cpu_class

REPO = Path(__file__).resolve().parents[1]
FULLRES = REPO / ".." / "shared" / "data" / "deepglobe" / "fullres"
sys.path.insert(0, str(REPO))  # the test suite's HTTP server (tests/remote_servers.py)
from tests.remote_servers import RangeServer  # noqa: E402


def write_cogs(folder: Path, copies: int, overviews: bool) -> list[Path]:
    """Each full tile as a 0.5 m UTM COG (AVERAGE overviews, or none), ``copies`` times (hard
    links)."""
    cogs = []
    folder.mkdir(parents=True, exist_ok=True)
    for i, tile in enumerate(sorted(FULLRES.glob("*_sat.jpg"))):
        rgb = np.moveaxis(np.asarray(Image.open(tile).convert("RGB")), -1, 0)
        first = folder / f"c0_{tile.stem}.tif"
        profile = {
            "driver": "COG", "width": rgb.shape[2], "height": rgb.shape[1], "count": 3,
            "dtype": "uint8", "crs": "EPSG:32633", "compress": "JPEG", "quality": 90,
            "blocksize": 512, "transform": Affine(0.5, 0, 500000 + 2000 * i, 0, -0.5, 4000000),
            "overviews": "AUTO" if overviews else "NONE", "overview_resampling": "average",
        }  # fmt: skip
        with rasterio.open(first, "w", **profile) as dst:
            dst.write(rgb)
        cogs.append(first)
        for k in range(1, copies):
            cogs.append(folder / f"c{k}_{tile.stem}.tif")
            cogs[-1].hardlink_to(first)
    return sorted(cogs)


def item_collection(server: RangeServer, cogs: list[Path], path: Path) -> str:
    """A STAC ItemCollection of the served COGs (``visual`` assets); returns its URL."""
    square = {"type": "Polygon", "coordinates": [[[15, 36], [15.01, 36], [15, 36.01], [15, 36]]]}
    features = [
        {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": c.stem,
            "geometry": square,
            "bbox": [15, 36, 15.01, 36.01],
            "properties": {"datetime": "2024-06-01T10:00:00Z"},
            "links": [],
            "assets": {"visual": {"href": c.name, "roles": ["visual"]}},
        }  # fmt: skip
        for c in cogs
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return server.url(f"{path.parent.name}/{path.name}")


def timed(inputs: list[str], executor: str | None) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = predict_many(inputs, out, executor=executor, progress=False)
        wall = time.perf_counter() - start
    assert not result.failures, result.failures
    return wall


def rows(server: RangeServer, www: Path, cogs: list[Path], label: str) -> None:
    """The four rows of one set of COGs: local and HTTP, in-process and ``local:2``."""
    n, held = len(cogs), sum(c.stat().st_size for c in cogs)
    stac = item_collection(server, cogs, www / f"search_{www.name}.json")
    for executor in (None, "local:2"):
        name = executor or "in-process"
        base = timed([str(c) for c in cogs], executor)
        print(f"| {label} | local files | {name} | {base:.1f} | {n / base:.2f} | 1.00 | - | - |")
        before = sum(server.sent().values())
        wall = timed([stac], executor)
        sent = sum(server.sent().values()) - before
        print(
            f"| {label} | HTTP (STAC) | {name} | {wall:.1f} | {n / wall:.2f} | {base / wall:.2f} "
            f"| {sent / n / 1e6:.2f} | {sent / held:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of each full tile")
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        table(Path(tmp), args.copies)


def table(www: Path, copies: int) -> None:
    """Write both sets of COGs under ``www``, serve them, print the table."""
    sets = {
        "full reads (no overviews)": write_cogs(www / "full", copies, overviews=False),
        "reduced reads (x2 overview)": write_cogs(www / "ovr", copies, overviews=True),
    }
    for label, cogs in sets.items():
        mb = sum(c.stat().st_size for c in cogs) / len(cogs) / 1e6
        print(f"{label}: {len(cogs)} COGs of 2448 x 2448 px at 0.5 m, {mb:.2f} MB each")
    print(f"CPU class {cpu_class()}, load average {os.getloadavg()[0]:.1f} at the start\n")
    print("| reads | inputs | executor | wall s | scenes/s | vs local files | MB sent per scene "
          "| sent / held |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|")
    with RangeServer(www) as server:
        for cogs in sets.values():  # warm-up, untimed: imports, page cache, both executors
            timed([str(cogs[0])], None)
            timed([str(cogs[0])], "local:2")
        for label, cogs in sets.items():
            rows(server, cogs[0].parent, cogs, label)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
