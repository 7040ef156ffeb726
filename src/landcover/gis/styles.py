"""QGIS styles, so that class rasters and polygon layers open with their class names and colours.

- A class raster ``x.tif`` gets ``x.qml`` (QGIS loads a same-named ``.qml`` as the layer's
  default style: a paletted renderer, one entry per class) and ``x.tif.aux.xml``, GDAL's
  sidecar, with the band's category names and a raster attribute table (value, class name,
  red, green, blue) that GDAL, QGIS and ArcGIS read. An ``.aux.xml`` already there keeps its
  other content.
- A polygon layer gets a categorized style on ``class_id``: ``x.qml`` beside the file and, in
  a GeoPackage, a row of the ``layer_styles`` table (the table QGIS itself uses to store styles
  in a GeoPackage), marked as the layer's default.

Colours and names come from the raster's :class:`~landcover.io.legend.Legend`, the single source.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable
from pathlib import Path

from landcover.errors import LandcoverIOError
from landcover.io.atomic import write_text_atomic
from landcover.io.legend import Legend

QGIS_VERSION = "3.34.0-Prizren"
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
# GDAL's raster attribute table codes: field types and usages (gdal.h GDALRATFieldType/Usage).
RAT_INTEGER, RAT_STRING = 0, 2
RAT_MINMAX, RAT_NAME, RAT_RED, RAT_GREEN, RAT_BLUE = 5, 2, 6, 7, 8
OUTLINE_DARKEN = 0.6
# The confidence ramp: probability, colour (ColorBrewer RdYlGn: unsure red, sure green).
CONFIDENCE_RAMP = (
    (0.0, "#d7191c"),
    (0.25, "#fdae61"),
    (0.5, "#ffffbf"),
    (0.75, "#a6d96a"),
    (1.0, "#1a9641"),
)


def _classes(
    legend: Legend, values: Collection[int] | None = None
) -> Iterable[tuple[int, str, tuple[int, int, int]]]:
    """Each class (value, name, colour), or only those among ``values``."""
    for value, name in enumerate(legend.names):
        if values is None or value in values:
            r, g, b = (int(c) for c in legend.colors[value])
            yield value, name, (r, g, b)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _xml(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def raster_qml(legend: Legend, values: Collection[int] | None = None) -> str:
    """A QGIS style (QML) for a class raster: paletted renderer on band 1, one entry a class
    (only the ``values`` given, when given: QGIS's legend lists every entry)."""
    root, renderer = _raster_style("paletted")
    palette = ET.SubElement(renderer, "colorPalette")
    for value, name, rgb in _classes(legend, values):
        ET.SubElement(
            palette, "paletteEntry", value=str(value), color=_hex(rgb), label=name, alpha="255"
        )
    return DOCTYPE + _xml(root)


def _raster_style(renderer_type: str, **attrs: str) -> tuple[ET.Element, ET.Element]:
    """A QML document for band 1 with a ``renderer_type`` renderer (``attrs`` added to it) and
    QGIS's neutral pipe settings; returns the root and the renderer to fill in."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories")
    pipe = ET.SubElement(root, "pipe")
    attrib = {"type": renderer_type, "band": "1", "opacity": "1", "alphaBand": "-1"}
    renderer = ET.SubElement(pipe, "rasterrenderer", {**attrib, **attrs, "nodataColor": ""})
    ET.SubElement(renderer, "rasterTransparency")
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", grayscaleMode="0", colorizeOn="0")
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    return root, renderer


def confidence_qml() -> str:
    """A QGIS style (QML) for a confidence raster (uint8, 255 = probability 1.0, 0 = nodata):
    a red-to-green ramp over 1..255 whose legend reads in probabilities."""
    root, renderer = _raster_style(
        "singlebandpseudocolor", classificationMin="1", classificationMax="255"
    )
    origin = ET.SubElement(renderer, "minMaxOrigin")
    ET.SubElement(origin, "limits").text = "None"  # the fixed 1..255, never a stretch
    ET.SubElement(origin, "extent").text = "WholeRaster"
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader")
    shader.attrib.update(
        colorRampType="INTERPOLATED",
        classificationMode="1",
        clip="0",
        minimumValue="1",
        maximumValue="255",
        labelPrecision="2",
    )
    for p, color in CONFIDENCE_RAMP:
        value = max(1, round(p * 255))
        label = f"probability {p:.2f} (pixel {value})"
        ET.SubElement(shader, "item", value=str(value), color=color, label=label, alpha="255")
    return DOCTYPE + _xml(root)


def write_confidence_style(tif: str | Path) -> list[Path]:
    """Write ``<stem>.qml`` (:func:`confidence_qml`) beside a confidence raster; return it."""
    qml = Path(tif).with_suffix(".qml")
    write_text_atomic(qml, confidence_qml())
    return [qml]


def raster_aux_xml(
    legend: Legend, existing: str | None = None, values: Collection[int] | None = None
) -> str:
    """GDAL's ``.aux.xml`` for a class raster: category names and an attribute table on band 1.

    Args:
        legend: the classes.
        existing: the current ``.aux.xml`` text, whose other content is kept.
        values: the attribute table's rows (default: every class); the category names
            always name every class, so that every value stays named.
    """
    root = ET.fromstring(existing) if existing else ET.Element("PAMDataset")
    band = root.find("PAMRasterBand[@band='1']")
    if band is None:
        band = ET.SubElement(root, "PAMRasterBand", band="1")
    for tag in ("CategoryNames", "GDALRasterAttributeTable"):
        for old in band.findall(tag):
            band.remove(old)
    names = ET.SubElement(band, "CategoryNames")
    rat = ET.SubElement(band, "GDALRasterAttributeTable", tableType="thematic")
    fields = [
        ("Value", RAT_INTEGER, RAT_MINMAX),
        ("Class_Name", RAT_STRING, RAT_NAME),
        ("Red", RAT_INTEGER, RAT_RED),
        ("Green", RAT_INTEGER, RAT_GREEN),
        ("Blue", RAT_INTEGER, RAT_BLUE),
    ]
    for i, (name, kind, usage) in enumerate(fields):
        defn = ET.SubElement(rat, "FieldDefn", index=str(i))
        ET.SubElement(defn, "Name").text = name
        ET.SubElement(defn, "Type").text = str(kind)
        ET.SubElement(defn, "Usage").text = str(usage)
    for name in legend.names:
        ET.SubElement(names, "Category").text = name
    for index, (value, name, rgb) in enumerate(_classes(legend, values)):
        row = ET.SubElement(rat, "Row", index=str(index))
        for cell in (value, name, *rgb):
            ET.SubElement(row, "F").text = str(cell)
    return _xml(root)


def write_raster_style(
    tif: str | Path, legend: Legend, values: Collection[int] | None = None
) -> list[Path]:
    """Write ``<stem>.qml`` and ``<name>.aux.xml`` beside a class raster (see module doc).

    Args:
        tif: the class raster (a GeoTIFF whose band 1 holds class values).
        legend: its classes (:func:`landcover.io.legend.read_legend`).
        values: the values the legend lists (e.g. the from-to codes that occur in a change
            raster); default: every class.

    Returns:
        The two files written.
    """
    tif = Path(tif)
    qml, aux = tif.with_suffix(".qml"), tif.with_name(tif.name + ".aux.xml")
    try:
        existing = aux.read_text(encoding="utf-8") if aux.is_file() else None
        text = raster_aux_xml(legend, existing, values)
    except ET.ParseError:  # an unreadable sidecar is GDAL's to rewrite; start afresh
        text = raster_aux_xml(legend, values=values)
    write_text_atomic(qml, raster_qml(legend, values))
    write_text_atomic(aux, text)
    return [qml, aux]


def _fill_symbol(parent: ET.Element, name: str, rgb: tuple[int, int, int]) -> None:
    """A QGIS simple fill symbol, its properties as both ``Option`` (QGIS >= 3.26 reads
    these) and legacy ``prop`` elements (older QGIS 3)."""
    outline = tuple(int(c * OUTLINE_DARKEN) for c in rgb)
    props = {
        "color": "{},{},{},255".format(*rgb),
        "outline_color": "{},{},{},255".format(*outline),
        "outline_style": "solid",
        "outline_width": "0.1",
        "outline_width_unit": "MM",
        "style": "solid",
        "joinstyle": "bevel",
    }
    symbol = ET.SubElement(
        parent, "symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill"}, enabled="1", locked="0")
    layer.set("pass", "0")
    options = ET.SubElement(layer, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(options, "Option", type="QString", name=k, value=v)
    for k, v in props.items():
        ET.SubElement(layer, "prop", k=k, v=v)


def vector_qml(legend: Legend, attr: str = "class_id") -> str:
    """A QGIS style (QML) for polygons: categorized on ``attr``, one fill colour a class."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type="categorizedSymbol",
        attr=attr,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for value, name, rgb in _classes(legend):
        ET.SubElement(
            categories,
            "category",
            value=str(value),
            type="long",
            symbol=str(value),
            label=name,
            render="true",
        )
        _fill_symbol(symbols, str(value), rgb)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerGeometryType").text = "2"  # polygons
    return DOCTYPE + _xml(root)


LAYER_STYLES_SQL = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"""


def add_gpkg_style(gpkg: str | Path, layer: str, qml: str, description: str = "") -> None:
    """Store ``qml`` as the default style of ``layer`` in the GeoPackage's ``layer_styles``.

    The table is created as QGIS creates it, and registered in ``gpkg_contents`` as an
    attribute table; an earlier default style of the layer stops being the default.

    Raises:
        LandcoverIOError: the file is not a GeoPackage holding ``layer``.
    """
    import sqlite3  # lazy: a plain predict run does not need it (start-up time)

    try:
        with sqlite3.connect(gpkg) as db:
            found = db.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
            ).fetchone()
            if found is None:
                raise LandcoverIOError(f"no layer {layer!r} in this GeoPackage", gpkg)
            db.execute(LAYER_STYLES_SQL)
            db.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                "description, last_change) VALUES ('layer_styles', 'attributes', "
                "'layer_styles', 'QGIS layer styles', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
            )
            db.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (layer,))
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)",
                (layer, found[0], layer, qml, description),
            )
        db.close()
    except sqlite3.DatabaseError as e:
        raise LandcoverIOError(f"cannot store the style in this GeoPackage ({e})", gpkg) from e


def write_vector_style(path: str | Path, layer: str, legend: Legend) -> list[Path]:
    """Style a polygon file by ``class_id``: ``<stem>.qml`` beside it, and in a GeoPackage
    the layer's default style in ``layer_styles``.

    Args:
        path: a ``.gpkg``, ``.geojson`` or ``.fgb`` file with a ``class_id`` field.
        layer: the layer's name.
        legend: the classes.

    Returns:
        The sidecar ``.qml`` written.
    """
    path = Path(path)
    qml = vector_qml(legend)
    if path.suffix.lower() == ".gpkg":
        add_gpkg_style(path, layer, qml, "landcover classes")
    sidecar = path.with_suffix(".qml")
    write_text_atomic(sidecar, qml)
    return [sidecar]
