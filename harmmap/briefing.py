"""Briefings without a browser: a title written from the filters, headline figures, the map as a PNG
(geopandas + matplotlib, no tiles), the weekly trend chart as PNG/SVG (Altair + vl-convert), and the
briefing pack (one zip with the images, the incidents as CSV and GeoJSON, and a methodology note).

Example
-------
>>> import datetime as dt
>>> from harmmap.query import Filters
>>> f = Filters(date_from=dt.date(2022, 3, 1), date_to=dt.date(2022, 5, 31), categories=("health",),
...             admin1=("Kharkiv",))
>>> title(f, 132)
'Attacks on health facilities — Kharkiv Oblast — 1 Mar to 31 May 2022 — 132 incidents'
>>> title(Filters(), 25000, date_min=dt.date(2022, 2, 24), date_max=dt.date(2025, 6, 30))
'Attacks on civilian infrastructure — Ukraine — 24 Feb 2022 to 30 Jun 2025 — 25,000 incidents'
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harmmap import export
from harmmap.gazetteer import OBLASTS, display_name
from harmmap.query import Filters
from harmmap.taxonomy import UNCLASSIFIED, Taxonomy, load_taxonomy

__all__ = ["SEP", "SYNTHETIC_NOTE", "title", "subtitle", "period_text", "Headline", "headline",
           "data_sources", "sources_line", "is_synthetic", "map_png", "chart", "chart_png", "chart_svg",
           "methodology", "briefing_pack", "POINTS_MAX", "BASE_TITLE"]

SEP = " — "
BASE_TITLE = "Attacks on civilian infrastructure"
SYNTHETIC_NOTE = "Synthetic demo data"
#: above this many incidents the map shows H3 hexagons instead of points
POINTS_MAX = 3_000
UKRAINE_BBOX = (22.0, 44.2, 40.3, 52.5)
#: ColorBrewer YlOrRd (6 classes), as the interactive map's hexagons
SEQUENTIAL = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
_NICE = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000, 100000)

#: how a title names what was hit (a category may set ``phrase`` in data/taxonomy.toml instead)
PHRASES = {
    "education": "education facilities", "health": "health facilities", "residential": "homes",
    "food_agriculture": "food and agriculture sites", "energy": "energy infrastructure",
    "water": "water infrastructure", "gas_heating": "gas and heating infrastructure",
    "transport": "transport infrastructure", "commercial": "commercial sites", "industrial": "industrial sites",
    "cultural_religious": "cultural and religious sites", "administrative": "administrative buildings",
    "recreation": "recreation sites", "humanitarian": "humanitarian sites", UNCLASSIFIED: "unclassified targets",
}


# ------------------------------------------------------------------------------------------------
# words
# ------------------------------------------------------------------------------------------------

def _phrase(cat: str, tax: Taxonomy) -> str:
    c = tax.categories.get(cat)
    if c is not None and isinstance(c.raw.get("phrase"), str):
        return c.raw["phrase"]
    return PHRASES.get(cat) or (f"{tax.label(cat).lower()} targets" if c else f"{cat} targets")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def what_text(categories, tax: Taxonomy | None = None) -> str:
    """'Attacks on health facilities', '... on health and education facilities', '... on homes, ...'.

    Example
    -------
    >>> what_text(("energy", "water"))
    'Attacks on energy and water infrastructure'
    >>> what_text(("health", "education", "energy", "water"))
    'Attacks on health facilities, education facilities and 2 other kinds of target'
    """
    if not categories:
        return BASE_TITLE
    tax = tax or load_taxonomy()
    phrases = [_phrase(c, tax) for c in categories]
    if len(phrases) > 3:
        return f"Attacks on {phrases[0]}, {phrases[1]} and {len(phrases) - 2} other kinds of target"
    last = {p.rsplit(" ", 1)[-1] for p in phrases}
    if len(phrases) > 1 and len(last) == 1 and all(" " in p for p in phrases):
        word = last.pop()
        return "Attacks on " + _and([p.rsplit(" ", 1)[0] for p in phrases]) + " " + word
    return "Attacks on " + _and(phrases)


def where_text(admin1) -> str:
    """'Ukraine', 'Kharkiv Oblast', 'Kharkiv and Sumy oblasts', 'Kyiv City and Kyiv Oblast', '5 oblasts'.

    Example
    -------
    >>> where_text(("Kharkiv", "Sumy"))
    'Kharkiv and Sumy oblasts'
    """
    if not admin1:
        return "Ukraine"
    if len(admin1) == 1:
        return display_name(admin1[0])
    if len(admin1) > 3:
        return f"{len(admin1)} oblasts"
    plain = all(a in OBLASTS and display_name(a).endswith(" Oblast") for a in admin1)
    if plain:
        return _and(list(admin1)) + " oblasts"
    return _and([display_name(a) for a in admin1])


def _day(d: dt.date, year: bool = True) -> str:
    return f"{d.day} {d:%b}" + (f" {d.year}" if year else "")


def period_text(d0: dt.date | None, d1: dt.date | None) -> str:
    """'1 Mar to 31 May 2022', '24 Feb 2022 to 30 Jun 2025', '1 Mar 2022', 'from 1 Mar 2022'.

    Example
    -------
    >>> period_text(dt.date(2022, 3, 1), dt.date(2022, 5, 31))
    '1 Mar to 31 May 2022'
    """
    if d0 and d1:
        if d0 == d1:
            return _day(d0)
        return f"{_day(d0, year=d0.year != d1.year)} to {_day(d1)}"
    if d0:
        return f"from {_day(d0)}"
    if d1:
        return f"until {_day(d1)}"
    return ""


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def title(filters: Filters, n: int | None = None, *, date_min: dt.date | None = None,
          date_max: dt.date | None = None, tax: Taxonomy | None = None) -> str:
    """The view's title: what was hit, where, when, how many (the filter's dates, else ``date_min``/``date_max``)."""
    parts = [what_text(filters.categories, tax), where_text(filters.admin1)]
    when = period_text(filters.date_from or date_min, filters.date_to or date_max)
    if when:
        parts.append(when)
    if n is not None:
        parts.append(_plural(int(n), "incident"))
    return SEP.join(parts)


def subtitle(filters: Filters) -> str:
    """The filters the title does not say (sources, text, area, confidence...), or ''."""
    rest = filters.replace(date_from=None, date_to=None, categories=(), admin1=())
    desc = rest.describe()
    return "" if desc == "all incidents" else desc[0].upper() + desc[1:]


def store_title(store, filters: Filters) -> str:
    """:func:`title` with the counts and dates from ``store.summary``."""
    s = store.summary(filters)
    return title(filters, s.get("incidents") or 0, date_min=s.get("date_min"), date_max=s.get("date_max"))


# ------------------------------------------------------------------------------------------------
# figures
# ------------------------------------------------------------------------------------------------

@dataclass
class Headline:
    """The headline figures of a view."""

    incidents: int
    fatalities: int
    oblasts: int
    by_group: list[tuple[str, str, int, str]]          # (group id, label, incidents, colour)
    period: tuple[dt.date | None, dt.date | None]
    previous: tuple[dt.date, dt.date] | None = None
    previous_incidents: int | None = None
    previous_partial: bool = False                       # the previous period starts before the data
    data_start: dt.date | None = None
    top_oblasts: list[tuple[str, int, int]] = field(default_factory=list)   # (admin1, incidents, fatalities)

    @property
    def change(self) -> int | None:
        return None if self.previous_incidents is None else self.incidents - self.previous_incidents

    @property
    def change_pct(self) -> float | None:
        if not self.previous_incidents:
            return None
        return 100.0 * (self.incidents - self.previous_incidents) / self.previous_incidents

    def change_text(self) -> str:
        """'+12% on 1 Dec 2021 to 28 Feb 2022 (118)' or 'no earlier data to compare'."""
        if self.previous is None:
            return "no earlier period in the data to compare with"
        if self.previous_incidents is None:
            return (f"no comparison: the previous period of equal length ({period_text(*self.previous)}) "
                    f"starts before the data ({_day(self.data_start)})" if self.data_start else
                    "no comparison: the previous period starts before the data")
        pct = self.change_pct
        how = f"{pct:+.0f}%" if pct is not None else f"{self.change:+,}"
        return f"{how} on {period_text(*self.previous)}: {_plural(self.previous_incidents, 'incident')}"


def group_colors(tax: Taxonomy) -> dict[str, str]:
    """Each group's colour: its first category's (as the Trends page)."""
    return {g: tax.color(tax.categories_in(g)[0]) if tax.categories_in(g) else "#BBBBBB" for g in tax.groups}


def headline(store, filters: Filters, tax: Taxonomy | None = None, top: int = 8) -> Headline:
    """Incidents, fatalities (reported), oblasts affected, incidents per group, the change on the previous
    period of equal length (None when it lies wholly before the data), and the top oblasts."""
    tax = tax or load_taxonomy()
    s = store.summary(filters)
    n = int(s.get("incidents") or 0)
    d0, d1 = filters.date_from or s.get("date_min"), filters.date_to or s.get("date_max")
    colors = group_colors(tax)
    groups = store.counts_by(filters, "group") if n else pd.DataFrame(columns=["key", "incidents"])
    by_group = [(str(r.key), tax.groups.get(str(r.key), str(r.key)), int(r.incidents), colors.get(str(r.key), "#BBB"))
                for r in groups.itertuples()]
    adm = store.counts_by(filters, "admin1") if n else pd.DataFrame(columns=["key", "incidents", "fatalities"])
    top_oblasts = [(str(r.key), int(r.incidents), int(r.fatalities)) for r in adm.head(top).itertuples()
                   if r.key is not None and not (isinstance(r.key, float) and math.isnan(r.key))]
    h = Headline(n, int(s.get("fatalities") or 0), int(s.get("admin1_count") or 0), by_group, (d0, d1),
                 top_oblasts=top_oblasts)
    if d0 and d1:
        days = (d1 - d0).days + 1
        p1 = d0 - dt.timedelta(days=1)
        p0 = p1 - dt.timedelta(days=days - 1)
        first = store.summary(Filters(include_duplicates=True)).get("date_min")     # where the data start
        if first is not None and p1 >= first:
            h.previous = (p0, p1)
            h.previous_partial = p0 < first
            if not h.previous_partial:        # a period the data only partly cover is no comparison
                h.previous_incidents = store.count(filters.replace(date_from=p0, date_to=p1))
            h.data_start = first
    return h


def data_sources(store) -> list[dict]:
    """The loaded data sets with what they cover: dataset, file, loaded_at, rows, synthetic, sha256,
    date_min, date_max (of the incidents whose source is the data set's name, when any)."""
    ds = export.datasets_frame(store)
    out = []
    for r in ds.itertuples():
        s = store.summary(Filters(sources=(str(r.dataset),), include_duplicates=True))
        out.append({"dataset": str(r.dataset), "file": None if pd.isna(r.file) else str(r.file),
                    "loaded_at": None if pd.isna(r.loaded_at) else pd.Timestamp(r.loaded_at).to_pydatetime(),
                    "rows": int(r.rows), "synthetic": bool(r.synthetic) or str(r.dataset) == "demo",
                    "sha256": None if pd.isna(r.sha256) else str(r.sha256),
                    "date_min": s.get("date_min"), "date_max": s.get("date_max")})
    return out


def is_synthetic(sources: list[dict]) -> bool:
    return any(s["synthetic"] for s in sources)


def sources_line(sources: list[dict]) -> str:
    """'Data: demo (24 Feb 2022 to 30 Jun 2025; loaded 1 Dec 2026)'."""
    if not sources:
        return "Data: none loaded"
    items = []
    for s in sources:
        bits = []
        if s.get("date_min") and s.get("date_max"):
            bits.append(period_text(s["date_min"], s["date_max"]))
        if s.get("loaded_at"):
            bits.append(f"loaded {_day(s['loaded_at'].date())}")
        items.append(s["dataset"] + (f" ({'; '.join(bits)})" if bits else ""))
    return "Data: " + ", ".join(items)


def attribution(sources: list[dict], generated_at: dt.datetime) -> str:
    return f"{sources_line(sources)} · generated {export.fmt_utc(generated_at)}"


# ------------------------------------------------------------------------------------------------
# the map as a PNG
# ------------------------------------------------------------------------------------------------

def nice_bins(counts, k: int = len(SEQUENTIAL)) -> list[tuple[int, int]]:
    """Up to ``k`` classes ``(low, high)`` covering 1..max(counts) with round limits (as the map's hexagons)."""
    c = np.asarray([x for x in counts if x and x > 0], dtype=float)
    if not len(c):
        return [(1, 1)]
    top = int(c.max())
    lows = [1]
    for q in np.quantile(c, np.linspace(0, 1, k + 1)[1:-1]):
        nice = max((v for v in _NICE if v <= q), default=1)
        if lows[-1] < nice <= top:
            lows.append(nice)
    return [(lo, (lows[i + 1] - 1) if i + 1 < len(lows) else top) for i, lo in enumerate(lows)]


def _boundaries(boundaries):
    if boundaries is not None and not isinstance(boundaries, str):
        return boundaries
    if isinstance(boundaries, str) and boundaries != "auto":
        import geopandas as gpd

        return gpd.read_file(boundaries)
    try:
        from harmmap import gazetteer

        return gazetteer.boundaries(1)
    except Exception:  # noqa: BLE001 - not configured or unreadable: draw without them
        return None


def _extent(filters: Filters, summary: dict, bounds) -> tuple[float, float, float, float]:
    box = None
    if filters.admin1 and bounds is not None and "admin1" in bounds.columns:
        sel = bounds[bounds["admin1"].isin(filters.admin1)]
        if len(sel):
            box = tuple(float(v) for v in sel.total_bounds)
    if box is None and summary.get("bbox") and (filters.admin1 or filters.bbox or filters.polygon_wkt or
                                                filters.h3_cells or filters.incident_ids or filters.text
                                                or filters.sources):
        box = summary["bbox"]
    if box is None:
        box = UKRAINE_BBOX
    x0, y0, x1, y1 = box
    dx, dy = max(x1 - x0, 0.6), max(y1 - y0, 0.4)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - dx * 0.55, cy - dy * 0.55, cx + dx * 0.55, cy + dy * 0.55)


def _fit(extent, width_px: float, height_px: float) -> tuple[float, float, float, float]:
    """Widen ``extent`` (lon/lat) so that, drawn with lat/lon aspect 1/cos(lat), it fills the axes box."""
    x0, y0, x1, y1 = extent
    a = 1 / math.cos(math.radians((y0 + y1) / 2))
    dx, dy = x1 - x0, y1 - y0
    want = height_px / width_px                 # (dy * a) / dx
    if dy * a / dx < want:
        dy = want * dx / a
    else:
        dx = dy * a / want
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)


def _hex_resolution(extent) -> int:
    span = max(extent[2] - extent[0], extent[3] - extent[1])
    return 5 if span > 8 else 6 if span > 3 else 7


def _shrink_to_fit(fig, text, max_px: float, min_size: float, cut: bool = True) -> None:
    """Make ``text`` smaller until it is at most ``max_px`` wide; past ``min_size``, cut it with '…'
    (unless not ``cut``)."""
    renderer = fig.canvas.get_renderer()
    size = text.get_fontsize()
    while text.get_window_extent(renderer).width > max_px and size > min_size:
        size = max(size * 0.93, min_size)
        text.set_fontsize(size)
    if not cut:
        return
    s = text.get_text()
    while text.get_window_extent(renderer).width > max_px and len(s) > 10:
        s = s[: int(len(s) * 0.95)]
        text.set_text(s.rstrip() + "…")


def _hex_frame(hx: pd.DataFrame):
    import geopandas as gpd
    import h3
    from shapely.geometry import Polygon

    polys = []
    for cell in hx["h3"]:
        ring = h3.cell_to_boundary(h3.int_to_str(int(cell) & 0xFFFFFFFFFFFFFFFF))
        polys.append(Polygon([(lng, lat) for lat, lng in ring]))
    return gpd.GeoDataFrame(hx.reset_index(drop=True), geometry=polys, crs="EPSG:4326")


def _first_category(cats, prefer: tuple[str, ...], order: dict[str, int]) -> str:
    cats = [c for c in (cats if isinstance(cats, (list, tuple, np.ndarray)) else []) if c]
    if not cats:
        return UNCLASSIFIED
    pref = [c for c in cats if c in prefer]
    pool = pref or cats
    return sorted(pool, key=lambda c: order.get(c, 999))[0]


def map_png(store, filters: Filters, path: str | os.PathLike | None = None, size: tuple[int, int] = (1600, 1000),
            *, boundaries="auto", mode: str = "auto", generated_at: dt.datetime | None = None,
            tax: Taxonomy | None = None, sources: list[dict] | None = None, font_scale: float = 1.0) -> bytes:
    """Draw the filtered incidents on a map (PNG of exactly ``size`` pixels); write it to ``path`` when
    given and return the bytes.

    Oblast outlines when boundaries are configured (``boundaries``: a GeoDataFrame, a file path,
    ``"auto"`` for the configured ones, or None); incidents as points coloured by their first
    (filtered) category, or H3 hexagons shaded by count above :data:`POINTS_MAX` incidents (``mode``
    auto|points|hexagons); legend, title, attribution with the data sets and the generated time,
    and "Synthetic demo data" when any loaded data set is synthetic. No tiles, no network.
    ``font_scale`` enlarges the text (and markers) for an image shown smaller than its pixel size.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    tax = tax or load_taxonomy()
    t = generated_at or export.utc_now()
    sources = data_sources(store) if sources is None else sources
    synthetic = is_synthetic(sources)
    s = store.summary(filters)
    n = int(s.get("incidents") or 0)
    bounds = _boundaries(boundaries)
    extent = _extent(filters, s, bounds)
    if mode not in ("auto", "points", "hexagons"):
        raise ValueError("mode must be auto, points or hexagons")
    chosen = mode if mode != "auto" else ("points" if n <= POINTS_MAX else "hexagons")

    w, h = size
    k = min(w / 1600, h / 1000) * font_scale
    dpi = 100
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    fs = lambda pt: max(pt * k, 6)  # noqa: E731
    top_band, bottom_band = 0.115, 0.055
    ax = fig.add_axes((0.015, bottom_band, 0.75, 1 - top_band - bottom_band))
    ax.set_facecolor("#dfe9f2")            # water/neighbours: a pale blue so the land reads
    wanted = extent
    extent = _fit(extent, 0.75 * w, (1 - top_band - bottom_band) * h)
    ax.set_aspect(1 / math.cos(math.radians((extent[1] + extent[3]) / 2)), adjustable="box")
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_edgecolor("#999999")
        sp.set_linewidth(0.8)
    if bounds is not None and len(bounds):
        b = bounds.to_crs("EPSG:4326") if bounds.crs is not None and bounds.crs.to_epsg() != 4326 else bounds
        b.plot(ax=ax, facecolor="#f7f7f4", edgecolor="#8a8a8a", linewidth=0.7 * max(k, 0.6), zorder=1)
        if filters.admin1 and "admin1" in b.columns:
            b[b["admin1"].isin(filters.admin1)].plot(ax=ax, facecolor="none", edgecolor="#333333",
                                                     linewidth=1.6 * max(k, 0.6), zorder=3)
    else:
        ax.set_facecolor("#f7f7f4")

    handles, legend_title, notes = [], "", []
    if n == 0:
        notes.append("No incidents match these filters")
    elif chosen == "points":
        df = store.incidents(filters, columns=["incident_id", "categories", "geometry"], order="-date",
                             limit=max(POINTS_MAX, 50_000))
        ok = df["lon"].notna() & df["lat"].notna()
        if (~ok).sum():
            notes.append(f"{int((~ok).sum()):,} incident(s) without coordinates not drawn")
        df = df[ok]
        order = {c: i for i, c in enumerate(tax.categories)}
        df = df.assign(cat=[_first_category(c, filters.categories, order) for c in df["categories"]])
        counts = df["cat"].value_counts()
        size_pt = (46 if len(df) < 150 else 26 if len(df) < 800 else 15) * k * k
        for cat in counts.index:              # most frequent first, so rare categories stay on top
            sub = df[df["cat"] == cat]
            ax.scatter(sub["lon"], sub["lat"], s=size_pt, c=tax.color(cat), edgecolors="white",
                       linewidths=0.4 * k, alpha=0.9, zorder=4)
        for cat in sorted(counts.index, key=lambda c: order.get(c, 999)):
            handles.append(Line2D([], [], marker="o", linestyle="", markersize=9 * k, markerfacecolor=tax.color(cat),
                                  markeredgecolor="white", label=f"{tax.label(cat)} ({int(counts[cat]):,})"))
        legend_title = "What was hit\n" + ("(first filtered category)" if filters.categories else "(first category)")
        status = _plural(int(len(df)), "incident") + " as points"
    else:
        res = _hex_resolution(extent)
        hx = store.hex_counts(filters, res)
        gh = _hex_frame(hx)
        bins = nice_bins(gh["incidents"])
        colors = SEQUENTIAL[-len(bins):] if len(bins) < len(SEQUENTIAL) else SEQUENTIAL
        idx = [next((i for i, (lo, hi) in enumerate(bins) if lo <= v <= hi), len(bins) - 1) for v in gh["incidents"]]
        gh["color"] = [colors[i] for i in idx]
        gh.plot(ax=ax, color=gh["color"], edgecolor="#666666", linewidth=0.25 * k, alpha=0.85, zorder=4)
        for (lo, hi), c in zip(bins, colors, strict=True):
            handles.append(Patch(facecolor=c, edgecolor="#666666", label=f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"))
        legend_title = "Incidents per hexagon"
        drawn = int(gh["incidents"].sum())
        if drawn < n:
            notes.append(f"{n - drawn:,} incident(s) without coordinates not drawn")
        status = f"{_plural(drawn, 'incident')} in {_plural(len(gh), 'hexagon')} (H3 resolution {res})"
    ax.set_xlabel("")
    ax.set_ylabel("")

    # title (on two lines when one would be too small to read), subtitle, then the map below them
    renderer = fig.canvas.get_renderer()
    tt = title(filters, n, date_min=s.get("date_min"), date_max=s.get("date_max"), tax=tax)
    head_text = fig.text(0.015, 1 - 0.022, tt, fontsize=fs(21), fontweight="bold", va="top", ha="left",
                         color="#111111", linespacing=1.15)
    _shrink_to_fit(fig, head_text, 0.97 * w, fs(15), cut=False)
    if head_text.get_window_extent(renderer).width > 0.97 * w:
        parts = tt.split(SEP)
        for i in range(len(parts) - 1, 0, -1):
            head_text.set_text(SEP.join(parts[:i]) + SEP.rstrip() + "\n" + SEP.join(parts[i:]))
            if head_text.get_window_extent(renderer).width <= 0.97 * w:
                break
        _shrink_to_fit(fig, head_text, 0.97 * w, fs(10))
    below = head_text.get_window_extent(renderer).y0 / h - 0.012
    sub = subtitle(filters)
    line2 = SEP.join(x for x in (status if n else "", sub, "; ".join(notes)) if x)
    sub_text = fig.text(0.015, below, line2, fontsize=fs(13), va="top", ha="left", color="#444444")
    _shrink_to_fit(fig, sub_text, 0.97 * w, fs(8))
    top = (sub_text.get_window_extent(renderer).y0 / h if line2 else below) - 0.015
    ax.set_position((0.015, bottom_band, 0.75, top - bottom_band))
    extent = _fit(wanted, 0.75 * w, (top - bottom_band) * h)
    ax.set_aspect(1 / math.cos(math.radians((extent[1] + extent[3]) / 2)), adjustable="box")
    # keep the view on the extent (plots can widen the limits)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.apply_aspect()
    # legend panel on the right
    lax = fig.add_axes((0.78, bottom_band, 0.205, top - bottom_band))
    lax.axis("off")
    if handles:
        size_leg = fs(12)
        while True:
            leg = lax.legend(handles=handles, title=legend_title, loc="upper left", frameon=False,
                             fontsize=size_leg, title_fontsize=size_leg * 1.04, alignment="left", borderaxespad=0,
                             handletextpad=0.6, labelspacing=0.6)
            box = leg.get_window_extent(renderer)
            if (box.width <= 0.2 * w and box.height <= 0.62 * h) or size_leg <= fs(6):
                break
            size_leg *= 0.92
    if synthetic:
        note = lax.text(0, 0.0, SYNTHETIC_NOTE, fontsize=fs(17), fontweight="bold", color="#b00020", va="bottom",
                        ha="left", transform=lax.transAxes)
        _shrink_to_fit(fig, note, 0.2 * w, fs(8))
        small = lax.text(0, 0.045, "every incident shown is invented", fontsize=fs(11), color="#b00020",
                         va="bottom", ha="left", transform=lax.transAxes)
        _shrink_to_fit(fig, small, 0.2 * w, fs(6))
    attr = fig.text(0.015, 0.018, attribution(sources, t) + " · HarmMap", fontsize=fs(11), va="bottom", ha="left",
                    color="#333333")
    _shrink_to_fit(fig, attr, 0.76 * w, fs(7))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": "HarmMap"})
    data = buf.getvalue()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
    return data


# ------------------------------------------------------------------------------------------------
# the trend chart
# ------------------------------------------------------------------------------------------------

def chart(store, filters: Filters, *, freq: str = "week", size: tuple[int, int] = (1600, 600),
          tax: Taxonomy | None = None, chart_title: str | None = None, synthetic: bool = False,
          font_scale: float | None = None, legend: str = "right"):
    """An Altair chart of incidents per ``freq`` stacked by category group (taxonomy colours); the whole
    chart (axes and legend included) is ``size`` pixels. ``font_scale`` (default: from ``size``) scales
    the text; ``legend`` is right, bottom or none."""
    import altair as alt

    tax = tax or load_taxonomy()
    ts = store.timeseries(filters, freq=freq, by="group")
    colors = group_colors(tax)
    groups = [g for g in tax.groups if g in set(ts["key"].astype(str))]
    df = pd.DataFrame({"period": pd.to_datetime(ts["period"]).dt.strftime("%Y-%m-%d"),
                       "group": ts["key"].astype(str).map(lambda g: tax.groups.get(g, g)),
                       "incidents": ts["incidents"].astype(int)})
    k = font_scale if font_scale is not None else min(size[0] / 1600, size[1] / 600)
    if chart_title is None:
        chart_title = f"Incidents per {freq} by what was hit"
    subtitle_lines = ["An incident in several groups counts once in each."]
    if synthetic:
        subtitle_lines.append(SYNTHETIC_NOTE)
    if not chart_title:
        chart_title, subtitle_lines = " ", []
    c = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("period:T", title=f"{freq.capitalize()} starting"),
            y=alt.Y("sum(incidents):Q", title=f"Incidents per {freq}", stack="zero"),
            color=alt.Color("group:N", title="What was hit (group)",
                            scale=alt.Scale(domain=[tax.groups[g] for g in groups],
                                            range=[colors[g] for g in groups]),
                            legend=None if legend == "none" else alt.Legend(orient=legend, labelFontSize=13 * k,
                                                                              titleFontSize=13 * k)),
            order=alt.Order("group:N"),
        )
        .properties(width=size[0], height=size[1], autosize=alt.AutoSizeParams(type="fit", contains="padding"),
                    title=alt.TitleParams(chart_title, subtitle=subtitle_lines, anchor="start",
                                          fontSize=20 * k, subtitleFontSize=13 * k,
                                          subtitleColor="#b00020" if synthetic else "#555"),
                    background="white", padding={"left": 12 * k, "right": 12 * k, "top": 12 * k, "bottom": 12 * k})
        .configure_axis(labelFontSize=12 * k, titleFontSize=13 * k)
        .configure_view(stroke=None)
    )
    return c


def chart_png(store, filters: Filters, path: str | os.PathLike | None = None, size: tuple[int, int] = (1600, 600),
              **kw) -> bytes:
    """:func:`chart` as PNG bytes (vl-convert; written to ``path`` when given)."""
    import vl_convert as vlc

    spec = chart(store, filters, size=size, **kw).to_json()
    data = vlc.vegalite_to_png(spec, scale=1)
    if path is not None:
        Path(path).write_bytes(data)
    return data


def chart_svg(store, filters: Filters, path: str | os.PathLike | None = None, size: tuple[int, int] = (1600, 600),
              **kw) -> str:
    """:func:`chart` as SVG text (vl-convert; written to ``path`` when given)."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(chart(store, filters, size=size, **kw).to_json())
    if path is not None:
        Path(path).write_text(svg, encoding="utf-8")
    return svg


# ------------------------------------------------------------------------------------------------
# methodology and the pack
# ------------------------------------------------------------------------------------------------

_EVIDENCE_KINDS = {
    "text": re.compile(r"\btext '"),
    "label": re.compile(r"\blabel: "),
    "event type": re.compile(r"\bevent type: "),
    "proximity": re.compile(r"\bwithin \d+ m of "),
    "synthetic": re.compile(r"\bsynthetic: "),
}


def evidence_counts(evidence) -> dict[str, int]:
    """How many incidents have each kind of classification evidence (text term, source label, event type,
    nearby facility, synthetic)."""
    out = dict.fromkeys(_EVIDENCE_KINDS, 0)
    for e in evidence:
        if not isinstance(e, str):
            continue
        for kind, rx in _EVIDENCE_KINDS.items():
            if rx.search(e):
                out[kind] += 1
    return out


def methodology(filters: Filters, gdf, head: Headline, sources: list[dict], generated_at: dt.datetime,
                *, overrides_audited: int = 0, tax: Taxonomy | None = None, files: list[str] = (),
                coordinates: str = "exact") -> str:
    """The methodology note (Markdown) of a briefing pack."""
    tax = tax or load_taxonomy()
    n = len(gdf)
    synthetic = is_synthetic(sources)
    ev = evidence_counts(gdf["category_evidence"]) if n else dict.fromkeys(_EVIDENCE_KINDS, 0)
    unclassified = int(sum(1 for c in gdf["categories"] if not len(c))) if n else 0
    overridden = int(gdf["overridden"].fillna(False).astype(bool).sum()) if n else 0
    ttl = title(filters, n, date_min=head.period[0], date_max=head.period[1], tax=tax)
    ds_rows = export.datasets_markdown(export.pd.DataFrame(
        [{k: s[k] for k in ("dataset", "file", "loaded_at", "rows", "synthetic", "sha256")} for s in sources],
        columns=["dataset", "file", "loaded_at", "rows", "synthetic", "sha256"]))
    cover = "\n".join(f"- {s['dataset']}: incidents dated {period_text(s['date_min'], s['date_max']) or 'unknown'}"
                      for s in sources)
    groups = "\n".join(f"| {label} | {cnt:,} |" for _, label, cnt, _ in head.by_group)
    oblasts = "\n".join(f"| {display_name(a)} | {i:,} | {f:,} |" for a, i, f in head.top_oblasts)
    warn = ("\n> **Synthetic demo data**: every incident in this pack is invented (real town names, made-up "
            "events). Do not cite it.\n" if synthetic else "")
    if coordinates != "exact":
        warn += (f"\n> **Coordinates {coordinates}**: sensitive records are drawn and exported at the centre of "
                 "their grid cell (`geo_precision` says so).\n")
    return f"""# {ttl}
{warn}
Generated {export.fmt_utc(generated_at)} by HarmMap.

## What is shown
- Filters: {filters.describe()}.
- Period: {period_text(*head.period) or 'all dates'}; an event reported by several sources is counted
  {'once per report' if filters.include_duplicates else 'once'}.
- {n:,} incidents; {head.fatalities:,} people reported killed (incidents without a reported figure count as
  unknown, not zero); {head.oblasts} oblast(s) affected.
- Change on the previous period of equal length: {head.change_text()}.

| group | incidents |
|---|---|
{groups}

An incident that hit several kinds of target counts once in each group.

| oblast | incidents | reported killed |
|---|---|---|
{oblasts}

## Data sets
{cover}

{ds_rows}

## How targets were classified
Categories come from the taxonomy in `data/taxonomy.toml` ({len(tax.categories) - 1} categories in
{len(tax.groups)} groups) and are computed when data are loaded, each with its evidence:
- **rules**: terms in English, Ukrainian and Russian (with inflections, neutral phrases and cancelling
  contexts such as "near the school") matched in the description — {ev['text']:,} incidents;
- **labels**: the source's own labels and event types mapped to categories — {ev['label'] + ev['event type']:,}
  incidents;
- **proximity**: a known facility of that kind within the category's distance — {ev['proximity']:,} incidents;
{f"- **synthetic**: generated with their category (demo data) — {ev['synthetic']:,} incidents;" if ev['synthetic'] else ""}
- {unclassified:,} incidents have no category (unclassified).

The evidence of every incident is in `incidents.csv` (column `category_evidence`).

**Analyst overrides** always win over the classifier: {overridden:,} of these incidents carry one
({overrides_audited:,} recorded changes to them, with who, when and why, in the evidence export).

## Files
{chr(10).join(f"- `{f}`" for f in files)}
- `manifest.json`, `SHA256SUMS`: SHA-256 of every file (`sha256sum -c SHA256SUMS`).
"""


def briefing_pack(store, filters: Filters, out_zip: str | os.PathLike, *, boundaries="auto",
                  generated_at: dt.datetime | None = None, map_size: tuple[int, int] = (1600, 1000),
                  chart_size: tuple[int, int] = (1600, 600), coarsen_km: float = 0.0) -> dict:
    """Write the briefing pack for ``filters`` to ``out_zip``: ``map.png``, ``chart.png``, ``chart.svg``,
    ``incidents.csv``, ``incidents.geojson``, ``methodology.md``, with ``manifest.json`` and
    ``SHA256SUMS``. Returns the manifest (``incidents``, ``timings`` in seconds, ``files``, ``coordinates``).

    ``coarsen_km`` > 0 (or a :class:`harmmap.sensitive.CoarseStore`) coarsens the coordinates in the map
    and the incident files; the methodology note and the manifest say so."""
    from harmmap.sensitive import coarse_store, coordinates_note

    store = coarse_store(store, coarsen_km)
    coords = coordinates_note(store)
    tax = load_taxonomy()
    t = generated_at or export.utc_now()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sources = data_sources(store)
    synthetic = is_synthetic(sources)
    head = headline(store, filters, tax)
    gdf = export.export_frame(store, filters)
    timings["query"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    png = map_png(store, filters, size=map_size, boundaries=boundaries, generated_at=t, tax=tax, sources=sources)
    timings["map"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ctitle = f"Incidents per week by what was hit — {title(filters, len(gdf), date_min=head.period[0], date_max=head.period[1], tax=tax)}"
    cpng = chart_png(store, filters, size=chart_size, tax=tax, chart_title=ctitle, synthetic=synthetic)
    csvg = chart_svg(store, filters, size=chart_size, tax=tax, chart_title=ctitle, synthetic=synthetic)
    timings["chart"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ids = set(gdf["incident_id"].astype(str))
    audit = store.overrides_audit()
    audited = int(audit["incident_id"].astype(str).isin(ids).sum()) if len(audit) else 0
    files = {"map.png": png, "chart.png": cpng, "chart.svg": csvg.encode("utf-8"),
             "incidents.csv": export.csv_bytes(export.table_frame(gdf)),
             "incidents.geojson": export.geojson_text(gdf).encode("utf-8")}
    note = methodology(filters, gdf, head, sources, t, overrides_audited=audited, tax=tax,
                       files=[*files, "methodology.md"], coordinates=coords)
    files["methodology.md"] = note.encode("utf-8")
    meta = {"package": "harmmap briefing", "generated_at": t.isoformat(), "title": title(
        filters, len(gdf), date_min=head.period[0], date_max=head.period[1], tax=tax),
        "filters": filters.to_params(), "filters_in_words": filters.describe(), "incidents": len(gdf),
        "synthetic": synthetic, "coordinates": coords}
    manifest = export.write_package(out_zip, files, meta)
    timings["files"] = time.perf_counter() - t0
    manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
    return manifest
