"""The map's layers, controls and URL state in a real browser (Debian chromium), offline.

Drawing is done with real mouse events on the map iframe (Leaflet.draw's rectangle tool), not by calling
the draw handler from script.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import (
    ROOT,
    Server,
    expected_count,
    map_frame,
    only_tiles_were_blocked,
    serving,
    wait_map,
    wait_until,
)
from tests.conftest import need

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


def wait_settled(page, what: str = "the map to settle", timeout: float = 150, quiet: float = 2.0):
    """Until the app is idle and the same map has been showing for ``quiet`` seconds (polled): after its
    first view report the page reruns, and a view-dependent map may be rebuilt once; a click before that
    can land on a map about to be replaced. The map is marked when first seen, so a re-created map
    (same iframe or a new one) starts the quiet period again."""
    state = {"since": None, "why": ""}

    def settled():
        status = page.locator('[data-testid="stStatusWidget"]')
        if status.count() and status.first.is_visible():
            state["since"], state["why"] = None, "app running"
            return False
        iframe, _ = map_frame(page)
        inner = iframe.element_handle(timeout=5_000).content_frame()
        was = inner.evaluate("() => { if (!window.map) return null; const was = !!window.map.__hmSeen; "
                             "window.map.__hmSeen = true; return was; }")
        if not was or not inner.locator(".hm-legend").count():
            state["since"], state["why"] = None, "map (re)created"
            return False
        state["since"] = state["since"] or time.monotonic()
        state["why"] = "quiet"
        return time.monotonic() - state["since"] >= quiet

    try:
        wait_until(settled, what, timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {state['why']}") from None


def click_topmost(page, selector: str) -> None:
    """Click the first element matching ``selector`` in the map that is on top at its own centre (not
    under the legend, the title or a control, nor outside the map's view)."""
    iframe, frame = map_frame(page)
    inner = iframe.element_handle(timeout=5_000).content_frame()
    i = inner.evaluate("""(sel) => { const els = Array.from(document.querySelectorAll(sel));
        return els.findIndex(el => { const r = el.getBoundingClientRect();
            if (!r.width || !r.height) return false;
            return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el; }); }""", selector)
    assert i >= 0, f"no {selector} on top at its centre"
    frame.locator(selector).nth(i).click(force=True)


def test_clicking_a_hexagon_filters_to_its_cell(server, page):
    page.goto(server.url + "/")
    wait_map(page, "Incidents per hexagon")
    wait_settled(page)
    click_topmost(page, "path.leaflet-interactive")
    page.wait_for_url(re.compile(r"h3="))
    cell = params(page)["h3"]
    n = expected_count(h3_cells=(cell,))
    wait_map(page, f"{n:,} incident")


# raions, playback, layer ticks ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raion_server(tmp_path_factory, chromium_ok):
    """A dashboard server with oblast and raion boundaries (geoBoundaries ADM1 and ADM2) configured."""
    from harmmap import paths

    src = paths.SHARED_DATASETS / "boundaries"
    need((src / "geoBoundaries-UKR-ADM2_simplified.geojson").is_file(), f"{src} (geoBoundaries ADM1/ADM2)")
    tmp = tmp_path_factory.mktemp("raions")
    bdir = tmp / "boundaries"
    for level in (1, 2):
        subprocess.run([sys.executable, "-m", "harmmap", "boundaries", "load",
                        str(src / f"geoBoundaries-UKR-ADM{level}_simplified.geojson"), "--level", str(level)],
                       cwd=ROOT, env={**__import__("os").environ, "HARMMAP_BOUNDARIES_DIR": str(bdir)}, check=True,
                       capture_output=True)
    srv = Server(tmp, bdir)
    yield from serving(srv)


def test_raion_choropleth_and_a_click_on_a_raion_filters_to_it(raion_server, page, artifacts):
    page.goto(raion_server.url + "/?mode=raions&share=energy")
    iframe, frame = wait_map(page, "Share that hit: Energy")
    assert "Raions coloured by share" in frame.locator(".hm-legend").inner_text()
    # the legend is HTML in the page; Leaflet draws the raions' paths after it (under load, later)
    frame.locator("path.leaflet-interactive").nth(399).wait_for(state="attached")
    assert frame.locator("path.leaflet-interactive").count() >= 400        # 495 raions and cities
    assert re.search(r"[\d,]+ incidents in [\d,]+ raions", frame.locator(".hm-head").inner_text())
    wait_settled(page)
    page.screenshot(path=str(artifacts / "map_raions_share.png"))
    page.goto(raion_server.url + "/?mode=raions")
    iframe, frame = wait_map(page, "Incidents per raion")
    wait_settled(page)
    # a raion with incidents (its fill is not the 'none' grey)
    click_topmost(page, 'path.leaflet-interactive:not([fill="#f2f2f0"])')
    page.wait_for_url(re.compile(r"poly="))
    poly = params(page)["poly"]
    iframe, frame = wait_map(page, "within raion")
    n = expected_count(polygon_wkt=poly)
    head = frame.locator(".hm-head").inner_text()
    assert n > 0 and f"{n:,} incident" in head, (head, n)
    assert page.get_by_role("button", name=re.compile("Clear raion")).is_visible()
    page.screenshot(path=str(artifacts / "map_raion_clicked.png"))
    only_tiles_were_blocked(page)


def _slider_value(page) -> str:
    return page.locator('[data-testid="stSliderThumbValue"]').first.inner_text()


def test_the_play_button_steps_through_the_weeks(server, page, artifacts):
    page.goto(server.url + "/?adm1=Kharkiv")
    wait_map(page, "What was hit")
    page.get_by_role("button", name=re.compile("Time playback")).click()
    page.get_by_text("Step through weeks").click()
    page.get_by_role("button", name=re.compile("^.*Play$")).wait_for()
    page.keyboard.press("Escape")                  # close the popover
    first = _slider_value(page)
    iframe, frame = wait_map(page, "What was hit")

    def head():
        return map_frame(page)[1].locator(".hm-head").inner_text()

    before = wait_until(lambda: (h := head()) and h, "the map's title")
    page.get_by_role("button", name=re.compile("^.*Play$")).click()
    page.get_by_role("button", name=re.compile("^.*Pause$")).wait_for()
    # the week label moves on by itself, and the map follows it (its title gives the week's dates)
    second = wait_until(lambda: (v := _slider_value(page)) != first and v, "the week to move on")
    wait_until(lambda: (v := _slider_value(page)) not in (first, second) and v, "another week")
    wait_until(lambda: head() != before, "the map to show another week")
    page.screenshot(path=str(artifacts / "map_playback.png"))
    page.get_by_role("button", name=re.compile("^.*Pause$")).click()
    page.get_by_role("button", name=re.compile("^.*Play$")).wait_for()
    assert _slider_value(page) != first
    only_tiles_were_blocked(page)


def test_layer_ticks_go_to_the_url_and_come_back(server, page, artifacts):
    page.goto(server.url + "/?adm1=Kyiv")
    iframe, frame = wait_map(page, "What was hit")
    wait_settled(page)
    iframe, frame = wait_map(page, "What was hit")
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-expanded").wait_for()
    frame.get_by_text("Oblast outlines").click()
    page.wait_for_url(re.compile(r"hide=outlines"))
    url = page.url
    assert "view=" in url
    page.goto(url)                                   # a reload, or the link shared
    iframe, frame = wait_map(page, "What was hit")
    inner = iframe.element_handle().content_frame()
    inner.wait_for_function("() => window.map && document.querySelectorAll('.leaflet-control-layers-overlays "
                            "input').length > 0")
    label = frame.locator(".leaflet-control-layers-overlays label", has_text="Oblast outlines")
    assert not label.locator("input").is_checked()
    assert frame.locator(".leaflet-control-layers-overlays label", has_text="Incidents").locator("input").is_checked()
    assert "hide=outlines" in page.url
    page.screenshot(path=str(artifacts / "map_ticks_from_url.png"))
