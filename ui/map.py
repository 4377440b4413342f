"""The map page's state (Streamlit only): the map's view and options in the URL, and the map's clicks and
drawings turned into filters.

URL parameters (beside the sidebar's filters): ``view=lat,lon,zoom`` (where the map is; read on a
session's first run, rewritten whenever the browser reports a new view, without rebuilding the map),
``mode=`` (auto|points|clusters|hexagons|heat|oblasts), ``basemap=`` (a key of
:data:`layers.basemap.TILES`), ``weight=fatalities`` (heat) and ``share=<category>`` (choropleth).

Map events (from ``st_folium``'s ``last_active_drawing``): a drawn rectangle filters to its box
(``Filters.bbox``), a drawn polygon to the polygon (``Filters.polygon_wkt``), a clicked hexagon to its H3
cell (``Filters.h3_cells``) and a clicked oblast to that oblast (the sidebar's Oblasts). They go to the
shared sidebar through :func:`ui.sidebar.set_extra_filter`, so every page follows the map's filter.
"""

from __future__ import annotations

import json
import math

import streamlit as st

from harmmap.query import Filters
from layers.basemap import TILES
from layers.compose import MODES, View
from layers.heat import WEIGHTS
from ui.sidebar import set_extra_filter

__all__ = ["RETURNED", "MAP_PARAMS", "parse_view", "format_view", "view_bounds", "event_filter",
           "init_from_url", "home_view", "write_url", "apply_map_event", "clear_area", "has_area"]

#: what st_folium sends back (each change reruns the page; the map's script is unchanged by it)
RETURNED = ["last_object_clicked_tooltip", "zoom", "bounds", "center", "last_active_drawing", "all_drawings"]
#: query parameters owned by the map
MAP_PARAMS = ("view", "mode", "basemap", "weight", "share")
KEYS = {"mode": "map_mode", "basemap": "map_tiles", "weight": "map_weight", "share": "map_share"}
DEFAULTS = {"mode": "auto", "basemap": "cartodbpositron", "weight": "incidents", "share": ""}
_INIT = "map_url_initialised"
_HOME = "map_home"
_CONSUMED = "map_event_consumed"


def parse_view(text: str | None) -> View | None:
    """``"lat,lon,zoom"`` -> a View (with approximate bounds for a 900x560 px map); None if malformed.

    Example
    -------
    >>> v = parse_view("49.99,36.23,10")
    >>> v.center, v.zoom
    ((49.99, 36.23), 10.0)
    >>> parse_view("91,0,5") is None and parse_view("x") is None
    True
    """
    try:
        lat, lon, zoom = (float(x) for x in str(text or "").split(","))
    except ValueError:
        return None
    if not (-85 <= lat <= 85 and -180 <= lon <= 180 and 0 <= zoom <= 20) or any(map(math.isnan, (lat, lon, zoom))):
        return None
    return View(zoom, (lat, lon), view_bounds(lat, lon, zoom))


def view_bounds(lat: float, lon: float, zoom: float, width: int = 900, height: int = 560):
    """The lon/lat box a ``width`` x ``height`` px Leaflet map centred on (lat, lon) at ``zoom`` shows."""
    deg_per_px = 360 / (256 * 2 ** zoom)
    dx = width / 2 * deg_per_px
    dy = height / 2 * deg_per_px * math.cos(math.radians(lat))
    return (lon - dx, max(lat - dy, -85.0), lon + dx, min(lat + dy, 85.0))


def format_view(state: dict | None) -> str | None:
    """st_folium's ``center``/``zoom`` as ``"lat,lon,zoom"`` (4 decimals: about 10 m), or None."""
    try:
        c, z = state["center"], state["zoom"]
        return f"{float(c['lat']):.4f},{float(c['lng']):.4f},{int(z)}"
    except (KeyError, TypeError, ValueError):
        return None


def _ring_is_box(ring) -> bool:
    xs = {round(p[0], 9) for p in ring}
    ys = {round(p[1], 9) for p in ring}
    return len(ring) in (4, 5) and len(xs) == 2 and len(ys) == 2


def event_filter(feature: dict | None) -> dict | None:
    """The filter change a map event asks for, as ``set_extra_filter`` keyword arguments; None for others.

    A clicked hexagon carries ``properties.h3``, a clicked oblast ``properties.admin1``; a drawn shape
    has no properties: a rectangle becomes ``bbox``, any other polygon ``polygon_wkt``. Points
    (a click on an incident) are not filters.

    Example
    -------
    >>> rect = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
    ...         "coordinates": [[[30, 50], [30, 51], [31, 51], [31, 50], [30, 50]]]}}
    >>> event_filter(rect)
    {'bbox': (30.0, 50.0, 31.0, 51.0), 'polygon_wkt': None, 'h3_cells': ()}
    >>> event_filter({"type": "Feature", "properties": {"admin1": "Sumy"}, "geometry": rect["geometry"]})
    {'admin1': ('Sumy',)}
    """
    if not isinstance(feature, dict):
        return None
    props = feature.get("properties") or {}
    geom = feature.get("geometry") or {}
    if props.get("h3"):
        return {"h3_cells": (str(props["h3"]),), "bbox": None, "polygon_wkt": None}
    if props.get("admin1"):
        return {"admin1": (str(props["admin1"]),)}
    if props or geom.get("type") != "Polygon":
        return None
    try:
        ring = [(float(x), float(y)) for x, y in geom["coordinates"][0]]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if len(ring) < 4:
        return None
    if _ring_is_box(ring):
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return {"bbox": (min(xs), min(ys), max(xs), max(ys)), "polygon_wkt": None, "h3_cells": ()}
    from shapely.geometry import Polygon

    poly = Polygon(ring)
    if not poly.is_valid or poly.area == 0:
        return None
    return {"polygon_wkt": poly.wkt, "bbox": None, "h3_cells": ()}


def _valid(key: str, value: str, categories) -> bool:
    if key == "mode":
        return value in MODES
    if key == "basemap":
        return value in TILES
    if key == "weight":
        return value in WEIGHTS
    if key == "share":
        return value in categories
    return False


def init_from_url(categories=()) -> None:
    """On a session's first run, set the map's widgets and home view from the URL (call before the widgets)."""
    if st.session_state.get(_INIT):
        return
    st.session_state[_INIT] = True
    for p, key in KEYS.items():
        v = st.query_params.get(p)
        if v and _valid(p, v, categories):
            st.session_state[key] = v
    home = parse_view(st.query_params.get("view"))
    st.session_state[_HOME] = (home, None) if home else None


def home_view(filters: Filters) -> View | None:
    """The view a link opened the map at, while the filters are the ones it opened with (else None)."""
    h = st.session_state.get(_HOME)
    if not h:
        return None
    view, for_filters = h
    if for_filters is None:
        st.session_state[_HOME] = (view, filters)
        return view
    return view if for_filters == filters else None


def write_url(state: dict | None, **options: str) -> None:
    """Mirror the view st_folium reported and the map options (``mode``, ``basemap``...) in the URL;
    defaults are left out, and nothing is written when nothing changed."""
    want = {k: str(v) for k, v in options.items() if v is not None and str(v) != DEFAULTS.get(k)}
    view = format_view(state)
    if view:
        want["view"] = view
    elif "view" in st.query_params:
        want["view"] = st.query_params.get("view")
    for k in MAP_PARAMS:
        if k in st.query_params and k not in want:
            del st.query_params[k]
    changed = {k: v for k, v in want.items() if st.query_params.get(k) != v}
    if changed:
        st.query_params.update(changed)


def _signature(feature) -> str:
    return json.dumps(feature, sort_keys=True, default=str)[:20_000]


def apply_map_event(state: dict | None) -> bool:
    """Turn a new drawing or a click on a hexagon/oblast into a filter (and rerun); True if it did.

    Each event is applied once: the last one applied is remembered, so a rerun (or a rebuilt map
    still reporting it) does not apply it again after the analyst cleared it.
    """
    feature = (state or {}).get("last_active_drawing")
    if not feature:
        return False
    sig = _signature(feature)
    if st.session_state.get(_CONSUMED) == sig:
        return False
    st.session_state[_CONSUMED] = sig
    change = event_filter(feature)
    if not change:
        return False
    set_extra_filter(**change)
    st.rerun()
    return True     # not reached (st.rerun raises); for callers' readability


def has_area(filters: Filters) -> bool:
    """Whether the filters hold a drawn area or clicked hexagons (what 'Clear drawn area' clears)."""
    return bool(filters.bbox or filters.polygon_wkt or filters.h3_cells)


def clear_area() -> None:
    """Button callback: drop the drawn area and clicked hexagons from the filters."""
    set_extra_filter(bbox=None, polygon_wkt=None, h3_cells=())


MODE_LABELS = {"auto": "Auto (by count)", "points": "Points", "clusters": "Clusters", "hexagons": "Hexagons",
               "heat": "Heat map", "oblasts": "Oblasts (choropleth)"}


def map_options(container, tax) -> dict:
    """The 'Map options' popover: representation, basemap, heat weight, choropleth share.

    Returns ``{"mode", "basemap", "weight", "share"}`` (share: a category id or "" for counts).
    """
    from layers.basemap import TILE_LABELS

    init_from_url(tuple(tax.categories))
    with container.popover("Map options", icon=":material/tune:", width="stretch"):
        mode = st.selectbox("Show as", MODES, format_func=MODE_LABELS.get, key=KEYS["mode"])
        tiles = st.selectbox("Basemap", list(TILES), format_func=TILE_LABELS.get, key=KEYS["basemap"])
        weight = st.selectbox("Heat weighted by", list(WEIGHTS), format_func=WEIGHTS.get, key=KEYS["weight"],
                              disabled=mode != "heat")
        share = st.selectbox("Oblasts coloured by", [""] + list(tax.categories), key=KEYS["share"],
                             format_func=lambda c: "incidents (count)" if not c else f"share that hit {tax.label(c)}",
                             disabled=mode != "oblasts")
    return {"mode": mode, "basemap": tiles, "weight": weight, "share": share}


def playback(container, filters: Filters, options: dict) -> Filters:
    """Time playback: a slider over weeks that shows one week (or everything up to it) on the map.

    Returns the filters the map draws (the page's own filters when playback is off). The weeks run
    Monday to Sunday within the filtered dates (else the data's).
    """
    import datetime as dt

    d0 = filters.date_from or options.get("date_min")
    d1 = filters.date_to or options.get("date_max")
    with container.popover("Time playback", icon=":material/play_circle:", width="stretch"):
        on = st.toggle("Step through weeks", key="map_play_on", disabled=not (d0 and d1))
        if not on or not (d0 and d1):
            return filters
        start = d0 - dt.timedelta(days=d0.weekday())
        weeks = [start + dt.timedelta(weeks=i) for i in range((d1 - start).days // 7 + 1)]
        week = st.select_slider("Week starting", options=weeks, key="map_play_week",
                                format_func=lambda d: f"{d.day} {d:%b %Y}")
        cumulative = st.toggle("Cumulative (everything up to this week)", key="map_play_cum")
    end = min(week + dt.timedelta(days=6), d1)
    return filters.replace(date_from=filters.date_from if cumulative else max(week, d0), date_to=end)
