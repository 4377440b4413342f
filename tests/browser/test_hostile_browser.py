"""Hostile text in a real browser (issues 5 and 9), and the analyst's correction flow (issue 4).

A server of its own runs on a tmp data dir whose store holds a small data set (tests/hostile.py) with
script, HTML, ``javascript:``/``data:`` URL, markdown-link and spreadsheet-formula payloads in every text
field (description, place, admin names, event type, source name, source URLs, actor, weapon, evidence),
beside Ukrainian, Russian and emoji text. Every payload would set ``window.__pwned`` if it ran.

Checked on the map (every marker hovered and clicked: tooltip and detail), the Corrections page (and its
CSV download), the Trends page and the other pages: ``window.__pwned`` is undefined in every frame, no
element carries an event-handler attribute from the data, no link has a ``javascript:``/``data:`` target,
the payloads show as text, and the CSV has its formulas neutralised.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests import hostile
from tests.browser.conftest import Server, map_frame, serving, wait_until

pytestmark = pytest.mark.browser

SHOTS = "hostile"

#: run in every frame: is anything the payloads would create alive? (walks open shadow roots too)
INERT_JS = r"""
() => {
  const all = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const bad = /^\s*(javascript|data|vbscript):/i;
  const links = all.filter(e => ['A', 'AREA', 'IFRAME', 'FORM', 'EMBED', 'OBJECT'].includes(e.tagName))
    .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || e.getAttribute('data') || '')
    .filter(h => bad.test(h));
  const handlers = all.filter(e => [...e.attributes].some(a => /^on/i.test(a.name) && /__pwned/.test(a.value)))
    .map(e => e.outerHTML.slice(0, 160));
  const injected = all.filter(e => (e.tagName === 'IMG' && e.getAttribute('src') === 'x') ||
                                  (e.tagName === 'SCRIPT' && e.textContent.trim() === 'window.__pwned=1'))
    .map(e => e.outerHTML.slice(0, 160));
  return {pwned: typeof window.__pwned, links, handlers, injected};
}
"""


def assert_inert(page, where: str) -> int:
    """No payload ran or became live in any frame of ``page``; returns the number of frames checked."""
    checked = 0
    for fr in page.frames:
        try:
            r = fr.evaluate(INERT_JS)
        except Exception:       # a frame replaced while we looked (a rerun redraws the map)
            continue
        checked += 1
        assert r["pwned"] == "undefined", f"{where}: a payload ran in {fr.url}"
        assert not r["links"], f"{where}: javascript:/data: links in {fr.url}: {r['links']}"
        assert not r["handlers"], f"{where}: live event handlers in {fr.url}: {r['handlers']}"
        assert not r["injected"], f"{where}: injected elements in {fr.url}: {r['injected']}"
    assert page.locator('a[href^="javascript" i]').count() == 0
    return checked


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, chromium_ok):
    """A dashboard on a store holding only the hostile data set (no demo build: the store is not empty)."""
    tmp = tmp_path_factory.mktemp("hostile")
    counts = hostile.build_store(str(tmp / "harmmap.duckdb"), tmp)
    assert counts == {"canonical": 12, "csv_read": 3, "csv_loaded": 3, "total": 15}, counts
    mp = pytest.MonkeyPatch()
    mp.delenv("HARMMAP_USER", raising=False)       # the form asks for the analyst's name
    srv = Server(tmp)
    mp.undo()
    srv.counts = counts
    yield from serving(srv)


def markers(page, n: int = 15):
    """The map's frame once it draws ``n`` incident circles."""
    def ready():
        iframe, frame = map_frame(page)
        return frame if frame.locator("path.hm-incident").count() == n else None
    return wait_until(ready, f"{n} markers on the map", 90)


def tooltip_of(frame, i: int) -> str:
    """Hover marker ``i`` (a Leaflet mouseover, so a marker under the title block works too); its tooltip."""
    frame.locator("path.hm-incident").nth(i).dispatch_event("mouseover")
    tip = frame.locator(".leaflet-tooltip").last
    tip.wait_for()
    text = tip.inner_text()
    frame.locator("path.hm-incident").nth(i).dispatch_event("mouseout")
    return text


def open_detail(page, frame, i: int) -> str:
    """Click marker ``i``; wait for its detail; return the incident id."""
    iid = re.search(r"id:\s*(\S+)\s*$", tooltip_of(frame, i).strip()).group(1)
    frame.locator("path.hm-incident").nth(i).dispatch_event("click")
    wait_until(lambda: iid in page.locator(".hm-detail").first.inner_text(), f"the detail of {iid}")
    return iid


def legend(page) -> dict[str, int]:
    """The map legend as {label: count}."""
    _, frame = map_frame(page)
    text = frame.locator(".hm-legend").inner_text()
    return {m.group(1).strip(): int(m.group(2).replace(",", ""))
            for m in re.finditer(r"^(.+?)\s+([\d,]+)$", text, re.M)}


def shot(page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{SHOTS}_{name}.png"))


def idle(page) -> None:
    """Wait until the app is not running a script (a map component's first value triggers a rerun)."""
    wait_until(lambda: not page.locator('[data-testid="stStatusWidget"]').is_visible(), "the app idle", 90)


def choose_only(page, box, category: str) -> bool:
    """Make ``category`` the multiselect's only value (type to filter, pick the option)."""
    remove = box.locator('button[aria-label^="Remove "]:visible')
    for _ in range(20):
        if not remove.count():
            break
        remove.first.click(timeout=5_000)
    inp = box.locator('input[role="combobox"]')
    inp.click(timeout=5_000)
    inp.fill(category.split(" · ")[-1], timeout=5_000)
    page.get_by_role("option", name=category, exact=True).click(timeout=5_000)
    page.keyboard.press("Escape")
    return remove.count() == 1 and box.locator(f'button[aria-label="Remove {category}"]:visible').count() == 1


def correct(page, *, category: str, reason: str, user: str) -> None:
    """Fill the open incident's correction form (categories replaced by ``category``) and save.

    Each step is retried: a rerun (the map reporting its view) may redraw the form under the mouse."""
    idle(page)
    form = page.locator('[data-testid="stForm"]')
    scroll_to(form)
    box = form.locator('[data-testid="stMultiSelect"]')
    wait_until(lambda: choose_only(page, box, category), f"{category} chosen")
    area = form.locator("textarea")
    wait_until(lambda: area.fill(reason, timeout=5_000) or area.input_value() == reason, "the reason typed")
    name = form.get_by_label("Your name (required)")
    if name.count():
        wait_until(lambda: name.fill(user, timeout=5_000) or name.input_value() == user, "the name typed")
    form.get_by_role("button", name="Save").click()


def scroll_to(locator) -> None:
    wait_until(lambda: locator.scroll_into_view_if_needed(timeout=5_000) or True, "scrolled into view")


# ------------------------------------------------------------------------------------------------

def test_map_tooltips_and_details_keep_hostile_text_inert(hostile_server, page, artifacts):
    page.goto(hostile_server.url + "/")
    frame = markers(page)
    assert_inert(page, "map opened")
    tips, details, ids = [], [], []
    for i in range(frame.locator("path.hm-incident").count()):
        try:
            frame = markers(page)
        except AssertionError:
            shot(page, artifacts, f"fail_{i}")
            print(hostile_server.log()[-3000:])
            raise
        iid = open_detail(page, frame, i)
        ids.append(iid)
        tips.append(tooltip_of(markers(page), i))
        details.append(page.locator(".hm-detail").first.inner_text())
        assert_inert(page, f"detail of {iid}")
        if i in (0, 12):
            scroll_to(page.locator(".hm-detail").first)
            shot(page, artifacts, f"detail_{i}")
    assert len(set(ids)) == hostile_server.counts["total"]
    # the payloads are there, as text
    alltips, alldetails = "\n".join(tips), "\n".join(details)
    assert hostile.PAYLOADS["script"] in alltips and hostile.PAYLOADS["close_tags"] in alltips
    for name in ("script", "img_onerror", "svg_break_attr", "js_url", "formula", "markdown_link", "entity"):
        assert hostile.PAYLOADS[name] in alldetails, name
    assert "Обстріл школи № 5 у Харкові" in alldetails and "Удар по больнице в Херсоне" in alldetails
    assert "🏫💥" in alldetails
    # only the https source of each record is a link, and it is inert
    hrefs = page.locator(".hm-detail a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(h and h.startswith("https://") for h in hrefs), hrefs
    frame = markers(page)
    frame.locator("path.hm-incident").first.dispatch_event("mouseover")
    shot(page, artifacts, "map_tooltip")
    assert_inert(page, "after every marker")


def test_correction_flow_updates_detail_audit_and_legend(hostile_server, page, artifacts):
    page.goto(hostile_server.url + "/")
    frame = markers(page)
    before = legend(page)
    target = next(i for i in range(15) if "id: hostile:002" in tooltip_of(frame, i))
    iid = open_detail(page, frame, target)
    assert iid == "hostile:002"
    page.get_by_text("Correct the categories").wait_for()
    assert "no correction" in page.locator(".hm-compare").inner_text()
    shot(page, artifacts, "correct_before")
    user, reason = "Olena <b>K</b>", 'Video shows the pumping station; =HYPERLINK("http://evil","x")'
    correct(page, category="Utilities · Water", reason=reason, user=user)
    page.get_by_text("Saved: Water (version 1)").wait_for()
    over = page.locator(".hm-override")
    over.wait_for()
    assert user in over.inner_text() and reason in over.inner_text()
    compare = page.locator(".hm-compare").inner_text()
    assert "Analyst (wins)" in compare and "Water" in compare and "Health" in compare   # classifier beside
    # the legend and counts follow: one incident moved from Health to Water
    after = wait_until(lambda: (lg := legend(page)).get("Water") == 1 and lg, "Water in the legend")
    assert after["Health"] == before["Health"] - 1 and sum(after.values()) == sum(before.values())
    scroll_to(page.locator(".hm-override"))
    shot(page, artifacts, "correct_saved")
    assert_inert(page, "after saving")
    # the name is remembered for the next correction in the session
    assert page.locator('[data-testid="stForm"]').get_by_label("Your name (required)").input_value() == user


def test_conflicting_corrections_are_never_silent(hostile_server, browser, artifacts):
    a, b = (browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2))
    try:
        pa, pb = a.new_page(), b.new_page()
        for p in (pa, pb):
            p.set_default_timeout(60_000)
            p.goto(hostile_server.url + "/?ids=hostile:003")         # the link the Corrections page makes
            p.get_by_text("Correct the categories").wait_for()
            assert "hostile:003" in p.locator(".hm-detail").inner_text()
        correct(pb, category="Economy · Commercial", reason="B saw the shop", user="analyst-B")
        try:
            pb.get_by_text("Saved: Commercial").wait_for()
        except Exception:
            pb.screenshot(path=str(artifacts / f"{SHOTS}_conflict_fail_b.png"), full_page=True)
            print(hostile_server.log()[-4000:])
            raise
        correct(pa, category="Education", reason="A saw the school", user="analyst-A")
        err = pa.get_by_text("Not saved: someone else changed this incident")
        try:
            err.wait_for()
        except Exception:
            pa.screenshot(path=str(artifacts / f"{SHOTS}_conflict_fail_a.png"))
            print("A sees:", pa.locator('[data-testid="stMain"]').inner_text()[-3000:])
            raise
        assert "analyst-B" in err.inner_text()
        pa.get_by_text("Stored now").wait_for()
        wait_until(lambda: "B saw the shop" in pa.locator(".hm-compare").last.inner_text(), "B's values stored now")
        scroll_to(pa.get_by_text("Stored now"))
        pa.screenshot(path=str(artifacts / f"{SHOTS}_conflict.png"))
        # B reverts to the classifier
        idle(pb)
        form = pb.locator('[data-testid="stForm"]')
        area, why = form.locator("textarea"), "Wrong incident, back to the classifier"
        wait_until(lambda: area.fill(why, timeout=5_000) or area.input_value() == why, "the reason typed")
        form.get_by_role("button", name="Revert to the classifier").click()
        pb.get_by_text("Reverted to the classifier's categories").wait_for()
        # the panel below the message is redrawn a moment later than the message
        wait_until(lambda: "reverted to the classifier" in pb.locator(".hm-compare").inner_text(), "the revert shown")
        assert pb.locator(".hm-override").count() == 0
    finally:
        a.close()
        b.close()


def test_a_graphic_description_is_hidden_until_the_analyst_asks(hostile_server, page, artifacts):
    page.goto(hostile_server.url + "/?ids=hostile:012")
    page.get_by_text("This incident's description is graphic").wait_for()
    detail = page.locator(".hm-detail")
    assert "(hidden: graphic description)" in detail.inner_text() and hostile.GRAPHIC not in detail.inner_text()
    idle(page)
    page.get_by_role("button", name="Show the description").click()
    wait_until(lambda: hostile.GRAPHIC in page.locator(".hm-detail").inner_text(), "the description shown")
    assert page.get_by_text("This incident's description is graphic").count() == 0
    assert hostile.PAYLOADS["script"] in page.locator(".hm-detail").inner_text()     # shown as text
    scroll_to(page.get_by_text(hostile.GRAPHIC, exact=False).first)
    shot(page, artifacts, "graphic_revealed")
    assert_inert(page, "a revealed description")


def test_audit_page_lists_corrections_links_them_and_csv_is_neutralised(hostile_server, page, artifacts):
    page.goto(hostile_server.url + "/audit")
    page.get_by_text("Corrections: who changed").wait_for()
    if page.get_by_text("No analyst has corrected").count():     # run alone: make one correction first
        page.goto(hostile_server.url + "/?ids=hostile:002")
        page.get_by_text("Correct the categories").wait_for()
        correct(page, category="Utilities · Water", reason='x =HYPERLINK("http://evil","x")', user="Olena <b>K</b>")
        page.get_by_text("Saved: Water").wait_for()
        page.goto(hostile_server.url + "/audit")
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.wait_for()
    page.get_by_role("button", name="Download the trail (CSV)").wait_for()
    shot(page, artifacts, "audit")
    assert_inert(page, "audit page")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download the trail (CSV)").click()
    raw = open(dl.value.path(), "rb").read()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    mine = [r for r in rows if r["incident_id"] == "hostile:002"]
    assert mine and mine[-1]["new"] == "Water" and mine[-1]["user"] == "Olena <b>K</b>"
    assert mine[-1]["reason"].startswith("Video shows") or mine[-1]["reason"].startswith("x =")
    assert any(r["incident_id"] == "hostile:003" and r["new"] == "(classifier)" for r in rows) or len(rows) >= 1
    cells = [v for r in rows for v in r.values()] + list(rows[0].keys())
    assert not [v for v in cells if v.lstrip(" ").startswith(("=", "+", "-", "@"))], cells
    # each incident links to its detail on the map (opens in a new tab)
    box = grid.bounding_box()
    ctx = page.context
    with ctx.expect_page() as new:
        x, y = box["x"] + 200, box["y"] + 52
        page.mouse.move(x, y)
        page.mouse.click(x, y)
    opened = new.value
    opened.set_default_timeout(60_000)
    opened.get_by_text("Correct the categories").wait_for()
    assert "ids=" in opened.url and not opened.get_by_text("Page not found").count()
    linked = re.search(r"ids=([^&]+)", opened.url).group(1)
    assert opened.locator(".hm-detail").inner_text().count(":") >= 1 and linked
    opened.screenshot(path=str(artifacts / f"{SHOTS}_audit_link.png"))
    assert_inert(opened, "incident opened from the audit")
    opened.close()


def settled(page, path: str) -> None:
    """The page ran to the end (sidebar drawn, main area filled, no 'running' indicator)."""
    page.locator('[data-testid="stSidebar"]').get_by_text("Filters").wait_for()
    page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"\w")).first.wait_for()
    if path == "trends":
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
        page.get_by_text("Data:", exact=False).first.wait_for()
    idle(page)


@pytest.mark.parametrize("path", ["trends", "patterns", "briefing", "data"])
def test_other_pages_keep_hostile_text_inert(hostile_server, page, artifacts, path):
    page.goto(f"{hostile_server.url}/{path}")
    settled(page, path)
    if path == "trends":       # the sources (hostile names) are in the caption, as text
        cap = page.get_by_text("Data:", exact=False).first.inner_text()
        assert hostile.PAYLOADS["img_onerror"] in cap and "<script>window.__pwned=1</script>" in cap
    shot(page, artifacts, path)
    assert_inert(page, f"{path} page")


@pytest.mark.parametrize("path", ["trends", "patterns"])
def test_markdown_payloads_show_literally_in_captions(hostile_server, page, path):
    page.goto(f"{hostile_server.url}/{path}")
    settled(page, path)
    page.get_by_text("Data:", exact=False).first.wait_for()
    cap = page.get_by_text("Data:", exact=False).first
    assert hostile.PAYLOADS["markdown_link"] in cap.inner_text()
    assert cap.locator("a").count() == 0
