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

from landcover.errors import LandcoverError
from landcover.gis.styles import write_raster_style
from landcover.inference.areas import (
    area_table,
    write_areas_csv,
    write_areas_json,
)
from landcover.inference.engine import (
    ModelMap,
    labels_and_confidence,
    map_image,
    resize_labels,
    scale_for,
)
from landcover.inference.gsd import Gsd, estimate_note, estimate_scene_gsd, known_gsd
from landcover.inference.predictor import Predictor
from landcover.inference.writers import write_color_png, write_overlay_jpg
from landcover.io.atomic import prepare_output_dir
from landcover.io.ground import class_hectares, is_georeferenced, row_pixel_areas
from landcover.io.images import IMAGE_SUFFIXES
from landcover.io.legend import legend_of_schema
from landcover.io.raster import (
    NODATA_LABEL,
    RasterInfo,
    RasterReader,
    RasterWriter,
    class_colormap,
)
from landcover.io.windows import Window
from landcover.schema import count_labels

log = logging.getLogger(__name__)

PREVIEW_MAX = 4096
GDAL_CACHE_MB = 64
BLOCK_MODEL_PX = 1536
MARGIN_TILES = 0.125  # context read around each block, in model tiles
OUTPUT_SUFFIXES = ("_classes.tif", "_color.png", "_overlay.jpg", "_areas.json")
RUN_CSV = "areas.csv"
CONFIDENCE_SUFFIX = "_confidence.tif"
CONFIDENCE_NODATA = 0
# Optional outputs (--probabilities, --confidence, --vector) and the class raster's QGIS styles.
EXTRA_SUFFIXES = (
    "_probabilities.tif",
    CONFIDENCE_SUFFIX,
    "_classes.qml",
    "_classes.tif.aux.xml",
    "_polygons.gpkg",
    "_polygons.qml",
)
OUTPUT_PATTERNS = (*(f"*{s}" for s in OUTPUT_SUFFIXES + EXTRA_SUFFIXES), RUN_CSV)


@dataclass
class SceneResult:
    """What :func:`predict_file` produced for one input.

    Attributes:
        image: the input file.
        outputs: files written.
        areas: the area table (:func:`~landcover.inference.areas.area_table`).
        seconds: wall time.
        gsd: the input's GSD used and where it came from.
    """

    image: Path
    outputs: list[Path]
    areas: dict[str, Any]
    seconds: float
    gsd: Gsd
    stem: str = ""

    @property
    def gsd_m(self) -> float | None:
        """The input's metres per pixel, if known."""
        return self.gsd.metres


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


def scene_gsd(
    path: Path,
    reader: RasterReader,
    given: float | None = None,
    estimate: bool = True,
) -> Gsd:
    """The input's GSD: ``--gsd``, georeferencing, ``tiles.csv``, else estimated from pixels."""
    gsd = known_gsd(path, reader.info.gsd_m, given)
    if gsd.metres is None and estimate:
        info = reader.info
        gsd = estimate_scene_gsd(path, lambda w: reader.read(w)[0], info.height, info.width)
    return gsd


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

    def region(self, w: Window) -> tuple[slice, slice]:
        """The preview cells that :meth:`put` fills for a block at ``w``."""
        s = self.step
        r0, c0 = math.ceil(w.row / s), math.ceil(w.col / s)
        r1, c1 = math.ceil((w.row + w.height) / s), math.ceil((w.col + w.width) / s)
        return slice(r0, r1), slice(c0, c1)


@dataclass
class _Tally:
    """What the blocks of one scene add up to: pixels and hectares per class, previews."""

    counts: np.ndarray
    hectares: np.ndarray | None
    nodata_pixels: int
    labels_prev: _Preview
    image_prev: _Preview


def predict_file(
    predictor: Predictor,
    path: str | Path,
    out_dir: str | Path,
    *,
    gsd_m: float | None = None,
    estimate: bool = True,
    overlap: float = 0.25,
    tta: bool = False,
    bands: Sequence[int] | None = None,
    probabilities: bool = False,
    confidence: bool = False,
    vector: bool = False,
    mmu_ha: float = 0.0,
    alpha: float = 0.5,
    batch_size: int = 4,
    block_size: int | None = None,
    progress: bool = True,
    stem: str | None = None,
) -> SceneResult:
    """Map one image (JPEG, PNG, TIFF, GeoTIFF) into the existing folder ``out_dir``:
    ``<stem>_classes.tif`` (QGIS styles ``_classes.qml``, ``.tif.aux.xml``), ``_color.png``,
    ``_overlay.jpg``, ``_areas.json``; if asked, ``_probabilities.tif`` (uint8, 255 = 1.0),
    ``_confidence.tif`` (:func:`_write_confidence`), ``_polygons.gpkg`` (``vector``:
    :func:`~landcover.gis.vectorize.vectorize`, ``mmu_ha``). No partial file is left.

    ``gsd_m``/``estimate``: ``--gsd``, and whether to estimate an unknown GSD
    (:mod:`~landcover.inference.gsd`); ``overlap``/``tta``/``batch_size``: the sliding windows
    (:func:`~landcover.inference.engine.map_image`); ``bands``: 1-based bands used as RGB;
    ``alpha``: overlay opacity; ``block_size``: block side in model pixels (default 1536, at
    least a tile), which bounds memory; ``stem``: the outputs' name (default: the input's).

    Returns:
        The files written, the area table and the GSD used.
    """
    start = time.perf_counter()
    path, out_dir = Path(path), Path(out_dir)
    stem = stem or path.stem
    meta = predictor.meta
    import rasterio

    # GDAL's block cache defaults to 5 % of RAM; cap it so memory stays flat on big scenes.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), RasterReader(path, bands=bands) as reader:
        gsd = scene_gsd(path, reader, gsd_m, estimate)
        scale = scale_for(gsd.metres, meta.gsd_m, f"{path} ({gsd.source} GSD)", gsd.estimated)
        writers = _open_writers(reader.info, out_dir, stem, meta, probabilities, confidence)
        try:
            engine: dict[str, Any] = {"overlap": overlap, "tta": tta, "batch_size": batch_size}
            tally = _map_blocks(predictor, reader, writers, scale, progress, block_size, **engine)
            outputs = [wr.close() for wr in writers]
        except BaseException:
            for wr in writers:
                wr.abort()
            raise
    prefix = out_dir / stem
    return finish_scene(
        path, prefix, meta, gsd, tally, outputs, start, alpha=alpha, vector=vector, mmu_ha=mmu_ha
    )


def finish_scene(
    path: Path,
    prefix: Path,
    meta: Any,
    gsd: Gsd,
    tally: _Tally,
    outputs: list[Path],
    start: float,
    *,
    alpha: float = 0.5,
    vector: bool = False,
    mmu_ha: float = 0.0,
) -> SceneResult:
    """After the rasters: QGIS styles, area table, previews, ``_areas.json``, polygons."""
    outputs = [*outputs, *write_raster_style(outputs[0], legend_of_schema(meta.schema))]
    table = _scene_table(tally, meta.schema, gsd, path)
    outputs += _write_previews_and_areas(prefix, tally, meta.schema.palette, alpha, table)
    if vector:
        outputs += _write_polygons(outputs[0], gsd.metres, mmu_ha)
    return SceneResult(path, outputs, table, time.perf_counter() - start, gsd, prefix.name)


def _scene_table(tally: _Tally, schema: Any, gsd: Gsd, path: Path) -> dict[str, Any]:
    """The scene's area table (:func:`~landcover.inference.areas.area_table`)."""
    table = area_table(
        tally.counts,
        schema,
        gsd.metres,
        tally.nodata_pixels,
        gsd_source=gsd.source,
        hectares=tally.hectares,
    )
    table["gsd_interval_m"] = list(gsd.interval) if gsd.interval else None
    table["image"] = str(path)
    return table


def _write_polygons(classes_tif: Path, gsd_m: float | None, mmu_ha: float) -> list[Path]:
    """``<stem>_polygons.gpkg`` and its ``.qml`` (with the mean confidence per polygon when
    ``<stem>_confidence.tif`` was written)."""
    from landcover.gis.vectorize import vectorize

    stem = classes_tif.name[: -len("_classes.tif")]
    polygons = classes_tif.with_name(f"{stem}_polygons.gpkg")
    # The output folder was checked for earlier results already (prepare_out_dir).
    result = vectorize(classes_tif, polygons, mmu_ha=mmu_ha, gsd_m=gsd_m, overwrite=True)
    return [result.path, *result.styles]


def _write_previews_and_areas(
    prefix: Path, tally: _Tally, palette: np.ndarray, alpha: float, table: dict[str, Any]
) -> list[Path]:
    """``<stem>_color.png``, ``_overlay.jpg`` and ``_areas.json``."""
    labels, image = tally.labels_prev.data, tally.image_prev.data
    return [
        write_color_png(f"{prefix}_color.png", labels, palette),
        write_overlay_jpg(f"{prefix}_overlay.jpg", image, labels, palette, alpha),
        write_areas_json(f"{prefix}_areas.json", table),
    ]


def _open_writers(
    info: RasterInfo,
    out_dir: Path,
    stem: str,
    meta: Any,
    probabilities: bool,
    confidence: bool = False,
) -> list[RasterWriter]:
    """The class GeoTIFF writer, then the probability and confidence ones when asked for.

    The class raster records the model's GSD (``vectorize`` simplifies by one model pixel).
    """
    from landcover.gis.vectorize import MODEL_GSD_TAG

    declare_nodata = info.nodata is not None or info.dtype.startswith("float")
    tags = legend_of_schema(meta.schema).tags()
    if meta.gsd_m:
        tags[MODEL_GSD_TAG] = f"{meta.gsd_m:g}"
    writers = [
        RasterWriter(
            out_dir / f"{stem}_classes.tif",
            info,
            nodata=NODATA_LABEL if declare_nodata else None,
            colormap=class_colormap(meta.schema.palette),
            tags=tags,
        )
    ]
    if probabilities:
        path = out_dir / f"{stem}_probabilities.tif"
        writers.append(RasterWriter(path, info, count=meta.num_classes, nodata=None))
    if confidence:
        path = out_dir / f"{stem}{CONFIDENCE_SUFFIX}"
        writers.append(RasterWriter(path, info, nodata=CONFIDENCE_NODATA))
    return writers


def _map_blocks(
    predictor: Predictor,
    reader: RasterReader,
    writers: list[RasterWriter],
    scale: float,
    progress: bool,
    block_size: int | None,
    only: range | None = None,
    **engine: Any,
) -> _Tally:
    """Predict the scene block by block (each read with a margin of context) and write it;
    ``only``: the indices of the blocks to map (a part of a split scene), default all."""
    info, meta = reader.info, predictor.meta
    windows, margin = block_grid(info, meta, scale, block_size)
    tally = new_tally(info, meta.num_classes)
    todo = [windows[i] for i in (only if only is not None else range(len(windows)))]
    bar = _bar(len(todo), info.path.name, progress and len(todo) > 1)
    for w in todo:
        read_w = _grow(w, margin, info.height, info.width)
        inner = (
            slice(w.row - read_w.row, w.row - read_w.row + w.height),
            slice(w.col - read_w.col, w.col - read_w.col + w.width),
        )
        rgb, valid = reader.read(read_w)
        tally.image_prev.put(rgb[inner], w)
        mapped = map_image(predictor, rgb, scale=scale, valid=valid, **engine)
        del rgb, valid  # the full-resolution block is not needed any more
        lab = mapped.labels()[inner]
        writers[0].write(lab, w)
        _count(tally, lab, w, info, meta.num_classes)
        for extra in writers[1:]:
            if extra.path.name.endswith(CONFIDENCE_SUFFIX):
                _write_confidence(extra, mapped, inner, w)
            else:
                _write_probabilities(extra, mapped, inner, w)
        del mapped, lab  # free before the next block is read
        bar.update(1)
    bar.close()
    return tally


def block_grid(
    info: RasterInfo, meta: Any, scale: float, block_size: int | None
) -> tuple[list[Window], int]:
    """The scene's blocks (in input pixels) and the context margin read around each."""
    block = max(1, int((block_size or max(BLOCK_MODEL_PX, meta.tile_size)) / scale))
    single = info.height <= block and info.width <= block
    margin = 0 if single else int(math.ceil(meta.tile_size * MARGIN_TILES / scale))
    return list(blocks(info.height, info.width, block)), margin


def new_tally(info: RasterInfo, num_classes: int) -> _Tally:
    """Empty counts (hectares when georeferenced) and previews for a scene."""
    step = max(1, math.ceil(max(info.height, info.width) / PREVIEW_MAX))
    georef = is_georeferenced(info.crs, info.transform)
    return _Tally(
        np.zeros(num_classes, dtype=np.int64),
        np.zeros(num_classes) if georef else None,
        0,
        _Preview(info.height, info.width, step, None),
        _Preview(info.height, info.width, step, 3),
    )


def _count(tally: _Tally, lab: np.ndarray, w: Window, info: RasterInfo, k: int) -> None:
    """Add one written block to the scene's pixel and hectare counts and previews."""
    tally.counts += count_labels(lab, k)
    tally.nodata_pixels += int(np.count_nonzero(lab == NODATA_LABEL))
    if tally.hectares is not None:
        areas = row_pixel_areas(info.crs, info.transform, info.width, info.height, w.row, w.height)
        tally.hectares += class_hectares(lab, areas, k)
    tally.labels_prev.put(lab, w)


def _write_probabilities(
    writer: RasterWriter, mapped: ModelMap, inner: tuple[slice, slice], w: Window
) -> None:
    """One class at a time (a K-band float block would dwarf everything else); 255 = 1.0."""
    for k in range(mapped.probs.shape[0]):
        p8 = np.rint(mapped.probability(k)[inner] * 255.0).astype(np.uint8)
        writer.write(p8, w, band=k + 1)


def _write_confidence(
    writer: RasterWriter, mapped: ModelMap, inner: tuple[slice, slice], w: Window
) -> None:
    """The top class's probability, 255 = 1.0, each pixel its model pixel's (as its label);
    0 where the input is nodata (a valid pixel is at least 1: the top of K probabilities is
    never under 1/K)."""
    top = np.clip(np.rint(labels_and_confidence(mapped.probs)[1] * 255.0), 1, 255)
    conf = resize_labels(top.astype(np.uint8), mapped.height, mapped.width)[inner]
    if mapped.valid is not None and not mapped.valid.all():
        conf = np.where(mapped.valid[inner], conf, CONFIDENCE_NODATA).astype(np.uint8)
    writer.write(np.ascontiguousarray(conf), w)


def output_stems(files: Sequence[Path]) -> dict[Path, str]:
    """A distinct output name per input: its stem, or with its folders in front when stems repeat.

    ``a/scene.jpg`` and ``b/scene.jpg`` become ``a_scene`` and ``b_scene`` (as many parent
    folders as it takes to tell them apart); ``x.jpg`` and ``x.tif`` in one folder become
    ``x_jpg`` and ``x_tif``.
    """
    names: dict[Path, str] = {}
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(f.stem, []).append(f)
    for stem, group in groups.items():
        folders = sorted({f.resolve().parent for f in group})
        tails = _distinct_tails(folders) if len(folders) > 1 else {folders[0]: ""}
        for f in group:
            folder = f.resolve().parent
            name = "_".join(x for x in (tails[folder], stem) if x)
            if sum(g.resolve().parent == folder for g in group) > 1:
                name = f"{name}_{f.suffix.lstrip('.').lower()}"
            names[f] = name
    _check_distinct(names)
    return names


def _distinct_tails(folders: list[Path]) -> dict[Path, str]:
    """The fewest trailing folder names (joined by ``_``) that tell ``folders`` apart."""
    longest = max(len(f.parts) for f in folders)
    for depth in range(1, longest + 1):
        tails = {f: "_".join(f.parts[-depth:]).strip("/") for f in folders}
        if len(set(tails.values())) == len(folders):
            return tails
    return {f: "_".join(f.parts).strip("/") for f in folders}


def _check_distinct(names: dict[Path, str]) -> None:
    seen: dict[str, Path] = {}
    for f, name in names.items():
        if name in seen:
            raise LandcoverError(f"same output name {name!r} as {seen[name]}; rename one", f)
        seen[name] = f


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
    stems = output_stems(files)
    out = prepare_out_dir(out_dir, overwrite)
    result = RunResult()
    bar = _bar(len(files), "images", progress and len(files) > 1)
    for f in files:
        try:
            scene = predict_file(predictor, f, out, progress=progress, stem=stems[f], **options)
            result.scenes.append(scene)
        except LandcoverError as e:
            log.error("%s", e)
            result.failures.append((f, e.message))
        except OSError as e:  # includes rasterio's read errors on a truncated raster
            log.error("%s: %s", f, e)
            result.failures.append((f, f"read or write failed ({e})"))
        bar.update(1)
    bar.close()
    if result.scenes:
        tables = {s.stem: s.areas for s in result.scenes}
        result.areas_csv = write_areas_csv(out / RUN_CSV, tables)
    return result


def summary_table(result: RunResult) -> str:
    """A plain-text table: one row per scene (output name, GSD used, hectares, main classes,
    time), a line on where the GSDs came from, then failures. ``~`` marks hectares that rest on
    an estimated GSD."""
    lines = [
        f"{'output':<32} {'GSD m':>8} {'from':<14} {'hectares':>11}  {'top classes':<40} {'s':>6}"
    ]
    for s in result.scenes:
        cls = sorted(s.areas["classes"], key=lambda c: -c["pixels"])[:3]
        top = ", ".join(f"{c['name']} {100 * c['fraction']:.0f}%" for c in cls if c["pixels"])
        ha = sum(c["hectares"] or 0.0 for c in s.areas["classes"])
        mark = "~" if s.areas.get("hectares_estimated") else " "
        ha_text = f"{mark}{ha:10.2f}" if s.gsd_m else f"{'-':>11}"
        gsd_text = f"{s.gsd_m:8.3g}" if s.gsd_m else f"{'-':>8}"
        name = s.stem or s.image.stem
        lines.append(
            f"{name[:32]:<32} {gsd_text} {s.gsd.source:<14} {ha_text}  {top[:40]:<40} "
            f"{s.seconds:6.2f}"
        )
    if result.scenes:
        lines.append(gsd_line(result.scenes))
    for f, msg in result.failures:
        lines.append(f"FAILED {f}: {msg}")
    return "\n".join(lines)


def gsd_line(scenes: Sequence[SceneResult]) -> str:
    """One line on the GSDs used: ``GSD: 3 estimated (0.48-0.52 m), 1 given (0.5 m)``."""
    by_source: dict[str, list[float | None]] = {}
    for s in scenes:
        by_source.setdefault(s.gsd.source, []).append(s.gsd.metres)
    parts = []
    for source, values in by_source.items():
        known = [v for v in values if v is not None]
        if not known:
            parts.append(f"{len(values)} unknown (no resampling, no hectares)")
            continue
        lo, hi = min(known), max(known)
        span = f"{lo:.3g} m" if lo == hi else f"{lo:.3g}-{hi:.3g} m"
        parts.append(f"{len(values)} {source} ({span})")
    return "GSD: " + ", ".join(parts) + estimate_note(s.areas for s in scenes)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, desc: str, enabled: bool, unit: str = "block") -> Any:
    if not enabled:  # spare the tqdm import (~15 ms) on a single small image
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False)
