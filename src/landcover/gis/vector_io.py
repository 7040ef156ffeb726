"""Write polygon layers batch by batch with pyogrio: GeoPackage, GeoJSON or FlatGeobuf.

Features are appended to a GeoPackage under a temporary name, batch by batch, so that no more
than one batch of geometries is ever in memory. A GeoJSON or FlatGeobuf output (formats that
cannot be appended to) is converted from that GeoPackage at the end, streamed through GDAL's
Arrow interface; GeoJSON is written as RFC 7946 asks: WGS84 longitude/latitude (GDAL
reprojects), counter-clockwise outer rings. The final name appears only once the file is
complete (:mod:`landcover.io.atomic`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from landcover.errors import InputError, require_extra
from landcover.io.atomic import publish, reserve_temp
from landcover.io.gpkg import quiet_pyogrio, write_gpkg_layer

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
        assert self._fields is not None
        write_gpkg_layer(
            self._tmp,
            wkb,
            [columns[f] for f in self._fields],
            self._fields,
            layer=self.layer,
            geometry_type="Polygon",
            crs=self.crs,
            append=self._tmp.exists(),
        )
        self.count += len(wkb)

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


def _convert(src: Path, dst: Path, driver: str, layer: str) -> None:
    """Stream a GeoPackage layer into another format (no pyarrow needed)."""
    import pyogrio  # [gis] extra: lazy

    options: dict[str, Any] = {"RFC7946": "YES"} if driver == "GeoJSON" else {}
    with (
        quiet_pyogrio(),
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
