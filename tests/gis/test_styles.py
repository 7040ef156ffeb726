"""QGIS styles: the .qml, .aux.xml and GeoPackage layer_styles written, parsed back."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.shutil

from landcover.errors import LandcoverIOError
from landcover.gis.styles import confidence_qml, write_raster_style, write_vector_style
from landcover.io.legend import legend_of_schema, read_legend
from landcover.schema import DEEPGLOBE
from tests.gis.test_vectorize import island, write_classes

LEGEND = legend_of_schema(DEEPGLOBE)
NAMES = list(DEEPGLOBE.classes)
HEX = ["#{:02x}{:02x}{:02x}".format(*(int(v) for v in c)) for c in DEEPGLOBE.palette]


def test_raster_qml_is_a_paletted_style_of_the_schema(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "m_classes.tif", island())
    qml, aux = write_raster_style(tif, read_legend(tif))
    assert qml == tmp_path / "m_classes.qml" and aux == tmp_path / "m_classes.tif.aux.xml"
    assert qml.read_text().startswith("<!DOCTYPE qgis")
    renderer = ET.parse(qml).getroot().find("pipe/rasterrenderer")
    assert renderer is not None
    assert (renderer.get("type"), renderer.get("band")) == ("paletted", "1")
    entries = renderer.findall("colorPalette/paletteEntry")
    assert [e.get("value") for e in entries] == [str(i) for i in range(len(NAMES))]
    assert [e.get("label") for e in entries] == NAMES
    assert [e.get("color") for e in entries] == HEX
    assert {e.get("alpha") for e in entries} == {"255"}


def test_aux_xml_category_names_and_attribute_table_read_by_gdal(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "m_classes.tif", island())
    _, aux = write_raster_style(tif, LEGEND)
    band = ET.parse(aux).getroot().find("PAMRasterBand[@band='1']")
    assert band is not None
    assert [c.text for c in band.findall("CategoryNames/Category")] == NAMES
    rows = [[f.text for f in row.findall("F")] for row in band.iter("Row")]
    expected = [
        [str(i), n, *(str(int(v)) for v in DEEPGLOBE.palette[i])] for i, n in enumerate(NAMES)
    ]
    assert rows == expected
    # GDAL reads the sidecar: its ENVI driver writes the band's category names as class names,
    # and the attribute table it parsed into the copy's own .aux.xml.
    with rasterio.open(tif) as src:
        assert src.read(1).shape == (10, 10) and src.tags()["LANDCOVER_SCHEMA"] == "deepglobe"
        rasterio.shutil.copy(src, tmp_path / "copy.envi", driver="ENVI")
    header = (tmp_path / "copy.hdr").read_text()
    found = re.search(r"class names = \{([^}]*)\}", header)
    assert found and [n.strip() for n in found.group(1).split(",")] == NAMES
    copied = ET.parse(tmp_path / "copy.envi.aux.xml").getroot()
    assert [f.text for f in copied.iter("F")][:2] == ["0", "urban_land"]


def test_aux_xml_keeps_what_was_there(tmp_path: Path) -> None:
    tif = write_classes(tmp_path / "k.tif", island())
    aux = tmp_path / "k.tif.aux.xml"
    aux.write_text(
        '<PAMDataset><PAMRasterBand band="1"><CategoryNames><Category>old</Category>'
        '</CategoryNames><Metadata><MDI key="STATISTICS_MEAN">0.5</MDI></Metadata>'
        "</PAMRasterBand></PAMDataset>"
    )
    write_raster_style(tif, LEGEND)
    band = ET.parse(aux).getroot().find("PAMRasterBand")
    assert band is not None
    assert [c.text for c in band.findall("CategoryNames/Category")] == NAMES
    with rasterio.open(tif) as src:
        assert src.tags(1)["STATISTICS_MEAN"] == "0.5"


def test_vector_style_sidecar_and_geopackage_layer_styles(tmp_path: Path) -> None:
    pytest.importorskip("pyogrio")
    from landcover.gis.vectorize import vectorize

    tif = write_classes(tmp_path / "m_classes.tif", island())
    result = vectorize(tif, tmp_path / "m.gpkg")
    (sidecar,) = result.styles
    assert sidecar == tmp_path / "m.qml"
    renderer = ET.parse(sidecar).getroot().find("renderer-v2")
    assert renderer is not None
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "class_id")
    cats = renderer.findall("categories/category")
    assert [(c.get("value"), c.get("label")) for c in cats] == list(
        zip([str(i) for i in range(len(NAMES))], NAMES, strict=True)
    )
    colors = {
        s.get("name"): s.find("layer/Option/Option[@name='color']").get("value")  # type: ignore[union-attr]
        for s in renderer.findall("symbols/symbol")
    }
    assert [colors[c.get("symbol")] for c in cats] == [
        "{},{},{},255".format(*(int(v) for v in c)) for c in DEEPGLOBE.palette
    ]
    with sqlite3.connect(tmp_path / "m.gpkg") as db:
        rows = db.execute(
            "SELECT f_table_name, f_geometry_column, styleName, useAsDefault, styleQML "
            "FROM layer_styles"
        ).fetchall()
        contents = db.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchall()
    db.close()
    assert len(rows) == 1
    table, geom, name, default, qml = rows[0]
    assert (table, geom, name, default) == ("m", "geom", "m", 1)
    assert qml == sidecar.read_text()
    assert contents == [("attributes",)]


def test_vector_style_again_replaces_the_default(tmp_path: Path) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    import shapely

    gpkg = tmp_path / "p.gpkg"
    wkb = shapely.to_wkb(np.array([shapely.box(0, 0, 1, 1)]))
    pyogrio.raw.write(
        gpkg,
        wkb,
        [np.array([1])],
        ["class_id"],
        layer="p",
        geometry_type="Polygon",
        crs="EPSG:3857",
    )
    write_vector_style(gpkg, "p", LEGEND)
    write_vector_style(gpkg, "p", LEGEND)
    with sqlite3.connect(gpkg) as db:
        defaults = db.execute("SELECT useAsDefault FROM layer_styles ORDER BY id").fetchall()
    db.close()
    assert defaults == [(0,), (1,)]
    with pytest.raises(LandcoverIOError, match="no layer 'nope'"):
        write_vector_style(gpkg, "nope", LEGEND)


def test_confidence_qml_is_a_fixed_0_to_1_ramp_labelled_in_probabilities() -> None:
    root = ET.fromstring(confidence_qml().split("\n", 1)[1])
    renderer = root.find("pipe/rasterrenderer")
    assert renderer is not None and renderer.get("type") == "singlebandpseudocolor"
    assert (renderer.get("classificationMin"), renderer.get("classificationMax")) == ("1", "255")
    assert renderer.findtext("minMaxOrigin/limits") == "None"  # never a per-view stretch
    items = renderer.findall("rastershader/colorrampshader/item")
    assert [i.get("value") for i in items] == ["1", "64", "128", "191", "255"]
    assert items[0].get("label") == "probability 0.00 (pixel 1)"
    assert items[-1].get("label") == "probability 1.00 (pixel 255)"
    assert len({i.get("color") for i in items}) == 5
