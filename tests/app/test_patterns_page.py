"""Patterns page through the entrypoint: the demo's planted patterns (harmmap.demo.PLANTED) appear as ranked
findings with their method sentences, and each finding links to the map filtered to its incidents."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from harmmap import demo

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")
PAGE = str(ROOT / "app_pages" / "patterns.py")


def patterns_page(**state) -> AppTest:
    """The Patterns page through the entrypoint; widget state is set before the first run (AppTest keeps
    only the first run of an st.navigation app reliable)."""
    at = AppTest.from_file(ENTRY, default_timeout=180)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def page(store_env) -> AppTest:
    return patterns_page()


def findings(at) -> list[tuple[str, dict]]:
    """(title, link query) of every ranked finding: the markdown '**N.** title' and the page link beside it."""
    titles = [re.sub(r"\\(.)", r"\1", m.value.split("** ", 1)[1]) for m in at.markdown
              if re.match(r"\*\*\d+\.\*\* ", m.value)]
    links = [parse_qs(p.proto.query_string) for p in at.get("page_link")]
    assert len(titles) == len(links)
    # the map is the default page: its link is "/" (page "") with the finding's filters as query parameters
    assert all(p.proto.label == "Show on map" and p.proto.page in ("", "map") for p in at.get("page_link"))
    return list(zip(titles, links, strict=True))


def methods(at) -> str:
    return "\n".join(i.value for i in at.info)


def test_tabs_and_method_sentences(page):
    assert [t.label for t in page.tabs] == ["Spikes", "Waves", "Repeated strikes", "Hot spots", "Regions compared"]
    m = methods(page)
    for phrase in ("ACLED surge rule", "Benjamini-Hochberg FDR at 5%", "Poisson-binomial", "within 150 m",
                   "Getis-Ord Gi", "Mann-Kendall", "chi-square"):
        assert phrase in m, phrase


def test_planted_spike_is_found_with_a_link_to_its_week(page):
    spike = demo.planted("spike")[0]
    first_week = spike.dates[0] - dt.timedelta(days=spike.dates[0].weekday())
    hits = [(t, q) for t, q in findings(page) if t.startswith(f"{spike.oblasts[0]}:")
            and f"week of {first_week.isoformat()}" in t]
    assert hits, "the planted Sumy spike is not on the page"
    _, q = hits[0]
    assert q["adm1"] == ["Sumy"] and q["from"] == [first_week.isoformat()]
    assert q["to"] == [(first_week + dt.timedelta(days=6)).isoformat()]


def test_planted_energy_waves_of_autumn_winter_2022_23_are_found(page):
    winter = [w for w in demo.planted("energy_wave") if dt.date(2022, 9, 1) <= w.dates[0] <= dt.date(2023, 3, 31)]
    shown = {t.split(":")[0]: q for t, q in findings(page) if re.match(r"\d{4}-\d\d-\d\d: \d+ oblasts hit", t)}
    found = [w for w in winter if w.dates[0].isoformat() in shown]
    assert found, f"no autumn-winter 2022-23 energy wave among {sorted(shown)}"
    q = shown[found[0].dates[0].isoformat()]
    assert q["from"] == q["to"] == [found[0].dates[0].isoformat()]
    assert set(found[0].oblasts) <= set(q["adm1"][0].split(","))
    assert "energy" in q["cat"][0].split(",")


def _near(lat, lon, site, metres=150.0) -> bool:
    return math.hypot((lon - site[1]) * 111_320 * math.cos(math.radians(site[0])), (lat - site[0]) * 110_540) < metres


def test_planted_repeated_strike_sites_are_found(page):
    shown = []
    for t, q in findings(page):
        m = re.search(r"site at (-?\d+\.\d+), (-?\d+\.\d+): (\d+) strikes", t)
        if m:
            shown.append((float(m[1]), float(m[2]), int(m[3]), q))
    sites = demo.planted("repeated_site")
    listed = [s for s in sites if any(_near(lat, lon, s.site) for lat, lon, _, _ in shown)]
    assert len(listed) >= 3, "planted repeated-strike sites missing from the ranked list"
    izmail = next(s for s in sites if "Izmail" in s.label)
    lat, lon, strikes, q = next(x for x in shown if _near(x[0], x[1], izmail.site))
    assert strikes >= len(izmail.dates)
    assert len(q["ids"][0].split(",")) == strikes          # the link opens exactly the site's strikes
    # every planted site is in the full table (the expander)
    table = next(d.value for d in page.dataframe if {"lat", "lon", "strikes"} <= set(d.value.columns))
    for s in sites:
        assert any(_near(r.lat, r.lon, s.site) for r in table.itertuples()), s.label


def test_planted_hot_spot_and_region_comparison(page):
    nikopol = demo.planted("hotspot")[0].site
    hot = [(float(m[1]), float(m[2]), q) for t, q in findings(page)
           if (m := re.search(r"Hot spot: \d+ cell\(s\) around (-?\d+\.\d+), (-?\d+\.\d+)", t))]
    assert any(_near(lat, lon, nikopol, 15_000) for lat, lon, _ in hot), "Nikopol hot spot not listed"
    assert all(q.get("h3") for _, _, q in hot)
    text = "\n".join(m.value for m in page.markdown)
    assert "**Homogeneity test:** the category mix differs across oblasts" in text
    assert len(page.get("vega_lite_chart")) >= 2                # the wave timeline and the similarity heatmap


def test_parameters_change_the_analysis(store_env):
    at = patterns_page(rep_quick=True, wav_min=25, spk_by="oblast × category")
    titles = [t for t, _ in findings(at)]
    assert any("within 6 h" in t for t in titles)
    assert not any(re.match(r"\d{4}-\d\d-\d\d: \d+ oblasts hit", t) for t in titles)
    captions = "\n".join(c.value for c in at.caption)
    assert "No day had more oblasts hit than chance allows." in captions
    assert "struck again within 6 hours" in methods(at)
