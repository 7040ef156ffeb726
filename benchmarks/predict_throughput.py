"""Prediction speed and memory: MP/s per backend and precision, end-to-end time, peak RSS.

Prints one table. Models have random weights (speed does not depend on training). Rows:
- throughput of the sliding-window engine (``predict_array``, 25 % overlap, native resolution,
  no resampling) on a crop of a full-resolution DeepGlobe tile, for each model and backend:
  torch fp32, torch bf16 autocast (only where the CPU has AMX/AVX512-BF16), ONNX Runtime fp32;
- end to end ``landcover predict tile.jpg`` (a fresh process, the tile at 0.5 m from tiles.csv),
  wall time and peak RSS: the bundled Deepness file (int8, fixed 1024-px input: what ``predict``
  ran before), and the bundled model in both precisions side by side (int8 and fp32 runtime
  copies, any input size; the default is int8 only on CPUs with VNNI/AMX), against the seed
  U-Net's forward pass alone on the full tile in torch fp32 (extrapolated from the crop);
- a folder of 512x512 chips (DeepGlobe quadrants copied without tiles.csv), seconds per chip,
  for the same models, with the GSD given and estimated;
- a synthetic N x N GeoTIFF at 0.5 m, wall time and peak RSS of ``landcover predict``;
- ``landcover vectorize`` of its class raster (N x N), without and with a 0.5 ha minimum
  mapping unit: wall time, peak RSS and polygons written (needs the ``[gis]`` extra);
- a folder of full 2448x2448 tiles (``--gsd 0.5``, bundled model, default precision): seconds
  per tile, the marginal cost of one more tile, a single-tile process, against the model's own
  time for one tile (one 1024x1024 window, ``session.run`` alone); with ``--baseline-src DIR``
  the same rows for another source tree (e.g. ``git archive`` of main) in the same run; then
  the floor of any fresh process on this machine: a bare interpreter importing numpy,
  rasterio, ONNX Runtime and Pillow, and the model's first run over a warm one.

Light run: ``python benchmarks/predict_throughput.py --crop 512 --big 4000 --models unet-lite0``.
Only the folder rows: ``python benchmarks/predict_throughput.py --only folder``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FULLRES = REPO / ".." / "shared" / "data" / "deepglobe" / "fullres"
MODELS = ("seed-unet", "unet-resnet34", "unet-lite0")

# Peak RSS from VmHWM: ru_maxrss would include the benchmark's own memory inherited at fork.
RUN_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from landcover.cli import main
rc = main(sys.argv[1:])
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t0, "peak_rss_mb": int(hwm) / 1024,
                  "cpu": time.process_time()}))
"""


def make_model(name: str, tile: int, workdir: Path) -> tuple[object, object, Path]:
    """A random-weight model, its meta and an exported ONNX file."""
    import torch

    from landcover.export.onnx_export import export_onnx
    from landcover.models.meta import ModelMeta
    from landcover.models.registry import create_model
    from landcover.schema import DEEPGLOBE

    torch.manual_seed(0)
    model = create_model(name, DEEPGLOBE.num_classes).eval()
    meta = ModelMeta(name, DEEPGLOBE, mean=(0.5,) * 3, std=(0.5,) * 3, gsd_m=1.2, tile_size=tile)
    onnx_path = export_onnx(model, meta, workdir / f"{name}.onnx")
    return model, meta, onnx_path


def time_engine(predictor: object, image: np.ndarray, repeats: int) -> float:
    """Best wall time of ``predict_array`` over ``repeats`` runs (after one warm-up)."""
    from landcover.inference.engine import predict_array

    predict_array(predictor, image[:64, :64])
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        predict_array(predictor, image)
        best = min(best, time.perf_counter() - t)
    return best


def run_cli(args: list[str], src: Path | None = None) -> dict[str, float]:
    """Run ``landcover`` in a fresh process; wall time measured outside, peak RSS inside.

    ``src``: run the package found there (``PYTHONPATH``) instead of the installed one.
    """
    env = dict(os.environ, PYTHONPATH=str(src)) if src is not None else None
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CHILD, "-q", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    stats["wall"] = wall
    return stats


def write_big_geotiff(path: Path, size: int, source: np.ndarray) -> None:
    """A ``size`` x ``size`` 3-band GeoTIFF at 0.5 m (UTM), written block by block."""
    import rasterio
    from rasterio import Affine
    from rasterio.windows import Window

    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": Affine(0.5, 0, 500000, 0, -0.5, 4000000),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "BIGTIFF": "IF_SAFER",
    }
    block = np.moveaxis(source[:1024, :1024], -1, 0)
    with rasterio.open(path, "w", **profile) as dst:
        for r in range(0, size, 1024):
            for c in range(0, size, 1024):
                h, w = min(1024, size - r), min(1024, size - c)
                dst.write(block[:, :h, :w], window=Window(col_off=c, row_off=r, width=w, height=h))


def end_to_end(opts: argparse.Namespace, work: Path, rows: list) -> tuple[Path, dict]:
    """``landcover predict`` in fresh processes: the tile in each precision, then chips.

    Returns the ONNX file used for the big-GeoTIFF row and the first run's stats.
    """
    from landcover.bundled import DEFAULT_MODEL, WEIGHTS_DIR

    deepness = opts.e2e_model or WEIGHTS_DIR / f"{DEFAULT_MODEL}.onnx"
    if not deepness.is_file():
        _, _, deepness = make_model("unet-lite0", opts.e2e_window, work)
    runs = [(f"{deepness.name}, fixed {opts.e2e_window}-px input", ["--model", str(deepness)])]
    if opts.e2e_model is None and deepness.parent == WEIGHTS_DIR:
        runs += [(f"bundled {p}", ["--precision", p]) for p in ("int8", "fp32")]
    first: dict = {}
    for i, (label, model_args) in enumerate(runs):
        args = ["predict", *model_args, str(opts.tile), "--out", str(work / f"e{i}")]
        run_cli(args)  # warm the page cache: the timed runs are not a cold start of the disk
        s = min((run_cli([*args, "--overwrite"]) for _ in range(2)), key=lambda r: r["wall"])
        first = first or s
        what = f"landcover predict {opts.tile.name} ({label})"
        rows.append((what, f"{s['wall']:.2f} s wall", f"peak RSS {s['peak_rss_mb']:.0f} MB"))
    chips_rows(opts, work, runs, rows)
    return deepness, first


def chips_rows(opts: argparse.Namespace, work: Path, runs: list, rows: list) -> None:
    """A folder of ``--chips`` 512x512 chips (unseen quadrants, no tiles.csv), per chip."""
    import shutil

    names = sorted((FULLRES.parent / "quadrants512").glob("*_sat.jpg"))[: opts.chips]
    if not names:
        return
    folder = work / "chips"
    folder.mkdir()
    for p in names:
        shutil.copy(p, folder / p.name)
    for i, (label, model_args) in enumerate(runs):
        for gsd_args, how in ((["--gsd", "1.195"], "GSD given"), ([], "GSD estimated")):
            if not gsd_args and i == 0:
                continue
            args = ["predict", *model_args, *gsd_args, str(folder), "--out", str(work / "c")]
            s = run_cli([*args, "--overwrite"])
            per = s["wall"] / len(names)
            what = f"{len(names)} chips 512x512 ({label}, {how})"
            rows.append((what, f"{per:.3f} s/chip", f"peak RSS {s['peak_rss_mb']:.0f} MB"))


def vectorize_rows(classes: Path, size: int, rows: list) -> None:
    """``landcover vectorize`` of the big class raster in fresh processes, MMU 0 and 0.5 ha."""
    import importlib.util

    if importlib.util.find_spec("pyogrio") is None:
        return
    import pyogrio

    for mmu in ("0", "0.5"):
        out = classes.with_name(f"polygons_mmu{mmu}.gpkg")
        s = run_cli(["vectorize", str(classes), "--out", str(out), "--mmu", mmu])
        features = pyogrio.read_info(out, layer=out.stem)["features"]
        rows.append(
            (
                f"landcover vectorize {size}x{size} classes (--mmu {mmu})",
                f"{s['wall']:.1f} s wall",
                f"peak RSS {s['peak_rss_mb']:.0f} MB ({features} polygons)",
            )
        )


def model_window_seconds(precision: str | None, repeats: int) -> tuple[float, float, str]:
    """Best wall and CPU time of the bundled model on one 1024x1024 window (``predict_batch``
    alone), and the model file's name."""
    from landcover.inference.predictor import load_predictor

    predictor = load_predictor(None, precision=precision)
    x = np.random.default_rng(0).standard_normal((1, 3, 1024, 1024)).astype(np.float32)
    predictor.predict_batch(x)  # warm-up
    wall = cpu = float("inf")
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        predictor.predict_batch(x)
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu, Path(str(predictor.path)).name


FLOOR_IMPORTS = "import numpy, rasterio, onnxruntime, PIL.Image"
FIRST_RUN_CHILD = """
import json, sys, time
import numpy as np
from landcover.inference.predictor import load_predictor
p = load_predictor(None, precision=sys.argv[1] if len(sys.argv) > 1 else None)
x = np.random.default_rng(0).standard_normal((1, 3, 1024, 1024)).astype(np.float32)
runs = []
for _ in range(3):
    t = time.perf_counter()
    p.predict_batch(x)
    runs.append(time.perf_counter() - t)
print(json.dumps({"first": runs[0], "warm": min(runs[1:])}))
"""


def floor_rows(opts: argparse.Namespace, rows: list) -> None:
    """What any fresh ``predict`` process pays on this machine before its own work: a bare
    interpreter importing the four libraries the map needs, and the model's first run (ONNX
    Runtime allocates its buffers then) over a warm one; best of ``--repeats``."""
    imports = first = float("inf")
    for _ in range(opts.repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", FLOOR_IMPORTS], check=True)
        imports = min(imports, time.perf_counter() - t)
        args = [opts.precision] if opts.precision else []
        out = subprocess.run(
            [sys.executable, "-c", FIRST_RUN_CHILD, *args], capture_output=True, text=True
        )
        runs = json.loads(out.stdout.strip().splitlines()[-1])
        first = min(first, runs["first"] - runs["warm"])
    rows += [
        ("floor: interpreter + numpy, rasterio, ORT, Pillow", f"{imports:.2f} s", ""),
        ("floor: the model's first run, over a warm one", f"+{first:.3f} s", ""),
        ("floor: both, above the model", f"model + {imports + first:.2f} s", ""),
    ]


def compile_trees(srcs: list[Path | None]) -> None:
    """Byte-compile the package trees timed, as ``pip install`` leaves them (this machine
    may set PYTHONDONTWRITEBYTECODE, and compiling on every start would count against them)."""
    import compileall

    import landcover

    for src in srcs:
        tree = Path(landcover.__file__).parent if src is None else src / "landcover"
        compileall.compile_dir(str(tree), quiet=1)


def folder_rows(opts: argparse.Namespace, work: Path, rows: list) -> None:
    """Full tiles in a folder, per tile and marginal, and one tile in a fresh process, against
    the model's own time per tile; for ``--baseline-src`` too, in the same run; then the
    floor of any fresh process (:func:`floor_rows`).

    The trees take turns, ``--repeats`` rounds, and each figure is its best round, so that
    other work on a shared machine slows both alike; the model is timed before and after.
    """
    import shutil

    tiles = sorted(FULLRES.glob("*_sat.jpg"))
    folder = work / "tiles"
    folder.mkdir()
    for i in range(opts.folder_tiles):
        src = tiles[i % len(tiles)]
        shutil.copy(src, folder / f"t{i:02d}_{src.name}")
    one = folder / sorted(p.name for p in folder.iterdir())[0]
    precision = ["--precision", opts.precision] if opts.precision else []
    trees = [("this tree", None)]
    if opts.baseline_src is not None:
        trees.insert(0, (f"baseline {opts.baseline_src.parent.name}", opts.baseline_src))
    base = ["predict", *precision, "--gsd", "0.5", "--overwrite", "--out"]
    compile_trees([src for _, src in trees])
    for _, src in trees:
        run_cli([*base, str(work / "warm"), str(one)], src)  # page cache, .pyc files
    model_s, model_cpu, model_name = model_window_seconds(opts.precision, opts.repeats + 3)
    best: dict[str, dict[str, dict[str, float]]] = {label: {} for label, _ in trees}
    for _ in range(opts.repeats):
        for label, src in trees:
            for what, inp in (("single", one), ("folder", folder)):
                s = run_cli([*base, str(work / what), str(inp)], src)
                if s["wall"] < best[label].get(what, {"wall": float("inf")})["wall"]:
                    best[label][what] = s
    again = model_window_seconds(opts.precision, opts.repeats + 3)
    model_s, model_cpu = min(model_s, again[0]), min(model_cpu, again[1])
    rows.append(
        (
            f"model alone: one 1024x1024 window ({model_name})",
            f"{model_s:.3f} s",
            f"CPU {model_cpu:.2f} s",
        )
    )
    n = opts.folder_tiles
    for label, _ in trees:
        single, many = best[label]["single"], best[label]["folder"]
        marginal = (many["wall"] - single["wall"]) / (n - 1)
        cpu = f"CPU {single['cpu']:.2f} s"
        rows += [
            (
                f"{label}: 1 tile, fresh process",
                f"{single['wall']:.2f} s",
                f"model + {single['wall'] - model_s:.2f} s, {cpu}",
            ),
            (
                f"{label}: folder of {n} tiles, per tile",
                f"{many['wall'] / n:.3f} s",
                f"{many['wall'] / n / model_s:.2f}x the model, CPU {many['cpu'] / n:.2f} s "
                f"({many['cpu'] / n / model_cpu:.2f}x the model's)",
            ),
            (
                f"{label}: folder, one more tile",
                f"{marginal:.3f} s",
                f"{marginal / model_s:.2f}x the model",
            ),
        ]
    floor_rows(opts, rows)


def main() -> None:
    """Parse options, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tile", type=Path, default=FULLRES / "10233_sat.jpg")
    parser.add_argument("--crop", type=int, default=2448, help="side of the throughput crop")
    parser.add_argument("--big", type=int, default=20000, help="side of the synthetic GeoTIFF")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--window", type=int, default=512, help="model tile size")
    parser.add_argument("--e2e-window", type=int, default=1024, help="tile of the e2e model")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--chips", type=int, default=24, help="512x512 chips in the folder run")
    parser.add_argument(
        "--e2e-model",
        type=Path,
        help="ONNX model for the end-to-end rows (default: the bundled model when installed, "
        "else a random-weight U-Net-lite0 exported at --e2e-window)",
    )
    parser.add_argument("--only", choices=["folder"], help="only these rows")
    parser.add_argument("--folder-tiles", type=int, default=10, help="tiles in the folder rows")
    parser.add_argument("--precision", help="bundled model precision in the folder rows")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also run the folder rows with the package in this src folder (PYTHONPATH)",
    )
    opts = parser.parse_args()
    if not opts.tile.is_file():
        sys.exit(f"{opts.tile}: missing; see ../shared/data/README.md")
    if opts.only == "folder":
        rows: list[tuple[str, str, str]] = []
        with tempfile.TemporaryDirectory() as tmp:
            folder_rows(opts, Path(tmp), rows)
        print_table(rows, f"{os.cpu_count()} CPU cores, folder rows only")
        return

    from landcover.inference.cpu import has_bf16 as cpu_has_bf16
    from landcover.inference.onnx_backend import OnnxPredictor
    from landcover.inference.torch_backend import TorchPredictor
    from landcover.io.images import read_rgb

    tile = read_rgb(opts.tile)
    crop = np.ascontiguousarray(tile[: opts.crop, : opts.crop])
    mp = crop.shape[0] * crop.shape[1] / 1e6
    rows: list[tuple[str, str, str]] = []
    seed_fp32 = None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in opts.models:
            model, meta, onnx_path = make_model(name, opts.window, work)
            runs = [("torch fp32", TorchPredictor(model, meta, "fp32"))]
            if cpu_has_bf16():
                runs.append(("torch bf16", TorchPredictor(model, meta, "bf16")))
            runs.append(("onnx fp32", OnnxPredictor(onnx_path)))
            for label, predictor in runs:
                sec = time_engine(predictor, crop, opts.repeats)
                if name == "seed-unet" and label == "torch fp32":
                    seed_fp32 = sec / mp
                rows.append((f"{name} {label}", f"{mp / sec:.2f} MP/s", f"{sec:.2f} s"))
        # End to end with the bundled model (or its architecture, exported at a large window).
        e2e_onnx, stats = end_to_end(opts, work, rows)
        full_mp = tile.shape[0] * tile.shape[1] / 1e6
        if seed_fp32 is not None:
            seed_full = seed_fp32 * full_mp
            rows.append(
                (
                    "seed U-Net torch fp32 forward, full tile (extrapolated)",
                    f"{seed_full:.1f} s",
                    f"{seed_full / stats['wall']:.0f}x slower than e2e",
                )
            )
        big = work / "big.tif"
        t = time.perf_counter()
        write_big_geotiff(big, opts.big, tile)
        write_s = time.perf_counter() - t
        stats = run_cli(
            ["predict", "--model", str(e2e_onnx), str(big), "--out", str(work / "big_out")]
        )
        rows.append(
            (
                f"landcover predict {opts.big}x{opts.big} GeoTIFF (0.5 m)",
                f"{stats['wall']:.1f} s wall",
                f"peak RSS {stats['peak_rss_mb']:.0f} MB (writing input {write_s:.1f} s)",
            )
        )
        vectorize_rows(work / "big_out" / "big_classes.tif", opts.big, rows)
        folder_rows(opts, work, rows)
    print_table(
        rows,
        f"crop {crop.shape[1]}x{crop.shape[0]} of {opts.tile.name}, window {opts.window}, "
        f"25 % overlap, {os.cpu_count()} CPU cores, bf16: {cpu_has_bf16()}",
    )


def print_table(rows: list[tuple[str, str, str]], title: str) -> None:
    """The title (with the CPU class), then one aligned line per row."""
    from landcover.inference.cpu import cpu_class, default_precision

    width = max(len(r[0]) for r in rows)
    print(f"{title}, CPU class {cpu_class()} (bundled model default: {default_precision()})")
    print(f"{'what':<{width}}  {'speed':>14}  detail")
    for what, speed, detail in rows:
        print(f"{what:<{width}}  {speed:>14}  {detail}")


if __name__ == "__main__":
    main()
