"""The scene mapper: read -> GSD -> blocks -> sliding windows, blended -> write, then finish.

Every way of mapping a scene goes through here: the command line and
:func:`~landcover.batch.runner.predict_paths` (through
:func:`~landcover.batch.runner.predict_many`), :func:`predict_file`, Dask workers, and the
parts of a scene split over workers (:mod:`landcover.batch.scene_parts`). :func:`open_scene`
holds what a scene needs while it is mapped (GDAL's settings, the reader, the GSD and model
scale, the block grid, the writers, the tally) and drops every unfinished output if anything
fails. The class raster is written once, as a Cloud-Optimized GeoTIFF
(:class:`~landcover.batch.cog.CogWriter`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rasterio.windows import Window

from landcover.batch.cog import CogWriter
from landcover.gis.styles import write_confidence_style, write_raster_style
from landcover.inference.areas import area_table, write_areas_json
from landcover.inference.blocks import Tally, block_grid, grow
from landcover.inference.engine import (
    ModelMap,
    labels_and_confidence,
    map_image,
    resize_labels,
    scale_for,
)
from landcover.inference.gsd import Gsd
from landcover.inference.model_bands import model_reader
from landcover.inference.options import PredictOptions
from landcover.inference.predict import CONFIDENCE_SUFFIX, scene_gsd
from landcover.inference.predictor import Predictor
from landcover.inference.writers import write_color_png, write_overlay_jpg
from landcover.io.legend import MODEL_GSD_TAG, legend_of_schema
from landcover.io.progress import progress_bar
from landcover.io.raster import (
    NODATA_LABEL,
    RasterInfo,
    RasterReader,
    RasterWriter,
    class_colormap,
    gdal_env,
)
from landcover.io.remote import display
from landcover.models.meta import ModelMeta

CONFIDENCE_NODATA = 0


@dataclass
class SceneResult:
    """What :func:`predict_file` produced for one input.

    Attributes:
        image: the input file.
        outputs: files written.
        areas: the area table (:func:`~landcover.inference.areas.area_table`).
        seconds: wall time.
        gsd: the input's GSD used and where it came from.
        stem: the outputs' name.
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


@dataclass(frozen=True)
class Block:
    """One block of the scene as read: its pixels with the margin (reduced by the scene's
    read step), their full-resolution ``shape`` and validity, and where the block goes."""

    window: Window
    inner: tuple[slice, slice]
    rgb: np.ndarray
    valid: np.ndarray | None
    shape: tuple[int, int]


class SceneWriters:
    """The scene's rasters by role: classes (a COG; a plain GeoTIFF for a part of a scene),
    and the probabilities and confidence when asked for.

    The class raster records the model's GSD (``vectorize`` simplifies by one model pixel).
    ``scale``: the scene's pixels to the model's (:func:`plan_blocks`).
    """

    def __init__(
        self,
        info: RasterInfo,
        prefix: Path,
        meta: ModelMeta,
        options: PredictOptions,
        cog: bool = True,
        scale: float = 1.0,
    ) -> None:
        tags = legend_of_schema(meta.schema).tags()
        if meta.gsd_m:
            tags[MODEL_GSD_TAG] = f"{meta.gsd_m:g}"
        declare_nodata = info.nodata is not None or info.dtype.startswith("float")
        nodata = NODATA_LABEL if declare_nodata else None
        cmap = class_colormap(meta.schema.palette)
        path = Path(f"{prefix}_classes.tif")
        self.classes: CogWriter | RasterWriter = (
            CogWriter(path, info, nodata=nodata, colormap=cmap, tags=tags, constant_px=1 / scale)
            if cog
            else RasterWriter(path, info, nodata=nodata, colormap=cmap, tags=tags)
        )
        self.all: list[CogWriter | RasterWriter] = [self.classes]
        self.probabilities: RasterWriter | None = None
        self.confidence: CogWriter | RasterWriter | None = None
        try:
            if options.probabilities:
                p = Path(f"{prefix}_probabilities.tif")
                self.probabilities = RasterWriter(p, info, count=meta.num_classes)
                self.all.append(self.probabilities)
            if options.confidence:
                p = Path(f"{prefix}{CONFIDENCE_SUFFIX}")
                self.confidence = (
                    CogWriter(p, info, nodata=CONFIDENCE_NODATA, resampling="AVERAGE")
                    if cog
                    else RasterWriter(p, info, nodata=CONFIDENCE_NODATA)
                )
                self.all.append(self.confidence)
        except BaseException:
            self.abort()
            raise

    def put(self, mapped: ModelMap, inner: tuple[slice, slice], w: Window) -> np.ndarray:
        """Write one mapped block (without its margin); returns its classes."""
        lab = mapped.labels()[inner]
        self.classes.write(lab, w)
        if self.probabilities is not None:
            for k in range(mapped.probs.shape[0]):  # a K-band float block would dwarf the rest
                p8 = np.rint(mapped.probability(k)[inner] * 255.0).astype(np.uint8)
                self.probabilities.write(p8, w, band=k + 1)
        if self.confidence is not None:
            self.confidence.write(confidence_block(mapped, inner), w)
        return lab

    def close(self) -> list[Path]:
        """Publish every raster; returns their paths, the class raster first."""
        return [wr.close() for wr in self.all]

    def abort(self) -> None:
        """Drop every unfinished raster."""
        for wr in self.all:
            wr.abort()


def confidence_block(mapped: ModelMap, inner: tuple[slice, slice]) -> np.ndarray:
    """The top class's probability, 255 = 1.0, each pixel its model pixel's (as its label);
    0 where the input is nodata (a valid pixel is at least 1: the top of K probabilities is
    never under 1/K)."""
    top = np.clip(np.rint(labels_and_confidence(mapped.probs)[1] * 255.0), 1, 255)
    conf = resize_labels(top.astype(np.uint8), mapped.height, mapped.width)[inner]
    if mapped.valid is not None and not mapped.valid.all():
        conf = np.where(mapped.valid[inner], conf, CONFIDENCE_NODATA).astype(np.uint8)
    return np.ascontiguousarray(conf)


class BlockMapper(Protocol):
    """Maps one block as read (:func:`~landcover.inference.engine.map_image`, bound)."""

    def __call__(
        self, image: np.ndarray, *, valid: np.ndarray | None, shape: tuple[int, int]
    ) -> ModelMap: ...


@dataclass
class Scene:
    """A scene open for mapping (see :func:`open_scene`); ``step``: its blocks are read that
    many times coarser a side (:meth:`~landcover.io.raster.RasterReader.reduction`);
    ``mapper``: :func:`~landcover.inference.engine.map_image` with the scene's model, scale and
    options bound, to call as ``mapper(block.rgb, valid=block.valid, shape=block.shape)``."""

    path: Path
    reader: RasterReader
    gsd: Gsd
    scale: float
    windows: list[Window]
    margin: int
    writers: SceneWriters
    tally: Tally
    mapper: BlockMapper
    step: int = 1
    outputs: list[Path] = field(default_factory=list)

    def blocks(self, only: range | None = None, progress: bool = False) -> Iterator[Block]:
        """Read the blocks (all, or those numbered in ``only``), each with its margin."""
        info = self.reader.info
        todo = [self.windows[i] for i in (only if only is not None else range(len(self.windows)))]
        quiet = not progress or len(todo) < 2
        for w in progress_bar(todo, info.path.name, "block", leave=False, disable=quiet):
            read_w = grow(w, self.margin, info.height, info.width)
            r0, c0 = w.row_off - read_w.row_off, w.col_off - read_w.col_off
            inner = (slice(r0, r0 + w.height), slice(c0, c0 + w.width))
            rgb, valid = self.reader.read(read_w, self.step)
            self.tally.image_prev.put(rgb[..., :3], w, read_w)  # a model's first 3 bands
            yield Block(w, inner, rgb, valid, (read_w.height, read_w.width))

    def put(self, block: Block, mapped: ModelMap) -> None:
        """Write a mapped block and count it."""
        self.tally.count(self.writers.put(mapped, block.inner, block.window), block.window)


@contextmanager
def open_scene(
    predictor: Predictor,
    path: Path,
    options: PredictOptions,
    prefix: Path,
    *,
    gsd: Gsd | None = None,
    cog: bool = True,
) -> Iterator[Scene]:
    """Open the scene at ``path`` for mapping into ``<prefix>_*`` outputs.

    On a clean exit the rasters are published (:attr:`Scene.outputs`); on any error none is
    left. ``gsd``: the scene's GSD when already found (the parts of a split scene).
    """
    with (
        gdal_env(),
        model_reader(predictor.meta, path, options.bands) as reader,
    ):
        meta = predictor.meta
        gsd, scale, windows, margin = plan_blocks(reader, meta, options, gsd)
        writers = SceneWriters(reader.info, prefix, meta, options, cog, scale)
        tally = Tally.empty(reader.info, meta.num_classes)
        step = reader.reduction(scale)
        mapper = partial(
            map_image,
            predictor,
            scale=scale,
            overlap=options.overlap,
            tta=options.tta,
            batch_size=options.batch_size,
        )
        scene = Scene(path, reader, gsd, scale, windows, margin, writers, tally, mapper, step)
        try:
            yield scene
            scene.outputs = writers.close()
        except BaseException:
            writers.abort()
            raise


def plan_blocks(
    reader: RasterReader, meta: ModelMeta, options: PredictOptions, gsd: Gsd | None = None
) -> tuple[Gsd, float, list[Window], int]:
    """The scene's GSD (``gsd`` when already found), its scale to the model's pixels, its
    blocks and the margin read around each (:func:`~landcover.inference.blocks.block_grid`)."""
    path = reader.info.path
    if gsd is None:
        gsd = scene_gsd(path, reader, options.gsd_m, options.estimate)
    scale = scale_for(gsd.metres, meta.gsd_m, f"{path} ({gsd.source} GSD)", gsd.estimated)
    windows, margin = block_grid(reader.info, meta, scale, options.block_size)
    return gsd, scale, windows, margin


def predict_file(
    predictor: Predictor,
    path: str | Path,
    out_dir: str | Path,
    options: PredictOptions | None = None,
    *,
    stem: str | None = None,
    progress: bool = True,
    cancel: threading.Event | None = None,
) -> SceneResult:
    """Map one image (JPEG, PNG, TIFF, GeoTIFF) into the existing folder ``out_dir``.

    Writes ``<stem>_classes.tif`` (a COG; QGIS styles ``_classes.qml``, ``.tif.aux.xml``),
    ``_color.png``, ``_overlay.jpg``, ``_areas.json``; as ``options`` ask,
    ``_probabilities.tif`` (uint8, 255 = 1.0), ``_confidence.tif`` (:func:`confidence_block`),
    ``_polygons.gpkg`` (:func:`~landcover.gis.vectorize.vectorize`). No partial file is left.

    Args:
        predictor: the model (:func:`~landcover.inference.predictor.load_predictor`).
        path: the image.
        out_dir: an existing folder.
        options: how to map it (default :class:`PredictOptions`'s defaults).
        stem: the outputs' name (default: the input's).
        progress: a progress bar over the blocks of a large scene.
        cancel: once set (the run was interrupted), the scene stops before its next block
            with ``KeyboardInterrupt``, leaving none of its files.

    Returns:
        The files written, the area table and the GSD used.
    """
    start = time.perf_counter()
    path, options = Path(path), options or PredictOptions()
    prefix = Path(out_dir) / (stem or path.stem)
    with open_scene(predictor, path, options, prefix) as scene:
        for block in scene.blocks(progress=progress):
            if cancel is not None and cancel.is_set():
                raise KeyboardInterrupt
            scene.put(block, scene.mapper(block.rgb, valid=block.valid, shape=block.shape))
    return finish_scene(path, prefix, predictor.meta, scene, options, start)


def finish_scene(
    path: Path,
    prefix: Path,
    meta: ModelMeta,
    scene: Scene,
    options: PredictOptions,
    start: float,
) -> SceneResult:
    """After the rasters: QGIS styles, area table, colour PNG, overlay, ``_areas.json`` and,
    with ``options.vector``, polygons."""
    tally, gsd = scene.tally, scene.gsd
    classes_tif = scene.outputs[0]
    outputs = [*scene.outputs, *write_raster_style(classes_tif, legend_of_schema(meta.schema))]
    if options.confidence:
        outputs += write_confidence_style(Path(f"{prefix}{CONFIDENCE_SUFFIX}"))
    table = area_table(
        tally.counts,
        meta.schema,
        gsd.metres,
        tally.nodata_pixels,
        gsd_source=gsd.source,
        hectares=tally.hectares,
    )
    table["gsd_interval_m"] = list(gsd.interval) if gsd.interval else None
    table["image"] = display(path)  # a remote input: its URL
    palette = meta.schema.palette
    labels, small = tally.labels_prev.data, tally.overlay_labels.data
    outputs += [
        write_color_png(f"{prefix}_color.png", labels, palette),
        write_overlay_jpg(
            f"{prefix}_overlay.jpg", tally.image_prev.data, small, palette, options.alpha
        ),
        write_areas_json(f"{prefix}_areas.json", table),
    ]
    if options.vector:
        outputs += _write_polygons(classes_tif, gsd.metres, options.mmu_ha)
    return SceneResult(path, outputs, table, time.perf_counter() - start, gsd, prefix.name)


def _write_polygons(classes_tif: Path, gsd_m: float | None, mmu_ha: float) -> list[Path]:
    """``<stem>_polygons.gpkg`` and its ``.qml`` (with the mean confidence per polygon when
    ``<stem>_confidence.tif`` was written)."""
    # Lazy: the polygon stack (8 modules, pyogrio) loads only for --vector.
    from landcover.gis.vectorize import vectorize

    stem = classes_tif.name[: -len("_classes.tif")]
    polygons = classes_tif.with_name(f"{stem}_polygons.gpkg")
    # The output folder was checked for earlier results already (prepare_out_dir).
    result = vectorize(classes_tif, polygons, mmu_ha=mmu_ha, gsd_m=gsd_m, overwrite=True)
    return [result.path, *result.styles]
