"""Compose the incident map: ask the store for what the view needs, pick the representation, and
put the layers, legend, title and notes together.

By count in view: points (<= :data:`POINTS_MAX`), client-side clusters (<= :data:`CLUSTERS_MAX`),
else H3 hexagons counted by the store at a resolution following the zoom. The map says which it
shows ("412 incidents", "18,230 incidents in 1,204 hexagons"). An analyst can ask instead for a heat
map (fine H3 cells weighted by incidents or fatalities) or an oblast or raion choropleth (counts, or the
share of one category) when boundaries of that level are configured. Known facilities (hidden until ticked), the drawn
filter area, the layer control, fullscreen, measure, mini-map and draw tools complete the map.

Example
-------
>>> from harmmap.demo import ensure_demo_store
>>> from harmmap.query import Filters
>>> store = ensure_demo_store(":memory:", n=2000)
>>> res = build_map(store, Filters(admin1=("Sumy",)), tiles="none")
>>> res.mode, res.drawn == res.in_view
('points', True)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import folium

from harmmap.query import BBox, Filters
from harmmap.sensitive import max_hex_resolution
from harmmap.taxonomy import Taxonomy, load_taxonomy
from layers import assets
from layers.basemap import UKRAINE_BBOX, UKRAINE_CENTER, TileNote, base_map, title_control
from layers.choropleth import admin2_counts, choropleth, choropleth_data, choropleth_legend
from layers.controls import add_controls, filter_area
from layers.facilities import MAX_POINTS as FACILITIES_MAX
from layers.facilities import facilities as facilities_layer
from layers.heat import heat, heat_data, heat_legend
from layers.hexagons import hex_resolution, hexagons
from layers.incidents import clusters, points
from layers.legend import category_legend, hexagon_legend
from layers.outlines import outlines

__all__ = ["POINTS_MAX", "CLUSTERS_MAX", "MODES", "View", "MapResult", "choose_mode", "view_bbox",
           "build_map", "map_title", "INCIDENT_COLUMNS"]

POINTS_MAX = 2_000
CLUSTERS_MAX = 20_000
#: below this zoom the whole filter is shown (no viewport query): the country view
VIEWPORT_ZOOM = 7
MODES = ("auto", "points", "clusters", "hexagons", "heat", "oblasts", "raions")
INCIDENT_COLUMNS = ["incident_id", "date", "location", "categories", "geometry"]
TITLE = "Attacks on civilian infrastructure"


@dataclass(frozen=True)
class View:
    """What the browser last showed: Leaflet zoom, centre (lat, lon) and bounds (lon/lat bbox)."""

    zoom: float | None = None
    center: tuple[float, float] | None = None
    bounds: BBox | None = None

    @classmethod
    def from_st_folium(cls, state: dict | None) -> View | None:
        """From the dict ``st_folium`` returns (keys ``zoom``, ``bounds``, ``center``); None if unusable."""
        if not state:
            return None
        try:
            zoom = state.get("zoom")
            b = state.get("bounds") or {}
            sw, ne = b.get("_southWest") or {}, b.get("_northEast") or {}
            bounds = (float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]))
            c = state.get("center") or {}
            center = ((float(c["lat"]), float(c["lng"])) if c else
                      ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2))
            if zoom is None or any(math.isnan(v) for v in bounds):
                return None
            return cls(float(zoom), center, bounds)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


@dataclass
class MapResult:
    """The map and what it shows (for the page's caption and for tests)."""

    map: folium.Map
    mode: str                      # points | clusters | hexagons | empty
    total: int                     # incidents matching the filters
    in_view: int                   # of those, in the queried view (== total at country zoom)
    drawn: int                     # incidents drawn (points/clusters) or counted in hexagons
    cells: int | None = None
    resolution: int | None = None
    status: str = ""
    title: str = ""
    subtitle: str = ""
    drawn_by_category: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    incidents: object = None       # the DataFrame drawn (points/clusters), for the detail panel


def choose_mode(n: int, requested: str = "auto") -> str:
    """Points, clusters or hexagons for ``n`` incidents (``requested`` wins unless it is ``auto``).

    Example
    -------
    >>> [choose_mode(n) for n in (0, 412, 18_000, 25_000)]
    ['points', 'points', 'clusters', 'hexagons']
    >>> choose_mode(25_000, "heat")
    'heat'
    """
    if requested not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {requested!r}")
    if requested != "auto":
        return requested
    if n <= POINTS_MAX:
        return "points"
    if n <= CLUSTERS_MAX:
        return "clusters"
    return "hexagons"


def view_bbox(view: View | None) -> BBox | None:
    """The bbox to query for a zoomed-in view: the bounds padded by half and snapped outward to a grid,
    so that small pans reuse the same query (and the map is not rebuilt); None at country zoom.

    Example
    -------
    >>> view_bbox(View(8, (50.4, 30.5), (29.9, 50.1, 31.1, 50.7)))
    (29.0, 49.0, 32.0, 51.0)
    """
    if view is None or view.zoom is None or view.bounds is None or view.zoom < VIEWPORT_ZOOM:
        return None
    x0, y0, x1, y1 = view.bounds
    px, py = (x1 - x0) / 2, (y1 - y0) / 2
    step = 1.0 if view.zoom < 9 else 0.25 if view.zoom < 11 else 0.05
    snap = lambda v, f: round(f(v / step) * step, 6)  # noqa: E731
    return (snap(x0 - px, math.floor), snap(y0 - py, math.floor), snap(x1 + px, math.ceil), snap(y1 + py, math.ceil))


def _intersect(a: BBox | None, b: BBox | None) -> BBox | None:
    if a is None:
        return b
    if b is None:
        return a
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def _fmt_date(d: dt.date | None) -> str:
    return f"{d.day} {d:%b %Y}" if d else "…"


def map_title(filters: Filters, summary: dict) -> str:
    """'Attacks on civilian infrastructure — 24 Feb 2022 to 30 Jun 2025' (the filter's dates, else the data's)."""
    d0 = filters.date_from or summary.get("date_min")
    d1 = filters.date_to or summary.get("date_max")
    if d0 is None and d1 is None:
        return TITLE
    return f"{TITLE} — {_fmt_date(d0)} to {_fmt_date(d1)}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def build_map(store, filters: Filters, *, view: View | None = None, mode: str = "auto",
              tiles: str = "cartodbpositron", boundaries=None, synthetic: bool = False,
              sources: list[str] | tuple[str, ...] = (), tax: Taxonomy | None = None,
              height: int | str = "100%", home: View | None = None, heat_weight: str = "incidents",
              share_of: str | None = None, facilities=None, controls: bool = True, raions=None,
              raion_counts=None, area_name: str | None = None) -> MapResult:
    """Build the incident map for ``filters`` (and the last ``view``) from ``store``.

    ``store`` needs ``summary``, ``count``, ``incidents``, ``hex_counts`` and ``counts_by`` (a caching
    wrapper is fine). ``boundaries`` is a GeoDataFrame of oblasts (outlines base, choropleth) or None.
    ``home`` is where the map opens (a view from a shared link) instead of the data's extent;
    ``heat_weight`` ("incidents" or "fatalities") weighs the heat mode; ``share_of`` (a category) makes
    the oblast choropleth show that category's share; ``facilities`` is ``harmmap.facilities.table()``.
    ``raions`` (``gazetteer.boundaries(2)``) allows the raion choropleth (mode "raions"), counted by
    ``raion_counts(filters)`` (default :func:`layers.choropleth.admin2_counts`; a page passes a cached one);
    ``area_name`` names the drawn area in the subtitle (e.g. the raion a click filtered to).
    """
    tax = tax or load_taxonomy()
    summary = store.summary(filters)
    total = int(summary.get("incidents") or 0)
    notes: list[str] = []
    has_boundaries = boundaries is not None and len(boundaries) > 0
    if mode == "oblasts" and not has_boundaries:
        notes.append("the oblast choropleth needs boundaries (python -m harmmap boundaries load FILE --level 1)")
        mode = "auto"
    if mode == "raions" and (raions is None or len(raions) == 0):
        notes.append("the raion choropleth needs raion boundaries (python -m harmmap boundaries load FILE --level 2)")
        mode = "auto"
    aggregate = mode in ("heat", "oblasts", "raions")        # drawn from the store's aggregates, whatever the count
    # The view matters only when the whole filter is too much to draw: then the store is asked for what
    # is in view. Otherwise the map's script stays the same however the analyst pans, so the browser keeps
    # its map (and a click on an incident is not lost to a rebuilt map).
    needs_view = not aggregate and (total > CLUSTERS_MAX or (mode == "points" and total > POINTS_MAX))
    vb = view_bbox(view) if needs_view else None
    f_view = filters.replace(bbox=_intersect(filters.bbox, vb)) if vb else filters
    in_view = store.count(f_view) if vb else total
    chosen = choose_mode(in_view, mode)
    resolution = hex_resolution(view.zoom if view else None)
    policy = getattr(store, "policy", None)     # sensitive records' coordinates coarsened for this user
    if policy is not None and getattr(policy, "km", 0):
        resolution = min(resolution, max_hex_resolution(policy.km))
        notes.append(f"coordinates of sensitive records {policy.describe()}")

    # Where the map opens: the data's extent, unless what is drawn depends on the view (a viewport
    # query, or hexagons at a resolution other than the default): then the view the browser had, so
    # that rebuilding the map does not move it. An unchanged script keeps the browser's own view.
    view_dependent = vb is not None or (chosen == "hexagons" and resolution != hex_resolution(None))
    area = filter_area(filters)
    if view_dependent and home is not None and view is home:
        location, zoom, fit = home.center, home.zoom, None      # a shared link's view, exactly
    elif view_dependent and view.center is not None:
        # snapped, so that small pans rebuild nothing: the centre of the queried box, the whole zoom level
        vbox = vb or view.bounds
        location = ((vbox[1] + vbox[3]) / 2, (vbox[0] + vbox[2]) / 2) if vb else view.center
        location, zoom, fit = (round(location[0], 2), round(location[1], 2)), round(view.zoom), None
    elif home is not None and home.center is not None and home.zoom is not None:
        location, zoom, fit = home.center, home.zoom, None
    elif area is not None:
        b = area.bounds
        location, zoom, fit = ((b[1] + b[3]) / 2, (b[0] + b[2]) / 2), 8, b
    else:
        bbox = summary.get("bbox") or UKRAINE_BBOX
        location, zoom, fit = UKRAINE_CENTER, 6, bbox
    attribution = ("Data: " + ", ".join(sources)) if sources else None
    if synthetic and attribution:
        attribution += " (Synthetic demo data)"
    m = base_map(tiles=tiles, location=location, zoom=zoom, attribution=attribution, height=height)
    outline = None
    if has_boundaries:
        ol = outlines(boundaries)
        ol.add_to(m)
        outline = next((f for f in ol.geojson["features"] if f["properties"]["k"] == "country"), None)
        tile_note = "Basemap tiles need internet; showing outlines only"
    else:
        tile_note = "Basemap tiles need internet; no boundaries configured (harmmap boundaries load)"
    if tiles == "none":
        tile_note = ("No basemap tiles: showing oblast outlines" if has_boundaries
                     else "No basemap tiles and no boundaries configured")
    TileNote(tile_note, always=(tiles == "none")).add_to(m)
    if facilities is not None and len(facilities):
        # the box the map already depends on (a viewport query), else the data's extent: never the raw view,
        # so that panning does not rebuild the map (and untick the layer)
        fb = None
        if len(facilities) > FACILITIES_MAX:
            db = summary.get("bbox")
            fb = vb or (area.bounds if area is not None else None) or (
                (db[0] - 0.2, db[1] - 0.2, db[2] + 0.2, db[3] + 0.2) if db else None)
        fl = facilities_layer(facilities, {"bbox": fb, "tax": tax})
        fl.add_to(m)
        if fl.available > fl.drawn:
            notes.append(f"known facilities: {fl.drawn:,} of {fl.available:,} drawn (zoom in for the rest)")

    where = f" in view (of {total:,})" if vb and in_view < total else ""
    res = MapResult(m, chosen, total, in_view, 0)
    if in_view == 0:
        res.mode = "empty"
        res.status = "No incidents match these filters" + (where and " in this view")
    elif chosen in ("points", "clusters"):
        limit = CLUSTERS_MAX if chosen == "clusters" else max(POINTS_MAX, CLUSTERS_MAX)
        df = store.incidents(f_view, columns=INCIDENT_COLUMNS, limit=limit, order="-date")
        layer = (points if chosen == "points" else clusters)(df, {"tax": tax, "prefer": filters.categories})
        layer.add_to(m)
        res.drawn = layer.drawn
        res.drawn_by_category = layer.drawn_by_category
        res.incidents = df
        note = ("Colour: first category of each incident" if not filters.categories else
                "Colour: first filtered category of each incident")
        category_legend(res.drawn_by_category, tax, note=note).add_to(m)
        res.status = _plural(res.drawn, "incident") + where + (" in clusters" if chosen == "clusters" else "")
        if in_view > len(df):
            notes.append(f"showing the latest {len(df):,} of {in_view:,}; zoom in or filter to see the rest")
        if layer.payload["missing_coords"]:
            notes.append(f"{layer.payload['missing_coords']:,} incident(s) without coordinates are not drawn")
    elif chosen == "heat":
        hx, hres = heat_data(store, filters)
        layer = heat(hx, {"weight": heat_weight})
        layer.add_to(m)
        heat_legend(layer, hres).add_to(m)
        res.drawn, res.cells, res.resolution = int(hx["incidents"].sum()) if len(hx) else 0, layer.points, hres
        what = "" if heat_weight == "incidents" else f", {layer.total:,} killed (reported)"
        res.status = f"{_plural(res.drawn, 'incident')}{what} as heat ({_plural(layer.points, 'cell')})"
    elif chosen in ("oblasts", "raions"):
        level, one = (1, "oblast") if chosen == "oblasts" else (2, "raion")
        base = filters.replace(categories=()) if share_of else filters
        if level == 1:
            count = lambda f: store.counts_by(f, "admin1")  # noqa: E731
        else:
            count = raion_counts or (lambda f: admin2_counts(store, f, raions))  # noqa: E731
        counts = count(base)
        share_counts = count(filters.replace(categories=(share_of,))) if share_of else None
        data = choropleth_data(boundaries if level == 1 else raions, counts, share_counts, level=level)
        layer = choropleth(data, {"value": "share" if share_of else "incidents",
                                  "label": tax.label(share_of) if share_of else "",
                                  "tolerance": 0.01 if level == 1 else 0.005})
        layer.add_to(m)
        choropleth_legend(layer).add_to(m)
        res.drawn, res.cells = layer.incidents, int((data["incidents"] > 0).sum())
        res.status = f"{_plural(res.drawn, 'incident')} in {_plural(res.cells, one)}"
        if share_of:
            res.status += f" · share that hit {tax.label(share_of)}"
        if layer.unmatched:
            notes.append(f"{layer.unmatched:,} incident(s) have no {one} on these boundaries")
    else:
        hx = store.hex_counts(f_view, resolution)
        layer = hexagons(hx, {"tax": tax})
        layer.add_to(m)
        res.drawn, res.cells, res.resolution = layer.incidents, layer.cells, resolution
        hexagon_legend(layer.bins, layer.colors, resolution=resolution).add_to(m)
        res.status = f"{_plural(layer.incidents, 'incident')}{where} in {_plural(layer.cells, 'hexagon')}"
        if layer.incidents < in_view:
            notes.append(f"{in_view - layer.incidents:,} incident(s) without coordinates are not drawn")
    if area is not None:
        area.add_to(m)

    res.title = map_title(filters, summary)
    desc = filters.replace(date_from=None, date_to=None).describe()
    if area_name and filters.polygon_wkt:
        desc = desc.replace("within a drawn area", f"within {area_name}")
    res.subtitle = res.status + ("" if desc == "all incidents" else f" · {desc}")
    res.notes = notes
    src = ("Data: " + ", ".join(sources)) if sources else ""
    sub = res.subtitle + ("" if not notes else " · " + "; ".join(notes))
    title_control(res.title, sub, src, synthetic=synthetic).add_to(m)
    if controls:
        add_controls(m, tiles=tiles, outline=outline)
    if fit is not None:
        m.fit_bounds([[fit[1], fit[0]], [fit[3], fit[2]]], padding=(10, 10))
    assets.localize(m)
    return res
