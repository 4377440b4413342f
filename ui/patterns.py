"""Patterns page helpers (Streamlit only): cached analyses and how their findings are shown.

Every analysis runs in :mod:`harmmap.analysis` on the incidents the sidebar's Filters select, and is
cached with ``st.cache_data`` keyed on (store URL, data version, Filters, parameters). Every finding
is shown ranked, with its method sentence (from the analysis) and a "Show on map" link that opens
the Map page filtered to exactly its incidents (``Finding.filters.to_params()`` in the URL; the
shared sidebar takes filters from a link, see :mod:`ui.sidebar`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlencode

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from harmmap import analysis, gazetteer
from harmmap.analysis import Finding, findings_frame
from harmmap.analysis._common import group_or_category, norm_freq
from harmmap.export import csv_bytes
from harmmap.query import Filters
from ui.store import get_store

__all__ = ["COLUMNS", "KEY_COLUMNS", "REPEAT_COLUMNS", "REPEATS_CAP", "MAP_PAGE", "md", "map_url", "frame", "spikes",
           "waves", "wave_days", "repeats", "repeats_capped", "hotspots",
           "emerging", "regions", "periods", "show_findings", "similarity_heatmap", "study_area_note"]

ROOT = Path(__file__).resolve().parent.parent
MAP_PAGE = str(ROOT / "app_pages" / "map.py")
#: the incident columns the analyses use (the fallback for a store without compact reads)
COLUMNS = ("incident_id", "date", "date_precision", "time", "lon", "lat", "geo_precision", "admin1", "categories",
           "fatalities", "h3_r5", "h3_r6", "h3_r7")
#: what spikes, waves and the comparisons count incidents by (categories as the store's bit mask)
KEY_COLUMNS = ("date", "date_precision", "admin1", "eff_mask")
#: what repeated strikes read: precisely located rows only, at most REPEATS_CAP of them (the latest)
REPEAT_COLUMNS = ("incident_id", "date", "time", "lon", "lat", "admin1", "eff_mask", "h3_r6")
REPEATS_CAP = 250_000
_TTL = 3600
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>~|$#])")


def md(text) -> str:
    """Text from data made inert for st.markdown (no emphasis, links, HTML, LaTeX or colour directives)."""
    s = _MD_SPECIAL.sub(r"\\\1", str(text))
    return re.sub(r":(?=[A-Za-z])", r"\\:", s)


def map_url(f: Filters) -> str:
    """A relative link to the Map page showing ``f`` (works under any base URL path)."""
    q = urlencode(f.to_params())
    return "map" + (f"?{q}" if q else "")


# --- cached analyses ----------------------------------------------------------------------------
# What the analyses read is bounded (issue 8): incidents counted per distinct value of what each analysis
# looks at (week x oblast for spikes, day x oblast x the group's categories for waves, oblast x categories for
# the comparison, H3 cell (x period) for hot spots), and at most REPEATS_CAP precisely located rows for
# repeated strikes, all from the store (``analysis_counts`` / ``analysis_rows``). They are cached as resources:
# one shared object the analyses only read (st.cache_data would keep a pickled copy and unpickle another for
# every analysis). A coarsening store (harmmap.sensitive.CoarseStore) gives them coarsened; a store without
# those reads gives the incidents themselves.

def _compact(store) -> bool:
    """Whether the store has the compact analysis reads."""
    return callable(getattr(store, "analysis_counts", None))


@st.cache_resource(ttl=_TTL, show_spinner=False, max_entries=2)
def _rows(url: str, version: str, f: Filters) -> pd.DataFrame:
    return get_store(url).incidents(f, columns=list(COLUMNS))


@st.cache_resource(ttl=_TTL, show_spinner=False, max_entries=12)
def _frame(url: str, version: str, f: Filters, by: tuple[str, ...] = KEY_COLUMNS, freq: str | None = None,
           only: tuple[str, ...] | None = None) -> pd.DataFrame:
    s = get_store(url)
    if _compact(s):
        return s.analysis_counts(f, list(by), freq=freq, only=only)
    return _rows(url, version, f)


def frame(store, f: Filters) -> pd.DataFrame:
    """Incidents counted per :data:`KEY_COLUMNS` (``incidents`` column), or the incidents themselves
    (:data:`COLUMNS`) from a store without compact reads."""
    return _frame(store.url, store.info.version, f)


def _only(group: str) -> tuple[str, ...] | None:
    """The categories of a wave's group or category (the masks keep only theirs)."""
    try:
        return group_or_category(group)[1]
    except ValueError:
        return None


def _series_by(by) -> tuple[str, ...]:
    return ("date",) + (("admin1",) if "admin1" in by else ()) + \
        (("eff_mask",) if {"category", "group"} & set(by) else ())


def _keyed_by(by) -> tuple[str, ...]:
    return {"category": ("date", "eff_mask"), "group": ("date", "eff_mask"), "admin1": ("date", "admin1"),
            None: ("date",)}.get(by, KEY_COLUMNS)


@st.cache_resource(ttl=_TTL, show_spinner=False, max_entries=2)
def _located(url: str, version: str, f: Filters) -> pd.DataFrame:
    s = get_store(url)
    if _compact(s):
        return s.analysis_rows(f, list(REPEAT_COLUMNS), exact_only=True, latest=REPEATS_CAP)
    return _rows(url, version, f)


def repeats_capped(store, f: Filters) -> bool:
    """Whether repeated strikes looked at only the latest :data:`REPEATS_CAP` precisely located incidents."""
    return bool(_located(store.url, store.info.version, f).attrs.get("capped"))


@st.cache_data(ttl=_TTL, show_spinner="Looking for spikes…", max_entries=16)
def _spikes(url, version, f, by, surge, alpha, min_count, require) -> list[Finding]:
    return analysis.detect_spikes(_frame(url, version, f, _series_by(by), "week"), by=by, surge=surge, alpha=alpha,
                                  min_count=min_count, require=require, base=f)


def spikes(store, f: Filters, *, by=("admin1",), surge=1.0, alpha=0.05, min_count=5, require="both"):
    return _spikes(store.url, store.info.version, f, tuple(by), float(surge), float(alpha), int(min_count), require)


@st.cache_data(ttl=_TTL, show_spinner="Looking for waves…", max_entries=16)
def _waves(url, version, f, group, min_regions, alpha, baseline_days) -> list[Finding]:
    return analysis.detect_waves(_frame(url, version, f, KEY_COLUMNS, None, _only(group)), group=group,
                                 min_regions=min_regions, alpha=alpha,
                                 baseline_days=baseline_days, base=f)


def waves(store, f: Filters, *, group="utilities", min_regions=3, alpha=0.05, baseline_days=None):
    return _waves(store.url, store.info.version, f, group, int(min_regions), float(alpha),
                  int(baseline_days) if baseline_days else None)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=16)
def _wave_days(url, version, f, group, baseline_days) -> pd.DataFrame:
    return analysis.daily_regions(_frame(url, version, f, KEY_COLUMNS, None, _only(group)), group=group,
                                  baseline_days=baseline_days)


def wave_days(store, f: Filters, *, group="utilities", baseline_days=None) -> pd.DataFrame:
    """Oblasts hit per day in ``group`` (``date``, ``regions``, ``q``, ...), for the timeline chart."""
    return _wave_days(store.url, store.info.version, f, group, int(baseline_days) if baseline_days else None)


@st.cache_data(ttl=_TTL, show_spinner="Looking for repeated strikes…", max_entries=16)
def _repeats(url, version, f, distance_m, within_days, within_hours) -> list[Finding]:
    return analysis.detect_repeats(_located(url, version, f), distance_m=distance_m, within_days=within_days,
                                   within_hours=within_hours, base=f)


def repeats(store, f: Filters, *, distance_m=150.0, within_days=30, within_hours=None):
    return _repeats(store.url, store.info.version, f, float(distance_m), int(within_days) if within_days else None,
                    float(within_hours) if within_hours else None)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=8)
def _area(resolution: int, key: tuple) -> np.ndarray | None:
    b = gazetteer.boundaries(1)
    if b is None or b.empty:
        return None
    return analysis.hotspots.area_cells(polygon=b.geometry.union_all(), resolution=resolution)


def study_area(resolution: int) -> np.ndarray | None:
    """H3 cells of Ukraine (from the configured oblast boundaries) at ``resolution``, or None."""
    try:
        return _area(int(resolution), gazetteer.boundaries_key(1))
    except Exception:  # noqa: BLE001 - a broken boundaries file falls back to the default study area
        return None


def study_area_note(resolution: int) -> str:
    if study_area(resolution) is not None:
        return "Study area: every H3 cell of Ukraine (configured oblast boundaries)."
    return ("Study area: the cells with incidents and their first ring (no oblast boundaries are configured: "
            "`python -m harmmap boundaries load FILE` makes it all of Ukraine).")


@st.cache_data(ttl=_TTL, show_spinner="Computing Getis-Ord Gi*…", max_entries=8)
def _hotspots(url, version, f, resolution, confidence, cold, bkey) -> list[Finding]:
    return analysis.detect_hotspots(_frame(url, version, f, (f"h3_r{resolution}",)), resolution=resolution,
                                    confidence=confidence, cold=cold, base=f, area=study_area(resolution))


def hotspots(store, f: Filters, *, resolution=6, confidence=0.95, cold=False):
    return _hotspots(store.url, store.info.version, f, int(resolution), float(confidence), bool(cold),
                     gazetteer.boundaries_key(1))


@st.cache_data(ttl=_TTL, show_spinner="Emerging hot spot analysis…", max_entries=8)
def _emerging(url, version, f, resolution, freq, alpha, bkey) -> tuple[pd.DataFrame, str, list[Finding]]:
    cells = _frame(url, version, f, (f"h3_r{resolution}", "date"), {"M": "month", "W": "week"}.get(norm_freq(freq)))
    tab = analysis.emerging_hotspots(cells, resolution=resolution, freq=freq, alpha=alpha,
                                     area=study_area(resolution))
    method = tab.attrs.get("method", "")
    return tab, method, analysis.emerging_findings(tab, base=f)


def emerging(store, f: Filters, *, resolution=5, freq="M", alpha=0.05):
    """(per-cell table, method sentence, findings) of the Emerging Hot Spot Analysis."""
    return _emerging(store.url, store.info.version, f, int(resolution), freq, float(alpha),
                     gazetteer.boundaries_key(1))


@st.cache_data(ttl=_TTL, show_spinner="Comparing oblasts…", max_entries=8)
def _regions(url, version, f, of, alpha, min_total):
    return analysis.compare(_frame(url, version, f, ("admin1", "eff_mask")), of=of, alpha=alpha, min_total=min_total, base=f)


def regions(store, f: Filters, *, of="category", alpha=0.05, min_total=20):
    return _regions(store.url, store.info.version, f, of, float(alpha), int(min_total))


@st.cache_data(ttl=_TTL, show_spinner="Comparing periods…", max_entries=8)
def _periods(url, version, f, a, b, by, alpha):
    return analysis.period_vs_period(_frame(url, version, f, _keyed_by(by)), a, b, by=by, alpha=alpha, base=f)


def periods(store, f: Filters, a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date], *, by="category",
            alpha=0.05):
    """(table, findings) of period ``b`` against period ``a``."""
    return _periods(store.url, store.info.version, f, tuple(a), tuple(b), by, float(alpha))


# --- rendering ------------------------------------------------------------------------------------

def show_method(method: str) -> None:
    """The method sentence, quotable as it stands."""
    if method:
        st.info(f"**Method.** {md(method)}", icon=":material/function:")


def show_findings(findings: list[Finding], *, key: str, top: int = 10, none: str = "No findings.",
                  detail=None, method: str | None = None) -> None:
    """The method (once), the ``top`` findings ranked, each with "Show on map", and all of them as a table.

    ``method``: the sentence to show when the analysis gives one even with no findings.
    """
    show_method(findings[0].method if findings else method or "")
    if not findings:
        st.caption(none)
        return
    st.markdown(f"**{len(findings)} finding{'s' if len(findings) != 1 else ''}**, strongest first"
                + (f" (the first {top} here, all in the table below)" if len(findings) > top else "") + ":")
    for i, f in enumerate(findings[:top], 1):
        left, right = st.columns([6, 1.1], vertical_alignment="center")
        left.markdown(f"**{i}.** {md(f.title)}")
        if detail is not None:
            extra = detail(f)
            if extra:
                left.caption(md(extra))
        right.page_link(MAP_PAGE, label="Show on map", icon=":material/map:", query_params=f.filters.to_params(),
                        help=f"Opens the map filtered to this finding's incidents: {f.filters.describe()}")
    table = findings_frame(findings)
    table.insert(0, "rank", range(1, len(table) + 1))
    table["map"] = [map_url(f.filters) for f in findings]
    shown = table.drop(columns=["kind", "method", "filters", "score"], errors="ignore")
    with st.expander(f"All {len(findings)} as a table"):
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={"map": st.column_config.LinkColumn("Map", display_text="Show on map"),
                                    "title": st.column_config.TextColumn("Finding", width="large")})
        out = table.drop(columns=["map"]).assign(filters=[str(f.filters.to_params()) for f in findings])
        st.download_button("Download CSV", csv_bytes(out), file_name=f"harmmap_{key}.csv", mime="text/csv",
                           key=f"dl_{key}")


def wave_timeline(days: pd.DataFrame, found: list[Finding]) -> alt.Chart:
    """Oblasts hit per day, the days found as waves in red."""
    wave_dates = {f.numbers.get("date") for f in found}
    df = days[["date", "regions", "incidents", "q"]].copy()
    df["date"] = pd.to_datetime(df["date"])
    df["wave"] = df["date"].dt.strftime("%Y-%m-%d").isin(wave_dates).map({True: "wave", False: "other day"})
    return (alt.Chart(df).mark_bar(width=1.5).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("regions:Q", title="Oblasts hit that day"),
        color=alt.Color("wave:N", scale=alt.Scale(domain=["wave", "other day"], range=["#c0392b", "#b7c4d1"]),
                        legend=alt.Legend(title=None, orient="top", direction="horizontal")),
        tooltip=[alt.Tooltip("date:T", title="Day"), alt.Tooltip("regions:Q", title="Oblasts"),
                 alt.Tooltip("incidents:Q", title="Incidents"), alt.Tooltip("q:Q", title="q", format=".2g")],
    ).properties(height=180))


def _order(sim: pd.DataFrame) -> list:
    """Oblasts in an order that puts similar ones together (average-linkage clustering leaves)."""
    if len(sim) < 3:
        return list(sim.index)
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    d = np.clip(1 - sim.to_numpy(dtype=float), 0, None)
    np.fill_diagonal(d, 0)
    return list(sim.index[leaves_list(linkage(squareform(d, checks=False), "average"))])


def similarity_heatmap(sim: pd.DataFrame) -> alt.Chart:
    """Oblast x oblast similarity of the category mix (1 = same mix), similar oblasts side by side."""
    order = _order(sim)
    long = sim.rename_axis(index="a", columns="b").stack().rename("similarity").reset_index()
    long["a"], long["b"] = long["a"].astype(str), long["b"].astype(str)
    order = [str(o) for o in order]
    base = alt.Chart(long).encode(
        x=alt.X("b:N", sort=order, title=None, axis=alt.Axis(labelAngle=-60, labelOverlap=False)),
        y=alt.Y("a:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)))
    rect = base.mark_rect().encode(
        color=alt.Color("similarity:Q", scale=alt.Scale(scheme="viridis", domain=[max(0.0, float(long.similarity.min())), 1]),
                        title="Similarity"),
        tooltip=[alt.Tooltip("a:N", title="Oblast"), alt.Tooltip("b:N", title="Oblast"),
                 alt.Tooltip("similarity:Q", format=".2f")])
    side = max(200, 20 * len(order))
    return rect.properties(width=side, height=side)
