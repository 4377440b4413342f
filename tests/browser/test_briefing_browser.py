"""The Briefing page in a real browser (Debian chromium): presentation mode at 1920x1080 and 1280x720 (no
sidebar or chrome; title, legend and attribution inside the frame; nothing cut off), the toggle, and a
shared URL opened in a fresh browser context showing the same view."""

from __future__ import annotations

import pytest

from tests.browser.conftest import offline_page

pytestmark = pytest.mark.browser

SHARED = "/briefing?adm1=Kharkiv,Sumy&cat=health,education&from=2022-03-01&to=2023-05-31"


def new_page(browser, width: int, height: int):
    """A fresh browser context (no cookies, no session) of the given size, offline like the ``page`` fixture."""
    return offline_page(browser, width, height, timeout_ms=120_000)


@pytest.fixture(scope="module")
def warm(server, browser):
    """Run the entrypoint once (builds the demo store; a page URL opened before the entrypoint ever ran is
    served by Streamlit's automatic pages/ discovery instead of st.navigation)."""
    ctx, pg = new_page(browser, 1280, 800)
    pg.goto(server.url + "/")
    pg.get_by_text("Filters").first.wait_for(timeout=300_000)
    ctx.close()
    return server


def wait_briefing(pg) -> None:
    """Until the slide is drawn: the map image, the chart and the oblast table."""
    pg.locator('[data-testid="stImage"] img').first.wait_for()
    pg.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    pg.locator("table.hm-top").first.wait_for()
    pg.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')]"
                         ".every(i => i.complete && i.naturalWidth > 0)")
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def inside(pg, locator, what: str) -> dict:
    vp = pg.viewport_size
    box = locator.bounding_box()
    assert box is not None and locator.is_visible(), f"{what} is not visible"
    assert box["x"] >= 0 and box["y"] >= 0, f"{what} starts outside the frame: {box}"
    assert box["x"] + box["width"] <= vp["width"] + 0.5, f"{what} is cut off on the right: {box} in {vp}"
    assert box["y"] + box["height"] <= vp["height"] + 0.5, f"{what} is cut off at the bottom: {box} in {vp}"
    return box


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def test_presentation_mode_fits_the_frame(warm, browser, artifacts, size):
    ctx, pg = new_page(browser, *size)
    try:
        pg.goto(warm.url + "/briefing?present=1")
        head = pg.get_by_test_id("hm-present-header")
        head.wait_for()
        wait_briefing(pg)
        pg.screenshot(path=str(artifacts / f"briefing_present_{size[0]}x{size[1]}.png"))
        # no sidebar, header, toolbar or widget chrome
        assert not pg.locator('[data-testid="stSidebar"]').is_visible()
        assert not pg.locator('header[data-testid="stHeader"]').is_visible()
        assert not pg.locator('[data-testid="stToolbar"]').is_visible()
        assert pg.locator(".stDownloadButton:visible").count() == 0
        assert pg.get_by_text("Presentation mode").filter(visible=True).count() == 0
        # title, legend, attribution (data sources and dates, generated time, synthetic note) in the frame
        title = head.locator(".hm-present-title")
        assert title.inner_text().startswith("Attacks on civilian infrastructure — Ukraine — 24 Feb 2022 to ")
        assert title.inner_text().endswith("25,000 incidents")
        meta = head.locator(".hm-present-meta")
        text = meta.inner_text()
        assert "generated 20" in text and "UTC" in text and "Data: demo (24 Feb 2022 to 30 Jun 2025; loaded" in text
        assert "Synthetic demo data" in text
        inside(pg, title, "the title")
        inside(pg, meta, "the attribution line")
        inside(pg, pg.locator(".hm-chips"), "the group legend")
        img = pg.locator('[data-testid="stImage"] img').first
        box = inside(pg, img, "the map (with its legend and attribution)")
        assert box["width"] > 0.3 * size[0] and box["height"] > 0.35 * size[1]
        inside(pg, pg.locator('[data-testid="stVegaLiteChart"]').first, "the trend chart")
        inside(pg, pg.locator("table.hm-top"), "the top oblasts")
        # no horizontal scrolling; the main area uses the whole width
        assert pg.evaluate("document.documentElement.scrollWidth") <= size[0]
        assert box["x"] < 60
        assert not pg.get_by_text("Traceback").count() and not pg.locator('[data-testid="stException"]').count()
        assert not pg.blocked, pg.blocked
    finally:
        ctx.close()


def test_toggle_turns_presentation_on_and_off(warm, browser, artifacts):
    ctx, pg = new_page(browser, 1280, 800)
    try:
        pg.goto(warm.url + "/briefing?adm1=Sumy")
        wait_briefing(pg)
        assert pg.locator('[data-testid="stSidebar"]').is_visible()
        assert pg.locator(".stDownloadButton").count() >= 9
        pg.get_by_text("Presentation mode").click()
        pg.get_by_test_id("hm-present-header").wait_for()
        pg.wait_for_url("**present=1**")
        assert "adm1=Sumy" in pg.url
        pg.locator('[data-testid="stSidebar"]').wait_for(state="hidden")
        assert "Sumy Oblast" in pg.get_by_test_id("hm-present-header").inner_text()
        pg.get_by_role("button", name="Exit presentation").click()
        pg.locator('[data-testid="stSidebar"]').wait_for(state="visible")
        pg.get_by_test_id("hm-present-header").wait_for(state="detached")
        assert "present=1" not in pg.url and "adm1=Sumy" in pg.url
    finally:
        ctx.close()


def read_view(pg) -> dict:
    """What the briefing shows: its title, the figures, the group legend and the top oblasts."""
    wait_briefing(pg)
    metrics = [m.inner_text() for m in pg.locator('[data-testid="stMetricValue"]').all()]
    return {"title": pg.locator(".hm-brief-title").inner_text(), "metrics": metrics,
            "groups": pg.locator(".hm-chips").inner_text(), "oblasts": pg.locator("table.hm-top").inner_text(),
            "filters_in_sidebar": pg.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').all_inner_texts()}


def test_shared_url_reproduces_the_view_in_a_fresh_browser(warm, browser, artifacts):
    from harmmap import briefing
    from harmmap.demo import ensure_demo_store
    from harmmap.query import Filters

    ctx_a, a = new_page(browser, 1280, 800)
    ctx_b, b = new_page(browser, 1280, 800)
    try:
        a.goto(warm.url + SHARED)
        view_a = read_view(a)
        a.screenshot(path=str(artifacts / "briefing_shared_a.png"))
        url = a.url                                      # what the analyst copies from the address bar
        assert "adm1=Kharkiv%2CSumy" in url or "adm1=Kharkiv,Sumy" in url
        b.goto(url)
        view_b = read_view(b)
        b.screenshot(path=str(artifacts / "briefing_shared_b.png"))
        assert view_a == view_b
        # and it is the view the filters describe, counted by an independent store with the same data
        store = ensure_demo_store(":memory:")
        f = Filters.from_params({"adm1": "Kharkiv,Sumy", "cat": "health,education", "from": "2022-03-01",
                                 "to": "2023-05-31"})
        assert view_a["title"] == briefing.store_title(store, f)
        assert view_a["title"].startswith("Attacks on health and education facilities — Kharkiv and Sumy oblasts — "
                                          "1 Mar 2022 to 31 May 2023 — ")
        assert view_a["metrics"][0] == f"{store.count(f):,}"
        chosen = "\n".join(view_a["filters_in_sidebar"])
        assert all(x in chosen for x in ("Health", "Education", "Kharkiv", "Sumy"))
    finally:
        ctx_a.close()
        ctx_b.close()


def test_downloads_are_built_on_click_and_verify(warm, browser, tmp_path):
    from harmmap import export

    ctx, pg = new_page(browser, 1280, 800)
    try:
        pg.goto(warm.url + "/briefing?adm1=Sumy&cat=energy")
        wait_briefing(pg)
        with pg.expect_download() as dl:
            pg.get_by_role("button", name="Evidence package (zip)").click()
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        assert path.name.startswith("harmmap_energy_Sumy_evidence_") and path.suffix == ".zip"
        res = export.verify(path)
        assert res.ok and res.checked == 8, res.problems
        with pg.expect_download() as dl:
            pg.get_by_role("button", name="CSV").click()
        csv = tmp_path / dl.value.suggested_filename
        dl.value.save_as(csv)
        assert csv.read_bytes().startswith(b"\xef\xbb\xbfincident_id,")
    finally:
        ctx.close()
