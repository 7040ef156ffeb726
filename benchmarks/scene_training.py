"""Windowed training on a 20 000 x 20 000 scene: samples per second and peak memory.

Generates (once, in ``--work``) a tiled, DEFLATE-compressed 3-band GeoTIFF of ``--size``
pixels at 0.5 m in UTM 31N (a repeating 1024-px gradient pattern, written block by block, with
overviews, as a COG is laid out) and ``--polygons`` random labelled squares (GeoPackage, field
``class``). Each row then runs in a fresh process and reports its own peak RSS (``VmHWM``):

- ``imports``: Python with landcover, torch and rasterio imported (the baseline);
- ``windows``: ``--samples`` random 256-px training windows at 1 m read through
  :class:`~landcover.training.scene_dataset.SceneWindows` (labels rasterised per window);
- ``windows-4326``: the same from the same scene in EPSG:4326, read in UTM 31N (each window
  warped onto its grid through a ``WarpedVRT``);
- ``train``: ``landcover train --scenes`` for one epoch of ``--samples`` windows with a small
  seed U-Net (block split, validation windows, checkpoints: the whole run).

    .venv/bin/python benchmarks/scene_training.py --work runs/scene_bench
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:32631"
X0, Y0 = 500000.0, 4010000.0


def make_scene(work: Path, size: int, polygons: int) -> Path:
    """The scene, its polygons and scene lists (reused when present); returns the UTM list.

    A second list, ``scenes_<size>_4326.yaml``, holds the same scene in EPSG:4326 (the same
    pixels on a lon/lat grid over the same area) with the same UTM polygons: it is read in
    UTM 31N, each window warped onto its grid.
    """
    import pyogrio.raw
    import shapely
    from rasterio.transform import from_bounds, from_origin
    from rasterio.warp import transform as transform_xy

    listed = work / f"scenes_{size}.yaml"
    if listed.is_file():
        return listed
    tif, gpkg = work / f"scene_{size}.tif", work / f"labels_{size}.gpkg"
    side = size * 0.5
    write_pattern(tif, size, CRS, from_origin(X0, Y0, 0.5, 0.5))
    lon, lat = transform_xy(CRS, "EPSG:4326", [X0, X0 + side], [Y0 - side, Y0])
    geographic = from_bounds(lon[0], lat[0], lon[1], lat[1], size, size)
    write_pattern(work / f"scene_{size}_4326.tif", size, "EPSG:4326", geographic)
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(0, side - 200, polygons), rng.uniform(0, side - 200, polygons)
    geoms = shapely.box(X0 + xs, Y0 - ys - rng.uniform(20, 200, polygons), X0 + xs + 100, Y0 - ys)
    names = np.array(["forest", "water"], dtype=object)[rng.integers(0, 2, polygons)]
    pyogrio.raw.write(gpkg, shapely.to_wkb(geoms), [names], ["class"],
                      geometry_type="Polygon", crs=CRS, driver="GPKG")  # fmt: skip
    (work / "three.yaml").write_text(
        "name: three\nmask_format: index\nclasses: [forest, water, nodata]\nignore: nodata\n"
    )
    (work / f"scenes_{size}_4326.yaml").write_text(
        f"field: class\nscenes:\n  - {{image: scene_{size}_4326.tif, labels: {gpkg.name}}}\n"
    )
    listed.write_text(f"field: class\nscenes:\n  - {{image: {tif.name}, labels: {gpkg.name}}}\n")
    return listed


def write_pattern(tif: Path, size: int, crs: str, transform: Any) -> None:
    """A tiled, compressed 3-band GeoTIFF of a repeating gradient, with overviews."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.windows import Window

    rows, cols = np.mgrid[0:1024, 0:1024]
    tile = np.stack([(rows // 4 + cols // 8 + 40 * b) % 256 for b in range(3)]).astype(np.uint8)
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8",
        "crs": crs, "transform": transform, "tiled": True,
        "blockxsize": 512, "blockysize": 512, "compress": "deflate", "BIGTIFF": "YES",
    }  # fmt: skip
    with rasterio.open(tif, "w", **profile) as dst:
        for r in range(0, size, 1024):
            for c in range(0, size, 1024):
                h, w = min(1024, size - r), min(1024, size - c)
                dst.write(tile[:, :h, :w], window=Window(col_off=c, row_off=r, width=w, height=h))
        dst.build_overviews([4, 16, 64], Resampling.average)


def peak_rss_kb() -> int:
    """This process's peak RSS in kB: ``VmHWM`` (``ru_maxrss`` survives exec and would carry
    the parent's peak into the child)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def stage(name: str, listed: Path, samples: int) -> dict:
    """Run one row in this process; returns its figures."""
    import torch  # noqa: F401  (the baseline holds what every row imports)

    from landcover.data.scene_split import split_blocks
    from landcover.data.scene_windows import open_scenes
    from landcover.schema import get_schema
    from landcover.training.scene_dataset import SceneWindows, labelled_points

    schema = get_schema(listed.parent / "three.yaml")
    t0 = time.perf_counter()
    if name.startswith("windows"):
        if name == "windows-4326":
            listed = listed.with_name(f"{listed.stem}_4326.yaml")
        readers = open_scenes(listed, schema, None)
        blocks = split_blocks(readers, 1000.0, val=0.2, test=0.0)
        cells = labelled_points(readers, blocks, "train")
        data = SceneWindows([r.scene for r in readers], schema, blocks, "train", 256, 1.0,
                            cells=cells, length=samples)  # fmt: skip
        t0 = time.perf_counter()
        for i in range(samples):
            data[i]
    elif name == "train":
        from landcover.training.config import load_config
        from landcover.training.run import train

        options = {
            "scenes": str(listed), "schema": str(listed.parent / "three.yaml"),
            "model": "seed-unet", "model_kwargs": "{width: 8}", "crop_size": 256,
            "batch_size": 8, "samples_per_epoch": samples, "val_windows": 16, "epochs": 1,
            "block_size": 1000, "gsd": 1.0, "threads": 2, "precision": "32",
            "checkpoint_minutes": None, "scheduler": "none",
        }  # fmt: skip
        train(load_config(None, options), listed.parent / "run", overwrite=True)
    seconds = time.perf_counter() - t0
    rss_gb = peak_rss_kb() / 1024**2
    return {"stage": name, "seconds": seconds, "rss_gb": rss_gb}


def main() -> None:
    """Make the scene, run each row in its own process, print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", type=Path, default=ROOT / "runs" / "scene_bench")
    p.add_argument("--size", type=int, default=20000)
    p.add_argument("--polygons", type=int, default=3000)
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--stage", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.stage:
        print(json.dumps(stage(a.stage, a.work / f"scenes_{a.size}.yaml", a.samples)))
        return
    a.work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    make_scene(a.work, a.size, a.polygons)
    print(f"scene {a.size}x{a.size} (3 bands, 0.5 m), {a.polygons} polygons: "
          f"made in {time.perf_counter() - t0:.0f} s (or reused)\n")  # fmt: skip
    print("| row | samples | seconds | samples/s | peak RSS (GB) |\n|---|---|---|---|---|")
    for name in ("imports", "windows", "windows-4326", "train"):
        cmd = [sys.executable, __file__, "--work", str(a.work), "--size", str(a.size),
               "--samples", str(a.samples), "--stage", name]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        n = 0 if name == "imports" else a.samples
        rate = f"{n / row['seconds']:.1f}" if n else "-"
        print(f"| {name} | {n or '-'} | {row['seconds']:.1f} | {rate} | {row['rss_gb']:.2f} |")


if __name__ == "__main__":
    main()
