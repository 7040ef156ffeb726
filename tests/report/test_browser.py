"""The report in a real browser: Debian's Chromium (``/usr/bin/chromium``, installed by
``.ci/run``) driven by Playwright from PyPI, opening ``index.html`` from ``file://``.

The run folder is :mod:`tests.report.synthetic`'s: blocks of known classes, so the map canvas
must show each class's colour exactly where the class raster has it, the legend must carry
``areas.csv``'s hectares and a click must name the class under it. One browser per module;
each test opens the page afresh (about a second).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from landcover.report import write_evaluation_report, write_run_report
from landcover.schema import DEEPGLOBE
from tests.report.synthetic import (
    GEO_BLOCKS,
    GSD,
    IMAGE_GREY,
    ORIGIN,
    PLAIN,
    PLAIN_BLOCKS,
    Block,
    geo_labels,
    write_run,
)
from tests.report.test_evaluate_report import write_evaluation

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium "
        "(apt-get install --no-install-recommends chromium; .ci/run does it)",
    ),
    pytest.mark.timeout(120),
]
TOLERANCE = 2  # per RGB channel; the class layer is drawn without interpolation


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM))
        yield b
        b.close()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = write_run(tmp_path_factory.mktemp("report"))
    write_run_report(run, model="tiny-test-model", progress=False)
    return run


class Page:
    """A browser page on a report, recording every problem: console errors, script errors,
    failed requests and any request that is not to a local file."""

    def __init__(self, browser: Any, page_path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.requests: list[str] = []
        pg = self.page
        pg.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        pg.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        pg.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        pg.on("request", lambda r: self.requests.append(r.url))
        pg.goto(page_path.as_uri())

    def wait_scene(self, index: int) -> None:
        """Wait until scene ``index`` is drawn and its class raster decoded."""
        self.page.wait_for_selector(
            f"#map[data-scene='{index}'][data-data-ready='{index}'][data-renders]", timeout=10000
        )
        self.rendered()

    def rendered(self) -> None:
        """Force a render and wait until it is complete (every image drawn)."""
        self.page.evaluate(
            "() => new Promise((resolve) => { const m = window.landcoverViewer.map;"
            " m.once('rendercomplete', () => resolve(true)); m.render(); })"
        )

    def set_input(self, element_id: str, value: str | bool) -> None:
        """Set a range's value or a checkbox's state as a user would, then wait for the map."""
        self.page.evaluate(
            """([id, value]) => { const el = document.getElementById(id);
               if (el.type === 'checkbox') { el.checked = value;
                 el.dispatchEvent(new Event('change')); }
               else { el.value = value; el.dispatchEvent(new Event('input')); } }""",
            [element_id, value],
        )
        self.rendered()

    def screen_points(self, coords: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
        """Map coordinates to pixels of the map viewport."""
        pts = self.page.evaluate(
            "cs => cs.map(c => window.landcoverViewer.map.getPixelFromCoordinate(c))",
            [list(c) for c in coords],
        )
        return [(int(x), int(y)) for x, y in pts]

    def map_pixels(self) -> np.ndarray:
        """A screenshot of the map viewport, ``(h, w, 3)`` uint8."""
        png = self.page.locator("#map .ol-viewport").screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(browser: Any, run_dir: Path) -> Iterator[Page]:
    p = Page(browser, run_dir / "index.html")
    p.wait_scene(0)
    yield p
    p.close()


def geo_coord(col: float, row: float) -> tuple[float, float]:
    """Map coordinate of a fractional (column, row) of the ``geo`` scene."""
    return ORIGIN[0] + col * GSD, ORIGIN[1] - row * GSD


def plain_coord(col: float, row: float) -> tuple[float, float]:
    """Map coordinate of a (column, row) of a scene without georeferencing."""
    return col, -row


def probe_points(b: Block) -> list[tuple[float, float]]:
    """(column, row) points inside a block: its centre and half a pixel in from two corners."""
    return [b.centre(), (b.c0 + 0.5, b.r0 + 0.5), (b.c1 - 0.5, b.r1 - 0.5)]


def colour_mismatches(
    p: Page, blocks: Sequence[Block], to_map: Any, expect: Any = None
) -> list[str]:
    """Where the map screenshot differs from the expected colour of each block's points."""
    shot = p.map_pixels()
    problems = []
    for b in blocks:
        want = np.array(expect(b) if expect else DEEPGLOBE.colors[b.index])
        pts = probe_points(b)
        for (col, row), (x, y) in zip(pts, p.screen_points([to_map(*q) for q in pts]), strict=True):
            got = shot[y, x]
            if np.abs(got.astype(int) - want).max() > TOLERANCE:
                problems.append(
                    f"{b.name} at col {col} row {row}: {got.tolist()} != {want.tolist()}"
                )
    return problems


def test_page_loads_from_file_with_no_error_and_no_network(page: Page) -> None:
    assert page.problems == []
    assert page.requests and all(u.startswith(("file:", "data:", "blob:")) for u in page.requests)
    assert page.page.title() == "Land cover: run"
    assert page.page.locator("#scene-select option").count() == 2


def test_map_canvas_shows_the_class_colours_where_the_raster_has_them(page: Page) -> None:
    page.set_input("opacity", "100")
    assert colour_mismatches(page, GEO_BLOCKS, geo_coord) == []
    assert page.problems == []


def test_pixel_check_fails_on_a_map_with_wrong_colours(browser: Any, tmp_path: Path) -> None:
    """A colour PNG that does not match its class raster (mirrored) must be caught."""
    from landcover.inference.writers import write_color_png

    run = write_run(tmp_path, extras=False, plain=False)
    write_color_png(run / "geo_color.png", np.fliplr(geo_labels()), DEEPGLOBE.palette)
    write_run_report(run, progress=False)
    p = Page(browser, run / "index.html")
    try:
        p.wait_scene(0)
        p.set_input("opacity", "100")
        wrong = colour_mismatches(p, GEO_BLOCKS, geo_coord)
    finally:
        p.close()
    assert len(wrong) == 3 * len(GEO_BLOCKS)


def test_toggle_and_swipe_show_the_image_under_the_class_map(page: Page) -> None:
    page.set_input("opacity", "100")
    page.set_input("show-classes", False)
    page.set_input("show-polygons", False)  # their fill is tinted with the class colour
    grey = [IMAGE_GREY] * 3
    assert colour_mismatches(page, GEO_BLOCKS, geo_coord, lambda b: grey) == []
    page.set_input("show-classes", True)
    page.set_input("swipe", "50")  # image left of the middle of the map, classes right of it
    shot = page.map_pixels()
    (xl, yl), (xr, yr) = page.screen_points([geo_coord(10, 5), geo_coord(30, 5)])
    assert xl < shot.shape[1] / 2 < xr
    assert np.abs(shot[yl, xl].astype(int) - IMAGE_GREY).max() <= TOLERANCE + 6  # JPEG
    assert shot[yr, xr].tolist() == list(DEEPGLOBE.colors[4])


def test_scene_without_georeferencing_in_pixel_coordinates(page: Page) -> None:
    page.page.select_option("#scene-select", "1")
    page.wait_scene(1)
    page.set_input("opacity", "100")
    assert colour_mismatches(page, PLAIN_BLOCKS, plain_coord) == []
    nodata = Block("urban_land", 0, 16, 0, 2)  # columns 0-1 are nodata: the image shows
    grey = [IMAGE_GREY] * 3
    assert colour_mismatches(page, [nodata], plain_coord, lambda b: grey) == []
    assert "pixel coordinates" in page.page.inner_text("#scene-crs")
    assert page.page.is_disabled("#show-doubt") and page.page.is_disabled("#show-polygons")


def test_legend_hectares_equal_areas_csv(page: Page, run_dir: Path) -> None:
    with (run_dir / "areas.csv").open(newline="") as f:
        rows = {r["class"]: r for r in csv.DictReader(f) if r["output"] == "geo"}
    items = page.page.locator("#legend li")
    assert items.count() == len(rows) == DEEPGLOBE.num_classes
    for i in range(items.count()):
        item = items.nth(i)
        name = item.get_attribute("data-class")
        want = float(rows[name]["hectares"])
        assert float(item.get_attribute("data-hectares")) == pytest.approx(want, abs=1e-6)
        assert item.locator(".ha").inner_text() == f"{want:,.2f} ha"
    water = page.page.locator("#legend li[data-class='water'] .ha").inner_text()
    assert water == "4.00 ha"


def click_map(page: Page, coord: tuple[float, float]) -> Any:
    """Click the map at a map coordinate; return the #pick box once it names a class."""
    ((x, y),) = page.screen_points([coord])
    before = page.page.get_attribute("#pick", "data-class")
    page.page.locator("#map .ol-viewport").click(position={"x": x, "y": y})
    page.page.wait_for_function(
        "b => document.getElementById('pick').dataset.class !== b", arg=before or ""
    )
    return page.page.locator("#pick")


def test_click_tells_the_class_confidence_and_polygon(page: Page) -> None:
    forest = click_map(page, geo_coord(5.5, 15.5))
    assert forest.get_attribute("data-class") == "forest_land"
    assert forest.locator(".pick-class").inner_text() == "forest_land"
    assert forest.locator(".pick-confidence").inner_text() == "confidence 90 %"  # 230 / 255
    pytest.importorskip("pyogrio")
    assert forest.locator(".pick-polygon").inner_text() == "polygon 1.60 ha"
    water = click_map(page, geo_coord(35.5, 2.5))
    assert water.get_attribute("data-class") == "water"
    assert water.locator(".pick-confidence").inner_text() == "confidence 47 %"  # 120 / 255
    assert page.problems == []


def test_polygons_and_confidence_layers(page: Page) -> None:
    pytest.importorskip("pyogrio")
    count = page.page.evaluate(
        "() => window.landcoverViewer.layers.polygons.getSource().getFeatures().length"
    )
    assert count == len(GEO_BLOCKS)
    assert page.page.is_enabled("#show-doubt")
    page.set_input("opacity", "100")
    page.set_input("show-polygons", False)
    page.set_input("show-doubt", True)  # more opaque where less confident: water more tinted
    shot = page.map_pixels()
    (xw, yw), (xa, ya) = page.screen_points([geo_coord(30, 10), geo_coord(10, 5)])
    water, agri = np.array(DEEPGLOBE.colors[4]), np.array(DEEPGLOBE.colors[1])
    assert np.abs(shot[yw, xw] - water).sum() > np.abs(shot[ya, xa] - agri).sum() > 0


def test_scene_table_sorts_and_shows_a_scene(page: Page) -> None:
    pg = page.page
    stems = lambda: pg.locator("#scene-table tbody tr td:first-child").all_inner_texts()  # noqa: E731
    assert stems() == ["geo", PLAIN]
    pg.click("#scene-table thead th:has-text('scene')")
    pg.click("#scene-table thead th:has-text('scene')")
    assert stems() == [PLAIN, "geo"]
    pg.click("#scene-table tbody tr[data-scene='1']")
    page.wait_scene(1)
    assert pg.locator("#legend li[data-class='barren_land'] .ha").inner_text() == "–"


def test_evaluation_report_page(browser: Any, tmp_path: Path) -> None:
    out = write_evaluation(tmp_path / "eval")
    write_evaluation_report(out)
    p = Page(browser, out / "index.html")
    try:
        pg = p.page
        pg.wait_for_load_state("load")
        pg.evaluate("() => document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        pg.wait_for_function(
            "() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )
        assert pg.locator(".gallery img").count() == 2
        assert pg.locator("#confusion-matrix td[data-count]").count() == 9
        assert pg.locator(".metric[data-metric='mIoU'] .value").inner_text() == "50.0 %"
        pg.click("#images thead th:has-text('miou')")
        assert pg.locator("#images tbody tr td:first-child").first.inner_text() == "b.jpg"
        assert p.problems == []
    finally:
        p.close()
