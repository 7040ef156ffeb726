"""Spatially honest splits of scenes: square geographic blocks, each wholly in one subset.

Blocks are squares of ``block_m`` metres on a grid anchored at the origin of each scene's
working CRS (:mod:`landcover.data.scene_crs`; so two scenes in one CRS share it). Only blocks
holding labels are kept; they are shuffled with a seed and dealt to ``val``, ``test`` and
``train``. The split is a GeoPackage (one polygon per block, fields ``scene``, ``block``,
``split``) that opens in QGIS and that training reads back: a sample's labels outside its
subset's blocks are ignored, so neighbouring pixels never land on both sides. A GeoPackage
layer has one CRS, so the blocks of the first scene's working CRS are the layer ``blocks`` and
those of any other working CRS the layer ``blocks_<EPSG code>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from affine import Affine
from rasterio.crs import CRS

from landcover.data.scene_windows import SceneReader, open_scenes
from landcover.errors import InputError, LandcoverIOError, require_extra
from landcover.io.atomic import prepare_output_file, publish, reserve_temp
from landcover.io.gpkg import write_gpkg_layer
from landcover.schema import ClassSchema

SUBSETS = ("train", "val", "test")

#: Cells per block side when looking for labels inside a block.
CELLS = 16


@dataclass(frozen=True)
class Block:
    """One block of one scene.

    Args:
        scene: the scene's raster file name.
        col: block column (x // block size).
        row: block row (y // block size).
        split: ``train``, ``val`` or ``test``.
        geometry: the square, in the scene's working CRS.
        crs: that CRS (``EPSG:n`` or WKT).
    """

    scene: str
    col: int
    row: int
    split: str
    geometry: Any
    crs: str

    @property
    def name(self) -> str:
        """``<col>_<row>``, unique within a scene."""
        return f"{self.col}_{self.row}"


def labelled_blocks(reader: SceneReader, block_m: float) -> list[tuple[int, int]]:
    """``(col, row)`` of the blocks of the scene that hold at least one label pixel."""
    w, s, e, n = reader.bounds
    found = []
    cell = block_m / CELLS
    for row in range(math.floor(s / block_m), math.ceil(n / block_m)):
        for col in range(math.floor(w / block_m), math.ceil(e / block_m)):
            grid = Affine(cell, 0, col * block_m, 0, -cell, (row + 1) * block_m)
            if (reader.labels.read(grid, (CELLS, CELLS)) != reader.fill).any():
                found.append((col, row))
    return found


def split_blocks(
    readers: Sequence[SceneReader],
    block_m: float,
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
) -> list[Block]:
    """Deal the labelled blocks of ``readers`` to train, val and test (fractions of blocks).

    Raises:
        InputError: when the scenes hold fewer than two labelled blocks (no validation possible).
    """
    keys = [(i, c, r) for i, rd in enumerate(readers) for c, r in labelled_blocks(rd, block_m)]
    if len(keys) < 2:
        raise InputError(
            f"the scenes hold {len(keys)} labelled block(s) of {block_m:g} m; give a smaller "
            "block size to split them",
            readers[0].scene.image,
        )
    order = np.random.default_rng(seed).permutation(len(keys))
    n_val = max(1, round(val * len(keys))) if val > 0 else 0
    n_test = round(test * len(keys))
    n_val = min(n_val, len(keys) - 1)
    n_test = min(n_test, len(keys) - 1 - n_val)
    split_of = {}
    for rank, k in enumerate(order):
        split_of[k] = "val" if rank < n_val else "test" if rank < n_val + n_test else "train"
    return [
        Block(
            scene=readers[i].scene.name,
            col=c,
            row=r,
            split=split_of[j],
            geometry=shapely.box(c * block_m, r * block_m, (c + 1) * block_m, (r + 1) * block_m),
            crs=crs_text(readers[i].crs),
        )
        for j, (i, c, r) in enumerate(keys)
    ]


def crs_text(crs: Any) -> str:
    """``EPSG:n`` when the CRS has a code, else its WKT."""
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def layer_names(blocks: Sequence[Block]) -> dict[str, str]:
    """CRS -> layer: ``blocks`` for the first block's CRS, ``blocks_<EPSG>`` (or ``blocks_<n>``)
    for each other."""
    names: dict[str, str] = {}
    for crs in dict.fromkeys(b.crs for b in blocks):
        code = crs.removeprefix("EPSG:") if crs.startswith("EPSG:") else str(len(names) + 1)
        names[crs] = "blocks" if not names else f"blocks_{code}"
    return names


def write_blocks(path: str | Path, blocks: Sequence[Block]) -> Path:
    """Write ``blocks`` as a GeoPackage (atomically), one layer per CRS (:func:`layer_names`)."""
    tmp = reserve_temp(path)
    tmp.unlink()  # GDAL's GPKG driver refuses an existing empty file
    try:
        for crs, layer in layer_names(blocks).items():
            _write_layer(tmp, [b for b in blocks if b.crs == crs], layer, crs)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return publish(tmp, path)


def _write_layer(path: Path, blocks: Sequence[Block], layer: str, crs: str) -> None:
    """One layer of blocks, all in ``crs``."""
    geometry = shapely.to_wkb(np.array([b.geometry for b in blocks], dtype=object))
    data = [
        np.array([b.scene for b in blocks], dtype=object),
        np.array([b.name for b in blocks], dtype=object),
        np.array([b.split for b in blocks], dtype=object),
    ]
    write_gpkg_layer(path, geometry, data, ["scene", "block", "split"], layer=layer,
                     geometry_type="Polygon", crs=crs)  # fmt: skip


def read_blocks(path: str | Path) -> list[Block]:
    """The blocks of a split GeoPackage written by :func:`write_blocks` (all its layers
    ``blocks`` and ``blocks_*``).

    Raises:
        LandcoverIOError: naming the file when it cannot be read.
        InputError: naming the file when it lacks the ``scene``/``block``/``split`` fields or
            a split is not train, val or test.
    """
    require_extra("pyogrio", "gis", "reading a split's GeoPackage of blocks")
    import pyogrio  # the [gis] extra, imported only when a GeoPackage is read

    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as e:  # pyogrio raises several DataSource errors
        raise LandcoverIOError(f"cannot read the split's blocks ({e})", path) from e
    chosen = [n for n in layers if n == "blocks" or n.startswith("blocks_")]
    if "blocks" not in chosen:
        raise LandcoverIOError("cannot read the split's blocks (no layer 'blocks')", path)
    return [b for layer in sorted(chosen, key=len) for b in _read_layer(path, layer)]


def _read_layer(path: str | Path, layer: str) -> list[Block]:
    """The blocks of one layer of a split GeoPackage."""
    import pyogrio.raw  # the [gis] extra, imported only when a GeoPackage is read

    try:
        meta, _, wkb, columns = pyogrio.raw.read(path, layer=layer)
    except Exception as e:  # pyogrio raises several DataSource/layer errors
        raise LandcoverIOError(f"cannot read the split's blocks ({e})", path) from e
    fields = list(meta["fields"])
    if not {"scene", "block", "split"} <= set(fields):
        raise InputError("a split GeoPackage needs fields scene, block and split", path)
    col = {f: columns[fields.index(f)] for f in ("scene", "block", "split")}
    bad = sorted(set(col["split"]) - set(SUBSETS))
    if bad:
        raise InputError(f"split values {', '.join(map(str, bad))} are not train/val/test", path)
    crs = crs_text(meta["crs"]) if meta.get("crs") else ""
    blocks = []
    for scene, name, split, g in zip(
        col["scene"], col["block"], col["split"], shapely.from_wkb(wkb), strict=True
    ):
        c, r = (int(v) for v in str(name).split("_"))
        blocks.append(Block(str(scene), c, r, str(split), g, crs))
    return blocks


def check_block_crs(blocks: Sequence[Block], readers: Sequence[SceneReader], path: Any) -> None:
    """Refuse blocks not in the working CRS of their scene (a layer saved in another CRS).

    Raises:
        InputError: naming the split ``path``, the scene and both CRSs.
    """
    working = {r.scene.name: crs_text(r.crs) for r in readers}
    for b in blocks:
        if b.crs and b.scene in working and b.crs != working[b.scene]:
            raise InputError(
                f"the blocks of {b.scene} are in {b.crs[:60]} but the scene is read in "
                f"{working[b.scene][:60]}; split the scenes again with 'landcover split'",
                path,
            )


def blocks_of(blocks: Sequence[Block], scene: str, subset: str) -> list[Any]:
    """The polygons of ``scene``'s blocks in ``subset``."""
    return [b.geometry for b in blocks if b.scene == scene and b.split == subset]


def split_scene_list(
    scenes: str | Path,
    schema: ClassSchema,
    out: str | Path,
    block_m: float,
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
    overwrite: bool = False,
) -> list[Block]:
    """Split the scenes of a scene list by blocks and write the GeoPackage ``out``.

    Raises:
        LandcoverError: naming the file, for a bad scene, label file or output path.
    """
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise InputError("a split of scenes is a GeoPackage: give --out NAME.gpkg", out)
    prepare_output_file(out, "the split GeoPackage", overwrite)
    readers = open_scenes(scenes, schema, None)
    blocks = split_blocks(readers, block_m, val, test, seed)
    write_blocks(out, blocks)
    return blocks
