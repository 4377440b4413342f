"""AppTest smoke tests of the Briefing page through the entrypoint (normal and presentation mode)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")
PAGE = str(ROOT / "app_pages" / "briefing.py")


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def htmls(at) -> str:
    return "\n".join([str(h.proto) for h in at.get("html")] + [m.value for m in at.markdown])


def test_briefing_page_shows_figures_map_chart_and_downloads(store_env):
    at = AppTest.from_file(ENTRY, default_timeout=240)
    at.query_params["adm1"] = "Sumy"
    run(at)
    run(at.switch_page(PAGE))
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"Incidents", "Reported killed", "Oblasts affected", "Previous period"}
    assert metrics["Oblasts affected"] == "1"
    assert at.get("image"), "the server-drawn map"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    page = htmls(at)
    assert "Attacks on civilian infrastructure — Sumy Oblast — " in page
    assert "Top oblasts" in page
    labels = [b.proto.label for b in at.get("download_button")]
    for want in ("Briefing pack (zip)", "Evidence package (zip)", "Map (PNG)", "CSV", "GeoJSON", "GeoPackage",
                 "GeoParquet", "Chart (PNG)", "Chart (SVG)"):
        assert want in labels
    assert at.sidebar.toggle(key="hm_present_toggle").value is False


def test_presentation_mode_from_the_url(store_env):
    at = AppTest.from_file(ENTRY, default_timeout=240)
    at.query_params["present"] = "1"
    at.query_params["cat"] = "health"
    run(at)
    run(at.switch_page(PAGE))
    page = htmls(at)
    assert "hm-present-header" in page and "Attacks on health facilities — Ukraine — " in page
    assert "generated " in page and "Synthetic demo data" in page
    assert not at.get("download_button")
    assert not [w for w in at.warning if "Synthetic demo data" in w.value]     # the header says it instead
