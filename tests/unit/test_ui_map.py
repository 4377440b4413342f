"""The map page's pure helpers: view in the URL, map events turned into filters."""

from __future__ import annotations

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
