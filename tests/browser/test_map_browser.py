"""The map's layers, controls and URL state in a real browser (Debian chromium), offline.

Drawing is done with real mouse events on the map iframe (Leaflet.draw's rectangle tool), not by calling
the draw handler from script.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import expected_count, only_tiles_were_blocked, wait_map

pytestmark = pytest.mark.browser

def params(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_controls_are_there_and_local(server, page, artifacts):
    page.goto(server.url + "/?adm1=Kyiv")
    iframe, frame = wait_map(page, "What was hit")
    for sel in (".leaflet-control-layers", ".leaflet-control-zoom-fullscreen", ".leaflet-control-measure",
                ".leaflet-draw-draw-rectangle", ".leaflet-draw-draw-polygon", ".leaflet-control-minimap",
                ".leaflet-control-scale"):
        frame.locator(sel).first.wait_for(state="visible", timeout=20_000)
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-expanded").wait_for()
    labels = frame.locator(".leaflet-control-layers-list").inner_text()
    assert "Incidents" in labels and "Oblast outlines" in labels
    page.screenshot(path=str(artifacts / "map_controls.png"))
    only_tiles_were_blocked(page)


def test_a_drawn_rectangle_filters_and_can_be_cleared(server, page, artifacts):
    page.goto(server.url + "/?adm1=Kyiv")
    iframe, frame = wait_map(page, "What was hit")
    frame.locator(".leaflet-draw-draw-rectangle").click()
    box = iframe.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.30, box["y"] + box["height"] * 0.35
    x1, y1 = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.65
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=10)
    page.mouse.up()
    page.wait_for_url(re.compile(r"bbox="))
    bbox = tuple(float(v) for v in params(page)["bbox"].split(","))
    n = expected_count(admin1=("Kyiv",), bbox=bbox)
    iframe, frame = wait_map(page, "within a drawn area")
    head = frame.locator(".hm-head").inner_text()
    assert f"{n:,} incident" in head, (head, n)
    assert n < expected_count(admin1=("Kyiv",))
    page.screenshot(path=str(artifacts / "map_drawn_rectangle.png"))
    page.get_by_role("button", name=re.compile("Clear drawn area")).click()
    page.wait_for_url(lambda u: "bbox=" not in u)
    wait_map(page, f"{expected_count(admin1=('Kyiv',)):,} incident")
    only_tiles_were_blocked(page)


def test_the_url_restores_the_view(server, page, artifacts):
    page.goto(server.url + "/?adm1=Kharkiv&view=49.9935,36.2304,11&basemap=none")
    iframe, frame = wait_map(page, "What was hit")
    inner = iframe.element_handle().content_frame()
    inner.wait_for_function("() => window.map && window.map.getZoom() === 11")
    lat, lng, zoom = inner.evaluate("() => [map.getCenter().lat, map.getCenter().lng, map.getZoom()]")
    assert abs(lat - 49.9935) < 0.01 and abs(lng - 36.2304) < 0.01 and zoom == 11
    # the view the browser reports is written back to the URL (and the basemap choice kept)
    page.wait_for_url(re.compile(r"view=49\.99\d*%2C36\.23\d*%2C11|view=49\.99\d*,36\.23\d*,11"))
    assert params(page)["basemap"] == "none"
    page.screenshot(path=str(artifacts / "map_view_from_url.png"))
    only_tiles_were_blocked(page)


def test_heat_and_oblast_modes_from_the_url(server, page, artifacts):
    page.goto(server.url + "/?mode=heat&weight=fatalities")
    iframe, frame = wait_map(page, "Heat: fatalities")
    frame.locator("canvas.leaflet-heatmap-layer").first.wait_for()
    page.screenshot(path=str(artifacts / "map_heat.png"))
    page.goto(server.url + "/?mode=oblasts&share=energy")
    iframe, frame = wait_map(page, "Share that hit: Energy")
    assert frame.locator("path.leaflet-interactive").count() >= 20
    page.screenshot(path=str(artifacts / "map_oblasts_share.png"))
    only_tiles_were_blocked(page)


def test_clicking_an_oblast_filters_to_it(server, page):
    page.goto(server.url + "/?mode=oblasts")
    iframe, frame = wait_map(page, "Incidents per oblast")
    shape = frame.locator("path.leaflet-interactive").nth(3)
    shape.click(force=True)
    page.wait_for_url(re.compile(r"adm1="))
    name = params(page)["adm1"]
    wait_map(page, f"oblasts: {name}")
    assert page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).is_visible()


def test_clicking_a_hexagon_filters_to_its_cell(server, page):
    page.goto(server.url + "/")
    iframe, frame = wait_map(page, "Incidents per hexagon")
    frame.locator("path.leaflet-interactive").first.click(force=True)
    page.wait_for_url(re.compile(r"h3="))
    cell = params(page)["h3"]
    n = expected_count(h3_cells=(cell,))
    wait_map(page, f"{n:,} incident")
