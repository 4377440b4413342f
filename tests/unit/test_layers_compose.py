"""The composed map: representation by count, title and counts on the map, payload size."""

from __future__ import annotations

import re

import pytest

from harmmap.demo import ensure_demo_store
from harmmap.query import Filters
from layers.compose import CLUSTERS_MAX, POINTS_MAX, View, build_map, choose_mode, view_bbox


def js_unescape(s: str) -> str:
    """Undo the \\uXXXX escapes of JSON embedded in the page (tojson escapes <, >, &, ' and non-ASCII)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), s)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    s = ensure_demo_store(str(tmp_path_factory.mktemp("demo") / "s.duckdb"), n=25_000)
    yield s
    s.close()


def html_of(res) -> str:
    return js_unescape(res.map.get_root().render())


def test_choose_mode_thresholds():
    assert choose_mode(POINTS_MAX) == "points"
    assert choose_mode(POINTS_MAX + 1) == "clusters"
    assert choose_mode(CLUSTERS_MAX + 1) == "hexagons"
    assert choose_mode(5, "hexagons") == "hexagons"
    with pytest.raises(ValueError):
        choose_mode(5, "scatter")


def test_all_demo_data_is_hexagons_and_says_so(demo_store):
    res = build_map(demo_store, Filters(), tiles="none")
    html = html_of(res)
    assert res.mode == "hexagons" and res.total == 25_000
    assert f"25,000 incidents in {res.cells:,} hexagons" in html
    assert "Attacks on civilian infrastructure — 24 Feb 2022 to 30 Jun 2025" in html
    assert "Synthetic demo data" not in html          # only when the caller says the data are synthetic
    assert len(res.map.get_root().render().encode()) < 2_000_000


def test_one_oblast_is_points_or_clusters_with_matching_legend(demo_store):
    res = build_map(demo_store, Filters(admin1=("Sumy",)), tiles="none", synthetic=True, sources=["demo"])
    html = html_of(res)
    assert res.mode in ("points", "clusters") and res.drawn == res.total
    assert sum(res.drawn_by_category.values()) == res.drawn
    assert "What was hit" in html and "Synthetic demo data" in html
    assert len(res.map.get_root().render().encode()) < 2_000_000


def test_clusters_for_many_and_payload_stays_small(demo_store):
    f = Filters(admin1=("Kharkiv", "Donetsk", "Zaporizhzhia", "Kherson", "Dnipropetrovsk"))
    res = build_map(demo_store, f, tiles="none")
    assert res.mode == "clusters", res.total
    assert len(res.map.get_root().render().encode()) < 2_000_000


def test_zoomed_in_view_queries_only_the_view(demo_store):
    view = View(9, (50.0, 36.25), (35.9, 49.8, 36.6, 50.2))
    res = build_map(demo_store, Filters(), view=view, tiles="none")
    assert res.in_view < res.total and "in view" in res.status
    assert view_bbox(View(6, (48, 31), (22, 44, 40, 52))) is None


def test_empty_filter_says_so(demo_store):
    res = build_map(demo_store, Filters(text="no such words anywhere"), tiles="none")
    assert res.mode == "empty" and "No incidents match" in html_of(res)


@pytest.fixture(scope="module")
def oblasts(tmp_path_factory):
    import os

    from harmmap import gazetteer, paths
    from tests.conftest import need

    src = paths.SHARED_DATASETS / "boundaries" / "geoBoundaries-UKR-ADM1_simplified.geojson"
    need(src.is_file(), f"boundaries file {src}")
    old = os.environ.get("HARMMAP_BOUNDARIES_DIR")
    os.environ["HARMMAP_BOUNDARIES_DIR"] = str(tmp_path_factory.mktemp("bnd"))
    try:
        gazetteer.load_boundaries(src, 1)
        yield gazetteer.boundaries(1)
    finally:
        if old is None:
            os.environ.pop("HARMMAP_BOUNDARIES_DIR", None)
        else:
            os.environ["HARMMAP_BOUNDARIES_DIR"] = old


def test_heat_mode_is_bounded_and_says_so(demo_store):
    res = build_map(demo_store, Filters(), mode="heat", tiles="none")
    html = html_of(res)
    assert res.mode == "heat" and res.drawn == 25_000 and "as heat" in res.status
    assert "L.heatLayer(" in html and "Heat: incidents" in html
    assert len(res.map.get_root().render().encode()) < 2_000_000
    res = build_map(demo_store, Filters(), mode="heat", heat_weight="fatalities", tiles="none")
    assert "Heat: fatalities (reported)" in html_of(res)


def test_oblast_choropleth_counts_and_share(demo_store, oblasts):
    res = build_map(demo_store, Filters(), mode="oblasts", tiles="none", boundaries=oblasts)
    html = html_of(res)
    assert res.mode == "oblasts" and "Incidents per oblast" in html and '"admin1": "Sumy"' in html
    assert res.drawn <= 25_000 and res.cells >= 20
    res = build_map(demo_store, Filters(), mode="oblasts", share_of="health", tiles="none", boundaries=oblasts)
    assert "Share that hit: Health" in html_of(res) and "share that hit Health" in res.status


def test_oblasts_without_boundaries_falls_back_and_says_why(demo_store):
    res = build_map(demo_store, Filters(admin1=("Sumy",)), mode="oblasts", tiles="none")
    assert res.mode in ("points", "clusters") and any("needs boundaries" in n for n in res.notes)


def test_controls_facilities_and_drawn_area(demo_store, oblasts):
    import pandas as pd

    from layers.assets import asset_links

    fac = pd.DataFrame({"lon": [30.5], "lat": [50.45], "category": ["health"], "name": ["<b>Clinic</b>"]})
    f = Filters(bbox=(35.0, 49.0, 37.0, 51.0))
    res = build_map(demo_store, f, tiles="none", boundaries=oblasts, facilities=fac)
    html = html_of(res)
    for js in ("L.control.layers", "L.Control.Draw", "L.Control.MiniMap", "L.Control.Measure", "hmFacilities"):
        assert js in html, js
    assert "<b>Clinic</b>" not in html and "dashArray" in html          # facility name escaped; area outlined
    assert all(u.startswith("/app/static/") for u in asset_links(res.map))
    assert "within a drawn area" in res.subtitle


def test_home_view_opens_the_map_there(demo_store):
    home = View(10, (49.99, 36.23), (35.9, 49.8, 36.6, 50.2))
    res = build_map(demo_store, Filters(admin1=("Kharkiv",)), home=home, tiles="none")
    html = res.map.get_root().render()
    assert "[49.99, 36.23]" in html and "fitBounds" not in html
    # a view-dependent map (all 25,000 incidents) opened from a link starts exactly there too
    res = build_map(demo_store, Filters(), view=home, home=home, tiles="none")
    assert "[49.99, 36.23]" in res.map.get_root().render() and res.in_view < res.total


def test_hexagons_carry_their_cell_for_click_filtering(demo_store):
    res = build_map(demo_store, Filters(), tiles="none")
    assert '"h3": "8' in html_of(res)


def test_panning_does_not_change_what_is_drawn_when_all_fits(demo_store):
    """A map whose data all fit keeps its script when the analyst pans (so clicks are not lost to a rebuild),
    facilities included."""
    import numpy as np
    import pandas as pd

    from layers.facilities import FacilityLayer

    rng = np.random.default_rng(0)
    fac = pd.DataFrame({"lon": rng.uniform(29, 32, 8000), "lat": rng.uniform(49, 52, 8000), "category": "health",
                        "name": None})

    def payloads(view):
        res = build_map(demo_store, Filters(admin1=("Kyiv",)), view=view, tiles="none", facilities=fac)
        layers = [c for c in res.map._children.values() if isinstance(c, FacilityLayer)]
        return res.mode, layers[0].payload, res.subtitle

    a = payloads(View(9, (50.4, 30.5), (30.0, 50.2, 31.0, 50.6)))
    b = payloads(View(10, (50.1, 31.2), (31.0, 50.0, 31.4, 50.2)))
    assert a == b and 0 < len(a[1]["rows"]) <= 3000
