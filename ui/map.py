"""The map page's state (Streamlit only): the map's view and options in the URL, and the map's clicks and
drawings turned into filters.

URL parameters (beside the sidebar's filters): ``view=lat,lon,zoom`` (where the map is; read on a
session's first run, rewritten whenever the browser reports a new view, without rebuilding the map),
``mode=`` (auto|points|clusters|hexagons|heat|oblasts|raions: the choropleth's level is its mode),
``basemap=`` (a key of :data:`layers.basemap.TILES`), ``weight=fatalities`` (heat), ``share=<category>``
(choropleth), and the layer control's ticks that differ from the defaults: ``show=facilities``,
``hide=outlines,data`` (keys of :data:`layers.controls.OVERLAY_KEYS`; the map applies them itself when it
is created, see :class:`layers.controls.OverlayState`).

Map events (from ``st_folium``'s ``last_active_drawing``): a drawn rectangle filters to its box
(``Filters.bbox``), a drawn polygon to the polygon (``Filters.polygon_wkt``), a clicked hexagon to its H3
cell (``Filters.h3_cells``), a clicked oblast to that oblast (the sidebar's Oblasts) and a clicked raion
to its polygon (``Filters.polygon_wkt``, the raion's stored boundary; :func:`raion_name` names it again).
They go to the shared sidebar through :func:`ui.sidebar.set_extra_filter`, so every page follows the map.

Time playback: a week slider above the map and a Play button; while playing, a fragment re-run every
few seconds moves the slider to the next week (and reruns the page).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math

import streamlit as st

from harmmap import gazetteer
from harmmap.query import Filters
from layers.basemap import TILES
from layers.compose import MODES, View
from layers.controls import OVERLAY_KEYS
from layers.heat import WEIGHTS
from ui.sidebar import set_extra_filter

__all__ = ["RETURNED", "MAP_PARAMS", "parse_view", "format_view", "view_bounds", "event_filter",
           "init_from_url", "home_view", "write_url", "apply_map_event", "clear_area", "has_area",
           "overlay_params", "raion_name", "raion_counter", "raion_boundaries", "playback", "map_options",
           "PLAY_SPEEDS", "weeks_between"]

#: what st_folium sends back (each change reruns the page; the map's script is unchanged by it)
RETURNED = ["last_object_clicked_tooltip", "zoom", "bounds", "center", "last_active_drawing", "all_drawings",
            "selected_layers"]
#: query parameters owned by the map
MAP_PARAMS = ("view", "mode", "basemap", "weight", "share", "show", "hide")
#: overlays shown when the map is created (the others are ticked off)
OVERLAY_DEFAULTS = {"data": True, "outlines": True, "facilities": False}
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


def event_filter(feature: dict | None, raions=None) -> dict | None:
    """The filter change a map event asks for, as ``set_extra_filter`` keyword arguments; None for others.

    A clicked hexagon carries ``properties.h3``, a clicked oblast ``properties.admin1``, a clicked raion
    ``properties.raion`` (its row in ``raions``, ``gazetteer.boundaries(2)``, whose stored boundary becomes
    ``polygon_wkt`` when its name matches; else the drawn shape does); a drawn shape has no properties:
    a rectangle becomes ``bbox``, any other polygon ``polygon_wkt``. Points (a click on an incident) are
    not filters.

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
    if props.get("raion") is not None and props.get("admin2"):
        try:
            row = raions.iloc[int(props["raion"])] if raions is not None else None
        except (IndexError, ValueError, TypeError):
            row = None
        if row is not None and str(row["admin2"]) == str(props["admin2"]):
            return {"polygon_wkt": row.geometry.wkt, "bbox": None, "h3_cells": ()}
        from shapely.geometry import shape

        try:
            g = shape(geom)
        except Exception:     # noqa: BLE001 - a malformed shape from the browser is not a filter
            return None
        return {"polygon_wkt": g.wkt, "bbox": None, "h3_cells": ()} if g.is_valid and not g.is_empty else None
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


def _valid(key: str, value: str, categories, modes=MODES) -> bool:
    if key == "mode":
        return value in modes
    if key == "basemap":
        return value in TILES
    if key == "weight":
        return value in WEIGHTS
    if key == "share":
        return value in categories
    return False


def init_from_url(categories=(), modes=MODES) -> None:
    """On a session's first run, set the map's widgets and home view from the URL (call before the widgets)."""
    if st.session_state.get(_INIT):
        return
    st.session_state[_INIT] = True
    for p, key in KEYS.items():
        v = st.query_params.get(p)
        if v and _valid(p, v, categories, modes):
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


def overlay_params(state: dict | None, current: dict[str, str]) -> dict[str, str]:
    """``show``/``hide`` for the URL: the ticks the map reported (``selected_layers``' ``hm-overlays``
    entry) over those the URL (``current``) already has; overlays at their default are left out.

    Example
    -------
    >>> rep = {"selected_layers": [{"name": "hm-overlays", "url": '{"data": true, "facilities": true}'}]}
    >>> overlay_params(rep, {"hide": "outlines"})
    {'show': 'facilities', 'hide': 'outlines'}
    >>> overlay_params({"selected_layers": [{"name": "hm-overlays", "url": '{"outlines": true}'}]},
    ...                {"hide": "outlines,x"})
    {}
    """
    shown = dict(OVERLAY_DEFAULTS)
    for k in (current.get("show") or "").split(","):
        if k in OVERLAY_KEYS:
            shown[k] = True
    for k in (current.get("hide") or "").split(","):
        if k in OVERLAY_KEYS:
            shown[k] = False
    for entry in (state or {}).get("selected_layers") or ():
        if isinstance(entry, dict) and entry.get("name") == "hm-overlays":
            try:
                rep = json.loads(entry.get("url") or "{}")
            except (TypeError, ValueError):
                rep = {}
            for k, v in (rep.items() if isinstance(rep, dict) else ()):
                if k in OVERLAY_KEYS:
                    shown[k] = bool(v)
    out = {}
    for p, want in (("show", True), ("hide", False)):
        keys = [k for k in OVERLAY_KEYS if shown[k] == want and OVERLAY_DEFAULTS[k] != want]
        if keys:
            out[p] = ",".join(keys)
    return out


def write_url(state: dict | None, **options: str) -> None:
    """Mirror the view st_folium reported, the layer control's ticks and the map options (``mode``,
    ``basemap``...) in the URL; defaults are left out, and nothing is written when nothing changed."""
    want = {k: str(v) for k, v in options.items() if v is not None and str(v) != DEFAULTS.get(k)}
    want.update(overlay_params(state, {k: st.query_params.get(k, "") for k in ("show", "hide")}))
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


def apply_map_event(state: dict | None, raions=None) -> bool:
    """Turn a new drawing or a click on a hexagon/oblast/raion into a filter (and rerun); True if it did.

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
    change = event_filter(feature, raions)
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
               "heat": "Heat map", "oblasts": "Oblasts (choropleth)", "raions": "Raions (choropleth)"}


def map_options(container, tax, *, raions: bool = False) -> dict:
    """The 'Map options' popover: representation (the choropleth at oblast or, when raion boundaries are
    configured, ``raions=True``, raion level), basemap, heat weight, choropleth share.

    Returns ``{"mode", "basemap", "weight", "share"}`` (share: a category id or "" for counts).
    """
    from layers.basemap import TILE_LABELS

    modes = [m for m in MODES if m != "raions" or raions]
    init_from_url(tuple(tax.categories), tuple(modes))
    if st.session_state.get(KEYS["mode"]) not in (None, *modes):     # raion boundaries went away
        st.session_state[KEYS["mode"]] = "auto"
    with container.popover("Map options", icon=":material/tune:", width="stretch"):
        mode = st.selectbox("Show as", modes, format_func=MODE_LABELS.get, key=KEYS["mode"],
                            help="Oblasts or raions: a choropleth of the regions (raions need raion boundaries: "
                                 "python -m harmmap boundaries load FILE --level 2)")
        tiles = st.selectbox("Basemap", list(TILES), format_func=TILE_LABELS.get, key=KEYS["basemap"])
        weight = st.selectbox("Heat weighted by", list(WEIGHTS), format_func=WEIGHTS.get, key=KEYS["weight"],
                              disabled=mode != "heat")
        share = st.selectbox("Regions coloured by", [""] + list(tax.categories), key=KEYS["share"],
                             format_func=lambda c: "incidents (count)" if not c else f"share that hit {tax.label(c)}",
                             disabled=mode not in ("oblasts", "raions"))
    return {"mode": mode, "basemap": tiles, "weight": weight, "share": share}


# ------------------------------------------------------------------------------------------------
# raions
# ------------------------------------------------------------------------------------------------
def raion_boundaries():
    """The configured raion boundaries (``gazetteer.boundaries(2)``), or None (also when unreadable)."""
    try:
        return gazetteer.boundaries(2)
    except Exception:     # noqa: BLE001 - a broken file must not take the map down; the oblasts still work
        return None


@functools.lru_cache(maxsize=2)
def _raion_wkts(key: tuple[str, float]) -> dict[str, str]:
    b = gazetteer.boundaries(2)
    if b is None:
        return {}
    from layers.choropleth import raion_label

    return {g.wkt: raion_label(r) for g, r in zip(b.geometry, b.drop(columns="geometry").to_dict("records"),
                                                  strict=True)}


def raion_name(filters: Filters) -> str | None:
    """'raion Chuhuivskyi (Kharkiv)' when the filters' polygon is a raion's boundary (a clicked raion)."""
    if not filters.polygon_wkt:
        return None
    name = _raion_wkts(gazetteer.boundaries_key(2)).get(filters.polygon_wkt)
    return f"raion {name}" if name else None


@st.cache_data(ttl=3600, show_spinner="Counting incidents per raion…", max_entries=32)
def _raion_counts(url: str, version: str, bkey: tuple[str, float], f: Filters):
    from layers.choropleth import admin2_counts
    from ui.store import get_store

    return admin2_counts(get_store(url), f, gazetteer.boundaries(2))


def raion_counter(store):
    """``filters -> counts per raion`` for :func:`layers.compose.build_map`, cached per store, data version,
    boundaries and filters (the incidents it reads are not kept, only the counts)."""
    bkey = gazetteer.boundaries_key(2)
    return lambda f: _raion_counts(store.url, store.info.version, bkey, f)


# ------------------------------------------------------------------------------------------------
# time playback
# ------------------------------------------------------------------------------------------------
#: seconds between weeks while playing
PLAY_SPEEDS = {"slow": 3.0, "normal": 1.5, "fast": 0.8}
_PLAYING = "map_playing"
_NEXT = "map_play_next"
_INLINE = "map_play_inline"


def weeks_between(d0: dt.date, d1: dt.date) -> list[dt.date]:
    """The Mondays of the weeks from ``d0`` to ``d1``.

    Example
    -------
    >>> weeks_between(dt.date(2022, 2, 24), dt.date(2022, 3, 7))
    [datetime.date(2022, 2, 21), datetime.date(2022, 2, 28), datetime.date(2022, 3, 7)]
    """
    start = d0 - dt.timedelta(days=d0.weekday())
    return [start + dt.timedelta(weeks=i) for i in range((d1 - start).days // 7 + 1)]


def _toggle_play(weeks: list[dt.date]) -> None:
    playing = not st.session_state.get(_PLAYING, False)
    st.session_state[_PLAYING] = playing
    if playing and st.session_state.get("map_play_week") == weeks[-1]:
        st.session_state["map_play_week"] = weeks[0]        # at the end: play from the start again


def _ticker(weeks: list[dt.date], every: float):
    """While playing, every ``every`` s: the next week (the page reruns); at the last week, stop."""

    def tick():
        if st.session_state.pop(_INLINE, False):        # the call from the page's own run: nothing to do yet
            return
        if not st.session_state.get(_PLAYING):
            return
        cur = st.session_state.get("map_play_week")
        i = weeks.index(cur) if cur in weeks else -1
        if i + 1 >= len(weeks):
            st.session_state[_PLAYING] = False
        else:
            st.session_state[_NEXT] = weeks[i + 1]
        st.rerun()

    st.session_state[_INLINE] = True
    st.fragment(tick, run_every=every)()


def playback(container, filters: Filters, options: dict, bar=None) -> Filters:
    """Time playback: a slider over weeks (in ``bar``, above the map) that shows one week (or everything
    up to it) on the map, and a Play button that steps through the weeks by itself.

    Returns the filters the map draws (the page's own filters when playback is off). The weeks run
    Monday to Sunday within the filtered dates (else the data's). The switch, the speed and
    "cumulative" live in the 'Time playback' popover in ``container``.
    """
    d0 = filters.date_from or options.get("date_min")
    d1 = filters.date_to or options.get("date_max")
    with container.popover("Time playback", icon=":material/play_circle:", width="stretch"):
        on = st.toggle("Step through weeks", key="map_play_on", disabled=not (d0 and d1))
        cumulative = st.toggle("Cumulative (everything up to this week)", key="map_play_cum")
        speed = st.segmented_control("Speed", list(PLAY_SPEEDS), key="map_play_speed", default="normal")
    if not on or not (d0 and d1):
        st.session_state[_PLAYING] = False
        return filters
    weeks = weeks_between(d0, d1)
    nxt = st.session_state.pop(_NEXT, None)
    if nxt in weeks:
        st.session_state["map_play_week"] = nxt
    if st.session_state.get("map_play_week") not in (None, *weeks):
        st.session_state["map_play_week"] = weeks[0]
    playing = bool(st.session_state.get(_PLAYING))
    with (bar or st.container()):
        c1, c2 = st.columns([1.3, 8], vertical_alignment="bottom")
        c1.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                  key="map_play_btn", on_click=_toggle_play, args=(weeks,), width="stretch",
                  help="Step through the weeks by themselves")
        week = c2.select_slider("Week starting", options=weeks, key="map_play_week",
                                format_func=lambda d: f"{d.day} {d:%b %Y}")
    if playing:
        _ticker(weeks, PLAY_SPEEDS.get(speed or "normal", 1.5))
    end = min(week + dt.timedelta(days=6), d1)
    return filters.replace(date_from=filters.date_from if cumulative else max(week, d0), date_to=end)
