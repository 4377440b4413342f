"""Briefings: titles written from the filters, headline figures (with the previous period), the map PNG and
chart PNG/SVG (expected size, not blank, no browser), and the briefing pack (round-trips, verifies, says
how targets were classified and that the data are synthetic)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pandas as pd
import pytest
from PIL import Image

from harmmap import briefing, export
from harmmap.demo import ensure_demo_store
from harmmap.query import Filters

D = dt.date


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = ensure_demo_store(str(tmp_path_factory.mktemp("briefing") / "demo.duckdb"), n=2000)
    yield store
    store.close()


@pytest.fixture(scope="module")
def bounds(datasets):
    """Oblast outlines from the shared geoBoundaries file (read in place), with canonical admin1."""
    import geopandas as gpd

    from harmmap.gazetteer import normalize_admin1_series

    b = gpd.read_file(datasets / "boundaries" / "geoBoundaries-UKR-ADM1_simplified.geojson")
    b["admin1"] = normalize_admin1_series(b["shapeName"])
    return b


def colours(png: bytes) -> int:
    im = Image.open(io.BytesIO(png)).convert("RGB")
    return len(im.getcolors(maxcolors=1 << 20) or [])


# --- titles ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("filters, n, want", [
    (Filters(date_from=D(2022, 3, 1), date_to=D(2022, 5, 31), categories=("health",), admin1=("Kharkiv",)), 132,
     "Attacks on health facilities — Kharkiv Oblast — 1 Mar to 31 May 2022 — 132 incidents"),
    (Filters(), 25_000, "Attacks on civilian infrastructure — Ukraine — 24 Feb 2022 to 30 Jun 2025 — 25,000 incidents"),
    (Filters(categories=("energy", "water"), admin1=("Kharkiv", "Sumy"), date_from=D(2022, 10, 10),
             date_to=D(2022, 10, 10)), 1,
     "Attacks on energy and water infrastructure — Kharkiv and Sumy oblasts — 10 Oct 2022 — 1 incident"),
    (Filters(categories=("health", "residential", "education"), admin1=("Kyiv City", "Kyiv")), 7,
     "Attacks on health facilities, homes and education facilities — Kyiv City and Kyiv Oblast — "
     "24 Feb 2022 to 30 Jun 2025 — 7 incidents"),
    (Filters(categories=("health", "education", "energy", "water", "transport"),
             admin1=("Kharkiv", "Sumy", "Donetsk", "Luhansk")), 9,
     "Attacks on health facilities, education facilities and 3 other kinds of target — 4 oblasts — "
     "24 Feb 2022 to 30 Jun 2025 — 9 incidents"),
    (Filters(date_from=D(2023, 12, 1), date_to=D(2024, 1, 31), admin1=("Crimea",), categories=("unclassified",)), 0,
     "Attacks on unclassified targets — Autonomous Republic of Crimea — 1 Dec 2023 to 31 Jan 2024 — 0 incidents"),
])
def test_title(filters, n, want):
    assert briefing.title(filters, n, date_min=D(2022, 2, 24), date_max=D(2025, 6, 30)) == want


def test_subtitle_says_what_the_title_does_not():
    assert briefing.subtitle(Filters(categories=("health",), admin1=("Sumy",))) == ""
    sub = briefing.subtitle(Filters(sources=("acled",), text="school", admin1=("Sumy",)))
    assert "acled" in sub and "'school'" in sub and "Sumy" not in sub


def test_store_title_counts(demo):
    f = Filters(admin1=("Sumy",), date_from=D(2024, 3, 1), date_to=D(2024, 3, 31))
    assert briefing.store_title(demo, f).endswith(f"— {demo.count(f):,} incidents")


# --- figures --------------------------------------------------------------------------------------

def test_headline_and_previous_period(demo):
    f = Filters(date_from=D(2024, 3, 1), date_to=D(2024, 3, 31), admin1=("Sumy",))
    h = briefing.headline(demo, f)
    s = demo.summary(f)
    assert (h.incidents, h.fatalities, h.oblasts) == (s["incidents"], s["fatalities"], 1)
    assert h.previous == (D(2024, 1, 30), D(2024, 2, 29))           # 31 days before
    assert h.previous_incidents == demo.count(f.replace(date_from=D(2024, 1, 30), date_to=D(2024, 2, 29)))
    assert h.change == h.incidents - h.previous_incidents
    assert h.change_pct == pytest.approx(100 * h.change / h.previous_incidents)
    assert "%" in h.change_text() and "30 Jan to 29 Feb 2024" in h.change_text()
    groups = demo.counts_by(f, "group")
    assert [g[2] for g in h.by_group] == groups["incidents"].tolist()
    assert all(c.startswith("#") for *_, c in h.by_group)
    assert h.top_oblasts == [("Sumy", h.incidents, h.fatalities)]


def test_headline_previous_period_partly_before_the_data_is_no_comparison(demo):
    h = briefing.headline(demo, Filters(date_from=D(2022, 3, 1), date_to=D(2022, 5, 31)))
    assert h.previous == (D(2021, 11, 29), D(2022, 2, 28)) and h.previous_partial
    assert h.previous_incidents is None and h.change is None and h.change_pct is None
    assert h.change_text().startswith("no comparison") and "24 Feb 2022" in h.change_text()


def test_headline_without_earlier_data(demo):
    h = briefing.headline(demo, Filters())
    assert h.previous is None and h.change is None
    assert "no earlier period" in h.change_text()
    assert h.oblasts == 27 and len(h.top_oblasts) == 8


def test_sources_line_and_synthetic(demo):
    src = briefing.data_sources(demo)
    assert [s["dataset"] for s in src] == ["demo"] and briefing.is_synthetic(src)
    line = briefing.sources_line(src)
    assert line.startswith("Data: demo (24 Feb 2022 to 30 Jun 2025; loaded ")


# --- images ---------------------------------------------------------------------------------------

def test_map_png_points_with_boundaries(demo, bounds, tmp_path):
    f = Filters(admin1=("Kharkiv", "Sumy"), categories=("residential", "energy"))
    path = tmp_path / "map.png"
    data = briefing.map_png(demo, f, path, boundaries=bounds)
    assert path.read_bytes() == data
    im = Image.open(path)
    assert im.size == (1600, 1000) and im.format == "PNG"
    assert colours(data) > 200                     # outlines, points in two colours, text: not blank


def test_map_png_hexagons_without_boundaries(demo, tmp_path):
    data = briefing.map_png(demo, Filters(), size=(1200, 800), boundaries=None, mode="hexagons")
    assert Image.open(io.BytesIO(data)).size == (1200, 800)
    assert colours(data) > 100


def test_map_png_auto_switches_to_hexagons(demo, monkeypatch):
    calls = []
    real = demo.hex_counts
    monkeypatch.setattr(briefing, "POINTS_MAX", 100)

    class Spy:
        def __getattr__(self, name):
            return getattr(demo, name)

        def hex_counts(self, f, res):
            calls.append(res)
            return real(f, res)

    briefing.map_png(Spy(), Filters(), size=(800, 500), boundaries=None)
    assert calls == [5]


def test_map_png_with_no_incidents(demo):
    data = briefing.map_png(demo, Filters(text="no such words anywhere"), size=(800, 500), boundaries=None)
    assert Image.open(io.BytesIO(data)).size == (800, 500)


def test_map_png_unconfigured_boundaries_do_not_break_it(demo, monkeypatch, tmp_path):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "none"))
    data = briefing.map_png(demo, Filters(admin1=("Sumy",)), size=(800, 500))
    assert colours(data) > 20


def test_chart_png_and_svg(demo, tmp_path):
    f = Filters(admin1=("Kharkiv",))
    png = briefing.chart_png(demo, f, tmp_path / "c.png", synthetic=True)
    im = Image.open(io.BytesIO(png))
    assert im.size == (1600, 600)
    assert colours(png) > 50
    svg = briefing.chart_svg(demo, f, tmp_path / "c.svg")
    assert svg.lstrip().startswith("<svg") and "Incidents per week" in svg
    assert (tmp_path / "c.svg").read_text(encoding="utf-8") == svg
    small = briefing.chart_png(demo, f, size=(800, 300))
    assert Image.open(io.BytesIO(small)).size == (800, 300)


# --- the pack -------------------------------------------------------------------------------------

def test_briefing_pack_round_trips(demo, bounds, tmp_path):
    f = Filters(admin1=("Sumy",), date_from=D(2024, 1, 1), date_to=D(2024, 6, 30))
    ids = demo.incidents(f, columns=["incident_id"])["incident_id"].tolist()
    demo.set_override(ids[0], ["health"], user="analyst", reason="clinic named")
    try:
        out = tmp_path / "pack.zip"
        t = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        manifest = briefing.briefing_pack(demo, f, out, boundaries=bounds, generated_at=t)
        assert manifest["incidents"] == len(ids)
        assert export.verify(out).ok
        with zipfile.ZipFile(out) as z:
            names = set(z.namelist())
            assert names == {"map.png", "chart.png", "chart.svg", "incidents.csv", "incidents.geojson",
                             "methodology.md", "manifest.json", "SHA256SUMS"}
            assert Image.open(io.BytesIO(z.read("map.png"))).size == (1600, 1000)
            assert Image.open(io.BytesIO(z.read("chart.png"))).size == (1600, 600)
            csv = pd.read_csv(io.BytesIO(z.read("incidents.csv")), dtype=str, encoding="utf-8-sig")
            assert csv["incident_id"].tolist() == ids
            gj = json.loads(z.read("incidents.geojson"))
            assert len(gj["features"]) == len(ids)
            note = z.read("methodology.md").decode()
            assert note.startswith("# Attacks on civilian infrastructure — Sumy Oblast — 1 Jan to 30 Jun 2024")
            assert "Synthetic demo data" in note
            assert "Generated 2026-01-02 03:04 UTC" in note
            assert "oblasts: Sumy; dates: 2024-01-01 to 2024-06-30" in note
            assert "**rules**" in note and "**labels**" in note and "**proximity**" in note
            assert "1 of these incidents carry one" in note and "(1 recorded changes" in note
            assert "| demo |" in note
            man = json.loads(z.read("manifest.json"))
            assert man["generated_at"] == t.isoformat() and man["filters"]["adm1"] == "Sumy"
    finally:
        demo.clear_override(ids[0], user="test", reason="clean up")
