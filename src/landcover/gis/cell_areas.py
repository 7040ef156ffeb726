"""A raster source for exactextract giving each pixel's ground area, masked where it is nodata.

exactextract weighs partial pixels by their covered fraction; weighting them also by this
source's value turns every sum into true ground square metres, on projected grids (constant
area) and on longitude/latitude grids (area by row, from
:func:`landcover.io.ground.row_pixel_areas`) alike. Import this module only after checking
that exactextract is installed (:func:`landcover.errors.require_extra`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from exactextract.raster import RasterSource
from rasterio.windows import Window


class GroundAreaSource(RasterSource):  # type: ignore[misc]
    """Ground area in m² of each pixel of a rasterio dataset, masked where band 1 is nodata.

    Args:
        ds: an open rasterio dataset (north-up); its band 1 mask decides what is nodata.
        row_areas: ``(height,)`` ground m² of one pixel of each row.
        name: the source's name in exactextract's results.
    """

    def __init__(self, ds: Any, row_areas: np.ndarray, *, name: str = "area") -> None:
        super().__init__()
        self.ds = ds
        self.row_areas = np.asarray(row_areas, dtype=np.float64)
        self.set_name(name)

    def res(self) -> tuple[float, float]:
        """Pixel width and height in map units."""
        b = self.ds.bounds
        return (b.right - b.left) / self.ds.width, (b.top - b.bottom) / self.ds.height

    def srs_wkt(self) -> str | None:
        """The dataset's CRS as WKT."""
        return None if self.ds.crs is None else str(self.ds.crs.wkt)

    def extent(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the dataset."""
        b = self.ds.bounds
        return b.left, b.bottom, b.right, b.top

    def nodata_value(self) -> None:
        """No nodata value: nodata pixels come masked."""
        return None

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ndarray:
        """Pixel areas of a window, masked where the dataset's band 1 is nodata."""
        invalid = (
            self.ds.read_masks(1, window=Window(col_off=x0, row_off=y0, width=nx, height=ny)) == 0
        )
        areas = np.repeat(self.row_areas[y0 : y0 + ny, None], nx, axis=1)
        return np.ma.masked_array(areas, invalid)
