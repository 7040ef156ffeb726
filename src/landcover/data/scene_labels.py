"""Labels of a scene, read for any window of any grid: polygons rasterised, rasters warped.

Vector labels are read once (pyogrio), their class values mapped to class indices and their
geometries reprojected once into the scene's CRS; each window is then rasterised on the fly
(:func:`rasterio.features.rasterize`). Label rasters on another grid or CRS are read through a
:class:`rasterio.vrt.WarpedVRT` onto the requested grid by nearest neighbour. Pixels outside
every polygon, the raster's nodata and codes that are no class get the schema's fill (ignored)
index: they never count as a class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform as transform_xy

from landcover.data.scenes import Scene
from landcover.errors import InputError, LandcoverIOError, require_extra
from landcover.io.raster import open_raster
from landcover.io.remote import display, gdal_path
from landcover.schema import ClassSchema

#: Largest side of the decimated read used to check a label raster's codes up front.
CHECK_SIDE = 1024


class LabelSource(Protocol):
    """Labels readable on any grid of the scene's CRS."""

    def read(self, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
        """Class indices ``uint8`` on the grid ``(transform, shape)``; fill where unlabelled."""
        ...


def class_lookup(scene: Scene, schema: ClassSchema) -> dict[Any, int]:
    """Label value -> class index: class names, then the schema's and the scene's ``values``
    codes (by class name; the scene's win).

    Raises:
        InputError: naming the scene list's label file when a ``values`` entry names no class.
    """
    lookup: dict[Any, int] = {name: i for i, name in enumerate(schema.classes)}
    for code, name in [*schema.values, *scene.values.items()]:
        if name not in lookup:
            raise InputError(
                f"values maps {code!r} to {name!r}, which is no class of {schema.name!r} "
                f"({', '.join(schema.classes)})",
                scene.labels,
            )
        lookup[code] = lookup[name]
        lookup[str(code)] = lookup[name]
    return lookup


def _index_of(value: Any, lookup: Mapping[Any, int], schema: ClassSchema) -> int | None:
    """A label value's class index: by name or code; a bare integer is a class index."""
    for key in (value, str(value)):
        if key in lookup:
            return lookup[key]
    if isinstance(value, int | np.integer) and 0 <= int(value) < schema.num_classes:
        return int(value)
    return None


class VectorLabels:
    """Polygon labels of one scene, reprojected into ``crs`` once, rasterised per window.

    Raises:
        InputError: naming the file when the field is missing, a value is no class, the CRS
            cannot be transformed, or no polygon overlaps ``bounds``.
    """

    def __init__(
        self, scene: Scene, schema: ClassSchema, crs: Any, bounds: tuple[float, float, float, float]
    ) -> None:
        path = scene.labels
        require_extra("pyogrio", "gis", "reading vector labels")
        import pyogrio.raw  # the [gis] extra, imported only when vector labels are read

        try:
            meta, _, wkb, columns = pyogrio.raw.read(gdal_path(path))  # a URL: /vsicurl/...
        except Exception as e:  # pyogrio raises several DataSource/field errors
            raise LandcoverIOError(f"cannot read vector labels ({e})", display(path)) from e
        fields = list(meta["fields"])
        if scene.field not in fields:
            raise InputError(f"no field {scene.field!r} (fields: {', '.join(fields)})", path)
        values = columns[fields.index(scene.field)]
        lookup = class_lookup(scene, schema)
        indices = [_index_of(v, lookup, schema) for v in values]
        bad = sorted({str(v) for v, i in zip(values, indices, strict=True) if i is None})
        if bad:
            raise InputError(
                f"{scene.field} values {', '.join(bad[:5])} are no class of {schema.name!r} "
                f"({', '.join(schema.classes)}); map codes with 'values:'",
                path,
            )
        geoms = _reproject(shapely.from_wkb(wkb), meta.get("crs"), crs, path)
        keep = shapely.intersects(geoms, shapely.box(*bounds))
        if not keep.any():
            raise InputError(f"no polygon overlaps the scene {scene.name}", path)
        self.geoms = geoms[keep]
        self.indices = np.asarray(indices, dtype=np.uint8)[keep]
        self.tree = shapely.STRtree(self.geoms)
        self.fill = schema.fill_index

    def read(self, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
        """Class indices on the grid; :attr:`fill` outside every polygon."""
        h, w = shape
        box = shapely.box(*rasterio.transform.array_bounds(h, w, transform))
        hits = self.tree.query(box, predicate="intersects")
        if not len(hits):
            return np.full(shape, self.fill, dtype=np.uint8)
        return rasterize(
            zip(self.geoms[hits], self.indices[hits].tolist(), strict=True),
            out_shape=shape,
            transform=transform,
            fill=self.fill,
            dtype="uint8",
        )


def _reproject(geoms: np.ndarray, src: Any, dst: Any, path: Any) -> np.ndarray:
    """``geoms`` from CRS ``src`` into ``dst`` (unchanged when equal or ``src`` is unknown)."""
    if src is None:
        return geoms
    try:
        src_crs, dst_crs = CRS.from_user_input(src), CRS.from_user_input(dst)
        if src_crs == dst_crs:
            return geoms

        def move(xy: np.ndarray) -> np.ndarray:
            x, y = transform_xy(src_crs, dst_crs, xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        out = shapely.transform(geoms, move)
    except Exception as e:  # rasterio raises CRSError or GDAL's CPLE_* errors here
        raise InputError(_no_transform(src, dst), path) from e
    if not np.isfinite(shapely.get_coordinates(out)).all():
        raise InputError(_no_transform(src, dst), path)
    return out


def _no_transform(src: Any, dst: Any) -> str:
    """The one-line message for a CRS that cannot be transformed (long WKT shortened)."""
    text = " ".join(str(src).split())
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"cannot transform its CRS {text} to the scene's {dst}"


class RasterLabels:
    """A label raster on any grid and CRS, read onto scene grids by nearest neighbour.

    Raises:
        InputError: naming the file when its codes (checked on a decimated read) include
            values that are no class and not nodata.
    """

    def __init__(self, scene: Scene, schema: ClassSchema, crs: Any) -> None:
        self.path = scene.labels
        self.crs = crs
        self.fill = schema.fill_index
        try:
            with open_raster(self.path) as src:
                self.nodata = src.nodata
                kind = src.dtypes[0]
                step = max(1, -(-max(src.width, src.height) // CHECK_SIDE))
                sample = src.read(1, out_shape=(src.height // step or 1, src.width // step or 1))
        except rasterio.RasterioIOError as e:
            raise LandcoverIOError(f"cannot read label raster ({e})", self.path) from e
        if np.dtype(kind).kind not in "ui" or np.dtype(kind).itemsize > 2:
            raise InputError(f"label raster is {kind}; it needs 8- or 16-bit codes", self.path)
        self.lut = self._lut(scene, schema, sample)

    def _lut(self, scene: Scene, schema: ClassSchema, sample: np.ndarray) -> np.ndarray:
        lookup = class_lookup(scene, schema)
        codes = np.unique(sample)
        lut = np.full(65536, self.fill, dtype=np.uint8)
        bad = []
        for code in codes.tolist():
            if self.nodata is not None and code == self.nodata:
                continue
            coded = bool(scene.values or schema.values)
            index = _index_of(code, lookup, schema) if coded else None
            if index is None and not coded and code < schema.num_classes:
                index = code
            if index is None:
                bad.append(str(code))
        if bad:
            raise InputError(
                f"label codes {', '.join(bad[:5])} are no class of {schema.name!r}; map them "
                "with 'values:' (or set the raster's nodata)",
                self.path,
            )
        for key, index in lookup.items():
            if isinstance(key, int) and 0 <= key < 65536:
                lut[key] = index
        if not (scene.values or schema.values):
            lut[: schema.num_classes] = np.arange(schema.num_classes)
        if self.nodata is not None and 0 <= self.nodata < 65536:
            lut[int(self.nodata)] = self.fill
        return lut

    def read(self, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
        """Class indices on the grid (nearest neighbour); fill outside the raster and nodata."""
        h, w = shape
        with (
            open_raster(self.path) as src,
            WarpedVRT(
                src,
                crs=self.crs,
                transform=transform,
                width=w,
                height=h,
                resampling=Resampling.nearest,
                nodata=self.nodata if self.nodata is not None else _outside(src),
            ) as vrt,
        ):
            codes = vrt.read(1)
        return self.lut[codes]


def _outside(src: Any) -> int:
    """A code for pixels outside the raster: the dtype's largest value (mapped to fill)."""
    return int(np.iinfo(np.dtype(src.dtypes[0])).max)


def open_labels(
    scene: Scene, schema: ClassSchema, crs: Any, bounds: tuple[float, float, float, float]
) -> LabelSource:
    """The label source of ``scene`` (vector or raster) in ``crs``, checked up front."""
    if scene.is_vector:
        return VectorLabels(scene, schema, crs, bounds)
    return RasterLabels(scene, schema, crs)
