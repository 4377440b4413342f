"""The map page's pure helpers: view in the URL, map events turned into filters."""

from __future__ import annotations

import json

import pytest

from ui.map import event_filter, format_view, parse_view, view_bounds


def test_view_round_trip():
    v = parse_view("49.99,36.23,10")
    assert v.center == (49.99, 36.23) and v.zoom == 10
    x0, y0, x1, y1 = v.bounds
    assert x0 < 36.23 < x1 and y0 < 49.99 < y1 and (x1 - x0) < 1.5
    assert format_view({"center": {"lat": 49.99, "lng": 36.23}, "zoom": 10}) == "49.9900,36.2300,10"
    for bad in ("", "a,b,c", "1,2", "95,30,5", "50,30,99", "nan,30,5"):
        assert parse_view(bad) is None, bad
    assert format_view(None) is None and format_view({"zoom": 3}) is None


def test_bounds_shrink_with_zoom():
    w6 = view_bounds(49, 31, 6)
    w10 = view_bounds(49, 31, 10)
    assert (w6[2] - w6[0]) == pytest.approx(16 * (w10[2] - w10[0]))


def _poly(ring, props=None):
    return {"type": "Feature", "properties": props or {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_drawn_rectangle_polygon_hexagon_oblast():
    rect = _poly([[30, 50], [30, 51], [31, 51], [31, 50], [30, 50]])
    assert event_filter(rect) == {"bbox": (30.0, 50.0, 31.0, 51.0), "polygon_wkt": None, "h3_cells": ()}
    tri = event_filter(_poly([[30, 50], [31, 50], [30.5, 51], [30, 50]]))
    assert tri["polygon_wkt"].startswith("POLYGON ((30 50") and tri["bbox"] is None
    hexa = event_filter(_poly([[30, 50], [31, 50], [30.5, 51], [30, 50]], {"h3": "851e6a4bfffffff", "c": "#fff"}))
    assert hexa == {"h3_cells": ("851e6a4bfffffff",), "bbox": None, "polygon_wkt": None}
    assert event_filter(_poly([[30, 50], [31, 50], [30.5, 51], [30, 50]], {"admin1": "Sumy"})) == {"admin1": ("Sumy",)}


def test_other_events_are_not_filters():
    point = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [30, 50]}}
    assert event_filter(point) is None
    assert event_filter(None) is None and event_filter("x") is None
    assert event_filter(_poly([[30, 50], [31, 50], [30, 50]])) is None                      # degenerate
    bowtie = _poly([[30, 50], [31, 50.5], [31, 50], [30, 50.5], [30.2, 50.2], [30, 50]])
    assert event_filter(bowtie) is None                                                     # self-crossing


def test_a_clicked_raion_filters_to_its_stored_boundary():
    import geopandas as gpd
    from shapely.geometry import box

    raions = gpd.GeoDataFrame({"admin2": ["Ivanivka", "Chuhuiv"], "admin1": ["Odesa", "Kharkiv"]},
                              geometry=[box(30, 50, 31, 51), box(36.123456789, 49.5, 37, 50)], crs=4326)
    drawn = _poly([[36.1235, 49.5], [37, 49.5], [37, 50], [36.1235, 50], [36.1235, 49.5]],
                  {"raion": 1, "admin2": "Chuhuiv", "c": "#fff", "t": "x"})
    got = event_filter(drawn, raions)
    assert got == {"polygon_wkt": raions.geometry.iloc[1].wkt, "bbox": None, "h3_cells": ()}
    # boundaries changed since the map was drawn: the drawn shape, not another raion
    stale = event_filter(dict(drawn, properties={"raion": 0, "admin2": "Chuhuiv"}), raions)
    assert stale["polygon_wkt"].startswith("POLYGON ((36.1235 49.5")
    assert event_filter(dict(drawn, properties={"raion": 9, "admin2": "Chuhuiv"}), None)["polygon_wkt"]


def test_overlay_ticks_in_the_url():
    from ui.map import overlay_params

    def rep(**shown):
        return {"selected_layers": [{"name": "x", "url": "y"}, {"name": "hm-overlays", "url": json.dumps(shown)}]}

    assert overlay_params(rep(data=True, outlines=True, facilities=False), {}) == {}
    assert overlay_params(rep(facilities=True, outlines=False), {}) == {"show": "facilities", "hide": "outlines"}
    assert overlay_params(rep(outlines=True), {"hide": "outlines,data"}) == {"hide": "data"}
    assert overlay_params(None, {"show": "facilities,<script>", "hide": "nope"}) == {"show": "facilities"}
    assert overlay_params({"selected_layers": [{"name": "hm-overlays", "url": "{bad"}]}, {}) == {}


def test_weeks_between():
    import datetime as dt

    from ui.map import weeks_between

    w = weeks_between(dt.date(2025, 6, 1), dt.date(2025, 6, 30))      # a Sunday to a Monday
    assert w[0] == dt.date(2025, 5, 26) and w[-1] == dt.date(2025, 6, 30) and len(w) == 6
