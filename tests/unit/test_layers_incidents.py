"""Points and clusters: colours from the taxonomy, escaped text, one element for many incidents."""

from __future__ import annotations

import json

import folium
import pandas as pd
import pytest

from harmmap.taxonomy import load_taxonomy
from layers.common import incident_payload
from layers.incidents import clusters, points

EVIL = "<img src=x onerror=alert(1)>"


def frame(n=3, location="Kharkiv"):
    return pd.DataFrame({
        "lat": [50.0 + i * 0.01 for i in range(n)], "lon": [36.2] * n,
        "categories": [["health"], ["energy", "residential"], []][:n] + [["water"]] * max(0, n - 3),
        "date": pd.to_datetime(["2022-03-01"] * n), "location": [location] * n,
        "incident_id": [f"t:{i}" for i in range(n)]})


def render(layer) -> str:
    m = folium.Map()
    layer.add_to(m)
    return "".join(m.get_root().render().split())


def test_points_carry_taxonomy_colours_and_count_by_first_category():
    layer = points(frame())
    html = render(layer)
    tax = load_taxonomy()
    for c in ("health", "energy", "unclassified"):
        assert tax.color(c) in html
    assert layer.drawn == 3
    assert layer.drawn_by_category == {"health": 1, "energy": 1, "unclassified": 1}
    assert "markerClusterGroup" not in html


def test_prefer_colours_by_the_filtered_category():
    layer = points(frame(), {"prefer": ("residential",)})
    assert layer.drawn_by_category == {"health": 1, "residential": 1, "unclassified": 1}


def test_clusters_are_one_element_with_category_pies():
    layer = clusters(frame(500))
    html = render(layer)
    assert html.count("L.circleMarker") == 1          # one loop in JS, not one object per marker
    assert "markerClusterGroup" in html and "conic-gradient" in html
    assert layer.drawn == 500


def test_text_from_data_is_never_raw_html():
    layer = points(frame(location=EVIL))
    out = layer.get_root().render() if False else None  # noqa: F841
    m = folium.Map()
    layer.add_to(m)
    html = m.get_root().render()
    assert EVIL not in html                              # JSON-encoded, escaped again in the browser
    assert "hmEsc(P.locs[r[4]])" in html


def test_rows_without_coordinates_are_counted_not_drawn():
    df = frame()
    df.loc[1, "lat"] = float("nan")
    p = incident_payload(df)
    assert p["missing_coords"] == 1 and len(p["rows"]) == 2


def test_missing_columns_raise_a_clear_error():
    with pytest.raises(ValueError, match="lacks column"):
        points(frame().drop(columns=["location"]))


def test_payload_is_compact():
    p = incident_payload(frame(3000))
    assert len(json.dumps(p)) < 3000 * 60
