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
        choose_mode(5, "heat")


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
