"""Fine-tuning from polygon labels on one scene vs the bundled model, on held-out blocks.

The GIS workflow of the README's "Your own region", on real data: a DeepGlobe full tile
(``../shared/data/deepglobe/fullres/<tile>_sat.jpg``, 2448x2448 at 0.5 m) written as a
georeferenced GeoTIFF (a made-up UTM 33N transform at 0.5 m), and labels as *polygons* drawn
over part of it: its mask polygonised (:func:`rasterio.features.shapes`) inside ``--areas``
random squares of ``--area-m`` metres, the way an analyst's sparse labels look. Then:

1. ``split``: blocks of ``--block-m`` metres dealt to train/val/test (a GeoPackage);
2. ``train --scenes --init-checkpoint deepglobe-fpn-lite0`` for ``--minutes`` on the CPU
   (torch threads = ``--threads``), windows resampled to the bundled model's GSD (1.195 m);
3. both models predict the whole scene (at 0.5 m, resampled by the engine as ``predict`` does)
   and are scored against the tile's *full* mask inside the test blocks (never trained on).

Prints one Markdown table (mIoU and pixel accuracy per model on the test blocks).

    .venv/bin/python benchmarks/scene_finetune.py --minutes 8 --work runs/scene_finetune
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import rasterio
import shapely
from PIL import Image
from rasterio.features import rasterize, shapes
from rasterio.transform import from_origin

ROOT = Path(__file__).resolve().parents[1]
FULLRES = ROOT / ".." / "shared" / "data" / "deepglobe" / "fullres"
CRS = "EPSG:32633"
ORIGIN = (400000.0, 5000000.0)  # made up: the tile is not georeferenced
GSD = 0.5


def write_scene(tile: str, work: Path) -> tuple[Path, np.ndarray]:
    """The tile as a tiled GeoTIFF at 0.5 m in UTM 33N; returns its path and the mask labels."""
    from landcover.schema import DEEPGLOBE

    rgb = np.asarray(Image.open(FULLRES / f"{tile}_sat.jpg").convert("RGB"))
    labels = DEEPGLOBE.encode(np.asarray(Image.open(FULLRES / f"{tile}_mask.png").convert("RGB")))
    h, w = labels.labels.shape
    path = work / "scene.tif"
    profile = {
        "driver": "GTiff", "width": w, "height": h, "count": 3, "dtype": "uint8", "crs": CRS,
        "transform": from_origin(*ORIGIN, GSD, GSD), "tiled": True, "blockxsize": 512,
        "blockysize": 512, "compress": "deflate",
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(rgb.transpose(2, 0, 1))
    return path, labels.labels


def draw_polygons(labels: np.ndarray, work: Path, areas: int, area_m: float, seed: int) -> Path:
    """Polygons of the mask inside ``areas`` random squares: ``drawn.gpkg``, field ``class``."""
    import pyogrio.raw

    from landcover.schema import DEEPGLOBE

    rng = np.random.default_rng(seed)
    side = int(area_m / GSD)
    drawn = np.zeros(labels.shape, bool)
    for _ in range(areas):
        r, c = rng.integers(0, labels.shape[0] - side, size=2)
        drawn[r : r + side, c : c + side] = True
    keep = drawn & (labels != DEEPGLOBE.ignore_index)
    transform = from_origin(*ORIGIN, GSD, GSD)
    geoms, names = [], []
    for geom, value in shapes(labels, mask=keep, transform=transform):
        geoms.append(shapely.geometry.shape(geom))
        names.append(DEEPGLOBE.classes[int(value)])
    path = work / "drawn.gpkg"
    pyogrio.raw.write(
        path, shapely.to_wkb(np.array(geoms, dtype=object)), [np.array(names, dtype=object)],
        ["class"], geometry_type="Polygon", crs=CRS, driver="GPKG",
    )  # fmt: skip
    return path


def train_run(scenes: Path, split: Path, work: Path, minutes: float, threads: int) -> Path:
    """Fine-tune the bundled model on the scene's train blocks; returns ``best.ckpt``."""
    from landcover.training.config import load_config
    from landcover.training.run import train

    options = {
        "scenes": str(scenes), "split": str(split), "model": "fpn-lite0",
        "init_checkpoint": "deepglobe-fpn-lite0", "crop_size": 256, "batch_size": 4,
        "val_batch_size": 4, "samples_per_epoch": 64, "val_windows": 32, "epochs": 1000,
        "max_time": minutes, "lr": 2e-4, "optimizer": "adamw", "scheduler": "none",
        "loss": "ce+dice", "monitor": "val_miou", "patience": 0, "threads": threads,
        "precision": "32", "checkpoint_minutes": None, "seed": 0,
    }  # fmt: skip
    return train(load_config(None, options), work / "run", overwrite=True)


def score(model: str, image: np.ndarray, truth: np.ndarray, threads: int) -> tuple[float, float]:
    """mIoU and pixel accuracy of ``model``'s prediction of ``image`` where ``truth`` counts."""
    from landcover.evaluation.metrics import confusion_matrix, scores
    from landcover.inference.engine import predict_array
    from landcover.inference.predictor import load_predictor
    from landcover.schema import DEEPGLOBE

    predictor = load_predictor(model, threads=threads)
    pred = predict_array(predictor, image, gsd_m=GSD).argmax(0)
    cm = confusion_matrix(truth, pred, DEEPGLOBE.num_classes, DEEPGLOBE.ignore_index)
    s = scores(cm, DEEPGLOBE.ignore_index)
    return float(s.miou), float(s.pixel_accuracy)


def main() -> None:
    """Build the scene and labels, split, fine-tune, score both models; print the table."""
    from landcover.data.scene_split import read_blocks, split_scene_list
    from landcover.schema import DEEPGLOBE

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tile", default="10452")
    p.add_argument("--work", type=Path, default=ROOT / "runs" / "scene_finetune")
    p.add_argument("--minutes", type=float, default=8.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--areas", type=int, default=12)
    p.add_argument("--area-m", type=float, default=200.0)
    p.add_argument("--block-m", type=float, default=200.0)
    a = p.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    scene, labels = write_scene(a.tile, a.work)
    draw_polygons(labels, a.work, a.areas, a.area_m, seed=0)
    scenes = a.work / "scenes.yaml"
    scenes.write_text("field: class\nscenes:\n  - {image: scene.tif, labels: drawn.gpkg}\n")
    split = a.work / "split.gpkg"
    split_scene_list(scenes, DEEPGLOBE, split, a.block_m, 0.2, 0.2, seed=0, overwrite=True)
    test = [b.geometry for b in read_blocks(split) if b.split == "test"]
    inside = rasterize(((g, 1) for g in test), out_shape=labels.shape,
                       transform=from_origin(*ORIGIN, GSD, GSD)).astype(bool)  # fmt: skip
    truth = np.where(inside, labels, DEEPGLOBE.ignore_index)
    t0 = time.perf_counter()
    best = train_run(scenes, split, a.work, a.minutes, a.threads)
    minutes = (time.perf_counter() - t0) / 60
    image = np.asarray(Image.open(FULLRES / f"{a.tile}_sat.jpg").convert("RGB"))
    print(f"tile {a.tile}: {len(test)} test blocks of {a.block_m:g} m, "
          f"{int(inside.sum() * GSD * GSD / 1e4)} ha; fine-tuned {minutes:.1f} min")  # fmt: skip
    print("| model | test-block mIoU | pixel accuracy |\n|---|---|---|")
    for name, model in (("bundled deepglobe-fpn-lite0", "deepglobe-fpn-lite0"),
                        ("fine-tuned on the polygons", str(best))):  # fmt: skip
        miou, acc = score(model, image, truth, a.threads)
        print(f"| {name} | {miou:.3f} | {acc:.3f} |")


if __name__ == "__main__":
    main()
