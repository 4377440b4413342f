"""Patterns and Trends in a real browser (Debian chromium, offline): the tabs and findings, "Show on map" opening
the map filtered to a finding, and a time range dragged on the Trends chart filtering the dashboard."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import ARTIFACTS, map_frame

pytestmark = pytest.mark.browser

TABS = ["Spikes", "Waves", "Repeated strikes", "Hot spots", "Regions compared"]


def open_page(page, server, name: str, ready: str):
    """Open the dashboard at / (a fresh server only knows the st.navigation pages after the entrypoint ran once),
    then go to ``name`` through the navigation, and wait for ``ready``."""
    page.goto(server.url + "/")
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text(name, exact=True).click()
    try:
        page.locator('[data-testid="stMain"]').get_by_text(ready).first.wait_for(timeout=150_000)   # cold analyses
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"failed_{name.lower()}.png"))
        raise


def settled(page):
    """Wait until the app has finished running (Streamlit's running indicator is gone)."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=150_000)
    return page


def wait_map_title(page, text: str):
    deadline = time.monotonic() + 90
    while True:
        _, frame = map_frame(page)
        try:
            frame.locator(".hm-head").get_by_text(text, exact=False).first.wait_for(timeout=5_000)
            return frame
        except Exception:
            if time.monotonic() > deadline:
                raise


def test_patterns_tabs_findings_and_show_on_map(server, page, artifacts):
    open_page(page, server, "Patterns", "Show on map")
    for name in TABS:
        assert page.get_by_role("tab", name=name).is_visible()
    main = page.locator('[data-testid="stMain"]')
    sumy = re.compile(r"Sumy: \d+ incidents in the week of 2024-03-04")
    spike = main.get_by_text(sumy).first
    assert spike.is_visible()
    assert main.get_by_text("ACLED surge rule", exact=False).first.is_visible()
    settled(page).screenshot(path=str(artifacts / "patterns_spikes.png"))

    page.get_by_role("tab", name="Waves").click()
    wave = main.get_by_text(re.compile(r"2022-10-10: \d+ oblasts hit")).first
    wave.wait_for()
    settled(page).screenshot(path=str(artifacts / "patterns_waves.png"))
    page.get_by_role("tab", name="Repeated strikes").click()
    main.get_by_text(re.compile(r"Odesa, site at 45\.344\d, 28\.84\d\d")).first.wait_for()
    settled(page).screenshot(path=str(artifacts / "patterns_repeats.png"))
    page.get_by_role("tab", name="Regions compared").click()
    main.get_by_text("Homogeneity test:").first.wait_for()
    settled(page).screenshot(path=str(artifacts / "patterns_regions.png"))

    # "Show on map" beside the Sumy spike: the map opens filtered to that oblast and week
    page.get_by_role("tab", name="Spikes").click()
    row = main.locator('[data-testid="stHorizontalBlock"]').filter(has_text=sumy).first
    link = row.locator('[data-testid="stPageLink"] a').first
    link.click()
    page.wait_for_url(re.compile(r"adm1=Sumy"))
    q = parse_qs(urlparse(page.url).query)
    assert q["adm1"] == ["Sumy"] and q["from"] == ["2024-03-04"] and q["to"] == ["2024-03-10"]
    frame = wait_map_title(page, "4 Mar 2024 to 10 Mar 2024")
    head = frame.locator(".hm-head").inner_text()
    assert "oblasts: Sumy" in head
    page.get_by_text("Attacks on civilian infrastructure — 4 Mar 2024 to 10 Mar 2024").first.wait_for()
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("Sumy", exact=True).is_visible()
    settled(page).screenshot(path=str(artifacts / "map_from_spike.png"))


def test_trends_range_selection_filters_the_dashboard(server, page, artifacts):
    open_page(page, server, "Trends", "oblasts with the most")
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Incidents per week in the 8 oblasts with the most").is_visible()
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    settled(page).screenshot(path=str(artifacts / "trends_page.png"))
    selected = re.compile(r"from=\d{4}-\d\d-\d\d")
    for attempt in range(3):
        # the page may still move under a loaded machine (a rerun, charts drawn above): place the drag
        # where the chart is now, and drag again if the first one fell beside it
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        y = box["y"] + box["height"] * 0.5
        x0, x1 = box["x"] + box["width"] * 0.30, box["x"] + box["width"] * 0.45
        page.mouse.move(x0, y)
        page.mouse.down()
        page.mouse.move(x1, y, steps=10)
        page.mouse.up()
        try:
            page.wait_for_url(selected, timeout=20_000 if attempt < 2 else 60_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                page.screenshot(path=str(artifacts / "failed_trends_drag.png"))
                raise
            settled(page)
    q = parse_qs(urlparse(page.url).query)
    d0, d1 = q["from"][0], q["to"][0]
    assert d0 < d1
    title = main.get_by_text(re.compile(r"incidents per week — \d+ \w+ \d{4} to \d+ \w+ \d{4}")).first
    title.wait_for()
    assert "24 Feb 2022" not in title.inner_text()
    settled(page).screenshot(path=str(artifacts / "trends_selected.png"))
    # the whole dashboard follows: the map shows the selected period
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Map", exact=True).click()
    def fmt(iso: str) -> str:
        d = dt.date.fromisoformat(iso)
        return f"{d.day} {d:%b %Y}"

    wait_map_title(page, f"{fmt(d0)} to {fmt(d1)}")
    assert parse_qs(urlparse(page.url).query)["from"] == [d0]
