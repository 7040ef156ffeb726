"""Write polygon layers batch by batch with pyogrio: GeoPackage, GeoJSON or FlatGeobuf.

Features are appended to a GeoPackage under a temporary name, batch by batch, so that no more
than one batch of geometries is ever in memory. A GeoJSON or FlatGeobuf output (formats that
cannot be appended to) is converted from that GeoPackage at the end, streamed through GDAL's
Arrow interface; GeoJSON is written as RFC 7946 asks: WGS84 longitude/latitude (GDAL
reprojects), counter-clockwise outer rings. The final name appears only once the file is
complete (:mod:`landcover.io.atomic`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from landcover.errors import InputError, require_extra
from landcover.io.atomic import TEMP_NAME_WARNING, publish, reserve_temp

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".fgb": "FlatGeobuf"}


def driver_for(path: str | Path) -> str:
    """The OGR driver for a file name (``.gpkg``, ``.geojson``, ``.fgb``).

    Raises:
        InputError: any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in DRIVERS:
        known = ", ".join(DRIVERS)
        raise InputError(f"unknown polygon format {suffix or '(no suffix)'!r}; use {known}", path)
    return DRIVERS[suffix]


class LayerWriter:
    """Append features to one polygon layer; :meth:`close` publishes the file.

    Args:
        path: the final file (its suffix picks the format, :func:`driver_for`).
        layer: the layer's name.
        crs: the CRS of the coordinates written (WKT or ``EPSG:n``), or ``None``.
    """

    def __init__(self, path: str | Path, layer: str, crs: str | None) -> None:
        require_extra("pyogrio", "gis", "writing polygon files")
        self.path = Path(path)
        self.driver = driver_for(self.path)
        self.layer = layer
        self.crs = crs
        self.count = 0
        self._fields: list[str] | None = None
        self._tmp = reserve_temp(self.path.with_suffix(".gpkg"))
        self._tmp.unlink()  # GDAL creates the GeoPackage itself

    def write(self, wkb: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Append features: WKB polygons and one array per field (same fields every time)."""
        if self._fields is None:
            self._fields = list(columns)
        if not len(wkb) and self._tmp.exists():
            return
        with _quiet_pyogrio(), warnings.catch_warnings():
            # A raster without a CRS gives a layer without one: say nothing of it per batch.
            warnings.filterwarnings("ignore", "'crs' was not provided")
            self._write(wkb, columns)
        self.count += len(wkb)

    def _write(self, wkb: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        import pyogrio.raw

        assert self._fields is not None
        pyogrio.raw.write(
            self._tmp,
            wkb,
            [columns[f] for f in self._fields],
            self._fields,
            layer=self.layer,
            driver="GPKG",
            geometry_type="Polygon",
            crs=self.crs,
            promote_to_multi=False,
            append=self._tmp.exists(),
        )

    def close(self, finish_gpkg: Callable[[Path, str], None] | None = None) -> Path:
        """Finish the file under its final name and return it.

        Args:
            finish_gpkg: called with the temporary GeoPackage and the layer name before it is
                published or converted (to add styles to it).
        """
        if not self._tmp.exists():
            raise RuntimeError("close() before any write()")
        if finish_gpkg is not None and self.driver == "GPKG":
            finish_gpkg(self._tmp, self.layer)
        if self.driver == "GPKG":
            return publish(self._tmp, self.path)
        out = reserve_temp(self.path)
        out.unlink()
        try:
            _convert(self._tmp, out, self.driver, self.layer)
            return publish(out, self.path)
        finally:
            out.unlink(missing_ok=True)
            self._tmp.unlink(missing_ok=True)

    def abort(self) -> None:
        """Remove the unfinished file."""
        self._tmp.unlink(missing_ok=True)


@contextmanager
def _quiet_pyogrio() -> Iterator[None]:
    """Silence pyogrio's "Created N records" (logged at INFO for every batch) and GDAL's warning
    that a GeoPackage's temporary name (``.tmp``, see :func:`~landcover.io.atomic.reserve_temp`)
    does not end in ``.gpkg``."""
    logger = logging.getLogger("pyogrio")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", TEMP_NAME_WARNING)
            yield
    finally:
        logger.setLevel(level)


def _convert(src: Path, dst: Path, driver: str, layer: str) -> None:
    """Stream a GeoPackage layer into another format (no pyarrow needed)."""
    import pyogrio

    options: dict[str, Any] = {"RFC7946": "YES"} if driver == "GeoJSON" else {}
    with (
        _quiet_pyogrio(),
        pyogrio.open_arrow(src, layer=layer, use_pyarrow=False) as (meta, stream),
    ):
        pyogrio.write_arrow(
            stream,
            dst,
            layer=layer,
            driver=driver,
            geometry_type="Polygon",
            geometry_name=meta["geometry_name"] or "geometry",
            crs=meta["crs"],
            layer_options=options,
        )
