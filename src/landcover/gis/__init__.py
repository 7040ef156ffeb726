"""GIS outputs: polygons, land cover per region, change between dates, QGIS styles."""
