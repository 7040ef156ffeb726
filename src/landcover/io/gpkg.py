"""Every GeoPackage layer landcover writes goes through :func:`write_gpkg_layer`.

It writes GeoPackage :data:`GPKG_VERSION` (1.3), the newest version that GDAL 3.6 and QGIS
3.22 (what Debian stable ships) open without a warning: GDAL 3.6 says "v1.4.0 may only be
partially supported" on every open of a 1.4 file, the version newer GDALs write by default.
pyogrio's per-write ``INFO: Created N records`` log line is silenced here, so it never reaches
a user's console.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from landcover.errors import require_extra
from landcover.io.atomic import TEMP_NAME_WARNING
from landcover.io.logs import quieted

GPKG_VERSION = "1.3"
# GeoPackage's SQLite ``PRAGMA user_version`` for :data:`GPKG_VERSION` (1.3.0 -> 10300).
GPKG_USER_VERSION = 10300


@contextmanager
def quiet_pyogrio() -> Iterator[None]:
    """Silence pyogrio's "Created N records" (logged at INFO for every write) and GDAL's warning
    that a GeoPackage's temporary name (``.tmp``, see :func:`~landcover.io.atomic.reserve_temp`)
    does not end in ``.gpkg``."""
    with quieted("pyogrio"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", TEMP_NAME_WARNING)
        yield


def write_gpkg_layer(
    path: str | Path,
    wkb: np.ndarray,
    values: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    layer: str,
    geometry_type: str,
    crs: str | None,
    append: bool = False,
) -> None:
    """Write (or append to) one layer of a GeoPackage, created at :data:`GPKG_VERSION`.

    Args:
        path: the GeoPackage; a new layer is added when it exists and ``append`` is false.
        wkb: the geometries as WKB.
        values: one array per field.
        names: the field names.
        layer: the layer's name.
        geometry_type: ``"Polygon"``, ``"Point"``...
        crs: the coordinates' CRS (WKT or ``EPSG:n``), or ``None`` (a layer without one).
        append: add the features to an existing ``layer``.
    """
    require_extra("pyogrio", "gis", "writing GeoPackage files")
    import pyogrio.raw  # the [gis] extra, imported only when a GeoPackage is written

    with quiet_pyogrio(), warnings.catch_warnings():
        # A map of a plain picture has no CRS, and its layer none: documented, not a warning.
        warnings.filterwarnings("ignore", "'crs' was not provided")
        pyogrio.raw.write(
            path,
            wkb,
            list(values),
            list(names),
            layer=layer,
            driver="GPKG",
            geometry_type=geometry_type,
            crs=crs,
            promote_to_multi=False,
            append=append,
            dataset_options={"VERSION": GPKG_VERSION},
        )
