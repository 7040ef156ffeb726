"""Predict land cover for image files: the class GeoTIFF, colour PNG, overlay and area table.

Each scene is processed in blocks of windows read with :class:`~landcover.io.raster.RasterReader`
and written with :class:`~landcover.io.raster.RasterWriter`, so memory does not grow with the
raster's size: a block is read with a margin of an eighth of a model tile on every side
(context for the windows at its border), resampled to the model's GSD, predicted by
:func:`~landcover.inference.engine.predict_model_grid`, and its labels (argmax, brought back
by nearest neighbour) written without the margin. The colour PNG and overlay JPEG are full size
up to :data:`PREVIEW_MAX` pixels a side and decimated beyond (a 20000-px PNG is of no use).
"""

from __future__ import annotations

import glob
import logging
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from landcover.data.tiling import Window
from landcover.errors import LandcoverError
from landcover.inference.areas import (
    area_table,
    write_areas_csv,
    write_areas_json,
)
from landcover.inference.engine import (
    class_labels,
    fill_invalid,
    model_scale,
    predict_model_grid,
    resize_image,
    resize_labels,
    resize_probabilities,
)
from landcover.inference.predictor import Predictor
from landcover.inference.writers import write_color_png, write_overlay_jpg
from landcover.io.atomic import prepare_output_dir
from landcover.io.images import IMAGE_SUFFIXES
from landcover.io.raster import NODATA_LABEL, RasterReader, RasterWriter, class_colormap
from landcover.schema import count_labels

log = logging.getLogger(__name__)

PREVIEW_MAX = 4096
GDAL_CACHE_MB = 64
BLOCK_MODEL_PX = 1536
MARGIN_TILES = 0.125  # context read around each block, in model tiles
OUTPUT_SUFFIXES = ("_classes.tif", "_color.png", "_overlay.jpg", "_areas.json")
RUN_CSV = "areas.csv"
OUTPUT_PATTERNS = (*(f"*{s}" for s in OUTPUT_SUFFIXES), "*_probabilities.tif", RUN_CSV)


@dataclass
class SceneResult:
    """What :func:`predict_file` produced for one input.

    Attributes:
        image: the input file.
        outputs: files written.
        areas: the area table (:func:`~landcover.inference.areas.area_table`).
        seconds: wall time.
        gsd_m: the input's GSD used, if known.
    """

    image: Path
    outputs: list[Path]
    areas: dict[str, Any]
    seconds: float
    gsd_m: float | None


@dataclass
class RunResult:
    """What :func:`predict_paths` produced: scenes done and inputs that failed."""

    scenes: list[SceneResult] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)
    areas_csv: Path | None = None


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Turn files and folders into a sorted list of image files (folders: their images).

    Inside a folder, anything named like an image is kept, sub-folders such as ``x.jpg``
    included, so that :func:`predict_paths` lists it as a failure instead of skipping it;
    except the masks of a labelled dataset (``<name>_mask.*`` beside ``<name>_sat.*``).
    """
    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.suffix.lower() in IMAGE_SUFFIXES
                and not f.name.startswith(".")
                and not _is_output(f)
                and not _is_mask_of_pair(f)
            )
            if not found:
                raise LandcoverError("folder holds no images (.jpg, .png, .tif)", p)
            files.extend(found)
        elif not p.exists():
            raise LandcoverError("no such file or folder", p)
        else:
            files.append(p)
    return files


def _is_mask_of_pair(f: Path) -> bool:
    if not f.stem.endswith("_mask"):
        return False
    return any(f.parent.glob(f"{glob.escape(f.stem[: -len('_mask')])}_sat.*"))


def _is_output(f: Path) -> bool:
    return any(f.match(p) for p in OUTPUT_PATTERNS)


def prepare_out_dir(out_dir: str | Path, overwrite: bool = False) -> Path:
    """Create ``out_dir``; refuse one holding results unless ``overwrite``, or not writable."""
    return prepare_output_dir(out_dir, OUTPUT_PATTERNS, overwrite)


def scene_gsd(path: Path, info_gsd: float | None, gsd_m: float | None) -> float | None:
    """The input's GSD: ``--gsd``, else its georeferencing, else ``tiles.csv`` beside it."""
    if gsd_m is not None:
        return float(gsd_m)
    if info_gsd is not None:
        return info_gsd
    from landcover.data.pairs import tiles_row

    try:
        row = tiles_row(path)
    except LandcoverError:
        return None
    if row and row.get("gsd_m"):
        return float(row["gsd_m"])
    return None


def blocks(height: int, width: int, block: int) -> Iterator[Window]:
    """Non-overlapping blocks of at most ``block`` pixels a side covering the image."""
    for r in range(0, height, block):
        for c in range(0, width, block):
            yield Window(r, c, min(block, height - r), min(block, width - c))


def _grow(w: Window, margin: int, height: int, width: int) -> Window:
    r0, c0 = max(0, w.row - margin), max(0, w.col - margin)
    r1, c1 = min(height, w.row + w.height + margin), min(width, w.col + w.width + margin)
    return Window(r0, c0, r1 - r0, c1 - c0)


class _Preview:
    """A decimated copy (every ``step``-th pixel) of a full-size array, filled block by block."""

    def __init__(self, height: int, width: int, step: int, channels: int | None) -> None:
        self.step = step
        shape = (math.ceil(height / step), math.ceil(width / step))
        self.data = np.zeros(shape + ((channels,) if channels else ()), dtype=np.uint8)

    def put(self, block: np.ndarray, w: Window) -> None:
        s = self.step
        r_off, c_off = (-w.row) % s, (-w.col) % s
        part = block[r_off::s, c_off::s]
        r, c = (w.row + r_off) // s, (w.col + c_off) // s
        self.data[r : r + part.shape[0], c : c + part.shape[1]] = part


def predict_file(
    predictor: Predictor,
    path: str | Path,
    out_dir: str | Path,
    *,
    gsd_m: float | None = None,
    overlap: float = 0.25,
    tta: bool = False,
    bands: Sequence[int] | None = None,
    probabilities: bool = False,
    alpha: float = 0.5,
    batch_size: int = 4,
    block_size: int | None = None,
    progress: bool = True,
) -> SceneResult:
    """Map one image; writes ``<stem>_classes.tif``, ``_color.png``, ``_overlay.jpg``,
    ``_areas.json`` (and ``_probabilities.tif``) into ``out_dir``.

    Args:
        predictor: the model.
        path: input image (JPEG, PNG, TIFF, GeoTIFF).
        out_dir: existing output folder.
        gsd_m: input metres per pixel (default: from georeferencing or ``tiles.csv``).
        overlap: window overlap fraction.
        tta: test-time augmentation (flips, quarter turn).
        bands: 1-based bands used as RGB.
        probabilities: also write a uint8 probability GeoTIFF (K bands, 255 = 1.0).
        alpha: opacity of the class colours in the overlay.
        batch_size: windows per model call.
        block_size: block side in model pixels (default: 1536, at least a tile); bounds memory.
        progress: show a progress bar over blocks.

    Returns:
        The files written and the area table. Nothing is left under a final name on failure.
    """
    start = time.perf_counter()
    path = Path(path)
    out_dir = Path(out_dir)
    meta = predictor.meta
    schema = meta.schema
    palette = schema.palette
    import rasterio

    # GDAL's block cache defaults to 5 % of RAM; cap it so memory stays flat on big scenes.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), RasterReader(path, bands=bands) as reader:
        info = reader.info
        gsd = scene_gsd(path, info.gsd_m, gsd_m)
        scale = model_scale(gsd, meta.gsd_m)
        block_model = block_size or max(BLOCK_MODEL_PX, meta.tile_size)
        block = max(1, int(block_model / scale))
        single = info.height <= block and info.width <= block
        margin = 0 if single else int(math.ceil(meta.tile_size * MARGIN_TILES / scale))
        step = max(1, math.ceil(max(info.height, info.width) / PREVIEW_MAX))
        labels_prev = _Preview(info.height, info.width, step, None)
        image_prev = _Preview(info.height, info.width, step, 3)
        declare_nodata = info.nodata is not None or info.dtype.startswith("float")
        stem = path.stem
        classes_path = out_dir / f"{stem}_classes.tif"
        writers = [
            RasterWriter(
                classes_path,
                info,
                nodata=NODATA_LABEL if declare_nodata else None,
                colormap=class_colormap(palette),
            )
        ]
        if probabilities:
            writers.append(
                RasterWriter(
                    out_dir / f"{stem}_probabilities.tif", info, count=meta.num_classes, nodata=None
                )
            )
        counts = np.zeros(meta.num_classes, dtype=np.int64)
        nodata_pixels = 0
        todo = list(blocks(info.height, info.width, block))
        try:
            bar = _bar(len(todo), f"{path.name}", progress and len(todo) > 1)
            for w in todo:
                read_w = _grow(w, margin, info.height, info.width)
                inner = (
                    slice(w.row - read_w.row, w.row - read_w.row + w.height),
                    slice(w.col - read_w.col, w.col - read_w.col + w.width),
                )
                rgb, valid = reader.read(read_w)
                image_prev.put(rgb[inner], w)
                mh = max(1, round(read_w.height * scale))
                mw = max(1, round(read_w.width * scale))
                small = resize_image(fill_invalid(rgb, valid, meta), mh, mw)
                del rgb  # the full-resolution block is not needed while the model runs
                probs = predict_model_grid(
                    predictor, small, overlap=overlap, tta=tta, batch_size=batch_size
                )
                labels = resize_labels(class_labels(probs), read_w.height, read_w.width)
                all_valid = bool(valid.all())
                if not all_valid:
                    labels[~valid] = NODATA_LABEL
                lab = labels[inner]
                writers[0].write(lab, w)
                counts += count_labels(lab, meta.num_classes)
                if not all_valid:
                    nodata_pixels += int(np.count_nonzero(~valid[inner]))
                if probabilities:
                    # One class at a time: a K-band float block would dwarf everything else.
                    for k in range(meta.num_classes):
                        full = resize_probabilities(probs[k : k + 1], read_w.height, read_w.width)
                        p8 = np.rint(full[0][inner] * 255.0).astype(np.uint8)
                        if not all_valid:
                            p8[~valid[inner]] = 0
                        writers[1].write(p8, w, band=k + 1)
                labels_prev.put(lab, w)
                del probs, labels, lab, valid  # free before the next block is read
                bar.update(1)
            bar.close()
            outputs = [wr.close() for wr in writers]
        except BaseException:
            for wr in writers:
                wr.abort()
            raise
    outputs.append(write_color_png(out_dir / f"{stem}_color.png", labels_prev.data, palette))
    outputs.append(
        write_overlay_jpg(
            out_dir / f"{stem}_overlay.jpg", image_prev.data, labels_prev.data, palette, alpha
        )
    )
    table = area_table(counts, schema, gsd, nodata_pixels)
    table["image"] = str(path)
    outputs.append(write_areas_json(out_dir / f"{stem}_areas.json", table))
    return SceneResult(path, outputs, table, time.perf_counter() - start, gsd)


def predict_paths(
    predictor: Predictor,
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
    **options: Any,
) -> RunResult:
    """Map every image among ``inputs`` (files or folders) into ``out_dir``.

    A file that fails is logged and listed in :attr:`RunResult.failures`; the others are still
    processed. Writes one ``areas.csv`` for the run. ``options`` go to :func:`predict_file`.
    """
    files = expand_inputs(inputs)
    out = prepare_out_dir(out_dir, overwrite)
    result = RunResult()
    bar = _bar(len(files), "images", progress and len(files) > 1)
    for f in files:
        try:
            result.scenes.append(predict_file(predictor, f, out, progress=progress, **options))
        except LandcoverError as e:
            log.error("%s", e)
            result.failures.append((f, e.message))
        except OSError as e:  # includes rasterio's read errors on a truncated raster
            log.error("%s: %s", f, e)
            result.failures.append((f, f"read or write failed ({e})"))
        bar.update(1)
    bar.close()
    if result.scenes:
        tables = {s.image.name: s.areas for s in result.scenes}
        result.areas_csv = write_areas_csv(out / RUN_CSV, tables)
    return result


def summary_table(result: RunResult) -> str:
    """A plain-text table: one row per scene with its main classes and time; then failures."""
    lines = [f"{'image':<32} {'pixels':>12} {'hectares':>10}  {'top classes':<44} {'s':>6}"]
    for s in result.scenes:
        cls = sorted(s.areas["classes"], key=lambda c: -c["pixels"])[:3]
        top = ", ".join(f"{c['name']} {100 * c['fraction']:.0f}%" for c in cls if c["pixels"])
        ha = sum(c["hectares"] or 0.0 for c in s.areas["classes"])
        ha_text = f"{ha:10.2f}" if s.gsd_m else f"{'-':>10}"
        lines.append(
            f"{s.image.name[:32]:<32} {s.areas['valid_pixels']:>12} {ha_text}  {top[:44]:<44} "
            f"{s.seconds:6.2f}"
        )
    for f, msg in result.failures:
        lines.append(f"FAILED {f}: {msg}")
    return "\n".join(lines)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:  # spare the tqdm import (~15 ms) on a single small image
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="block", leave=False)
