"""The Briefing page's rendering (Streamlit only): headline figures, the server-drawn map, the weekly
trend, the top oblasts, laid out for one slide; download buttons for the briefing pack, the evidence
package, the filtered incidents (CSV, GeoJSON, GeoPackage, GeoParquet), the map PNG and the chart.

Heavy renders are cached with ``st.cache_data`` keyed by the store URL, the data version
(``ctx.store.info.version``), the boundaries file and the Filters; downloads are built only when
their button is clicked (deferred ``data=`` callables), then cached.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import streamlit as st

from harmmap import briefing, export, gazetteer
from harmmap.gazetteer import display_name
from harmmap.query import Filters
from layers.common import esc
from ui.common import empty_state
from ui.store import get_store

__all__ = ["render", "sources", "headline", "map_png", "MAP_SIZE"]

_TTL = 3600
MAP_SIZE = (1600, 1000)
#: the map as the page shows it: fewer pixels, larger text (it is shown at about half its width)
PAGE_MAP = ((1000, 680), 1.9)
CHART_SIZE = (1600, 600)


def _bkey() -> tuple[str, float]:
    return gazetteer.boundaries_key(1)


# --- cached core calls ----------------------------------------------------------------------------

@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=8)
def _sources(url: str, version: str) -> list[dict]:
    return briefing.data_sources(get_store(url))


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=32)
def _headline(url: str, version: str, f: Filters) -> briefing.Headline:
    return briefing.headline(get_store(url), f)


@st.cache_data(ttl=_TTL, show_spinner="Drawing the map…", max_entries=16)
def _map_png(url: str, version: str, bkey: tuple, f: Filters, size: tuple[int, int], font_scale: float = 1.0) -> bytes:
    store = get_store(url)
    return briefing.map_png(store, f, size=size, sources=_sources(url, version), font_scale=font_scale)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=16)
def _chart_png(url: str, version: str, f: Filters, synthetic: bool) -> bytes:
    return briefing.chart_png(get_store(url), f, size=CHART_SIZE, synthetic=synthetic)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=16)
def _chart_svg(url: str, version: str, f: Filters, synthetic: bool) -> bytes:
    return briefing.chart_svg(get_store(url), f, size=CHART_SIZE, synthetic=synthetic).encode("utf-8")


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=8)
def _data_file(url: str, version: str, f: Filters, fmt: str) -> bytes:
    return export.to_bytes(export.export_frame(get_store(url), f), fmt)


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=4)
def _briefing_zip(url: str, version: str, bkey: tuple, f: Filters) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "briefing.zip"
        briefing.briefing_pack(get_store(url), f, p)
        return p.read_bytes()


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=4)
def _evidence_zip(url: str, version: str, f: Filters) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "evidence.zip"
        export.evidence_package(get_store(url), f, p)
        return p.read_bytes()


# --- helpers other ui modules use -------------------------------------------------------------------

def sources(store) -> list[dict]:
    """The loaded data sets with their dates (cached per data version)."""
    return _sources(store.url, store.info.version)


def headline(store, f: Filters) -> briefing.Headline:
    return _headline(store.url, store.info.version, f)


def map_png(store, f: Filters, size: tuple[int, int] = MAP_SIZE) -> bytes:
    return _map_png(store.url, store.info.version, _bkey(), f, size)


def _slug(f: Filters) -> str:
    parts = [*f.categories[:2], *f.admin1[:2]]
    if f.date_from or f.date_to:
        parts.append(f"{f.date_from or ''}_{f.date_to or ''}")
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts)).strip("-_") or "all"
    return f"harmmap_{s[:60]}"


# --- the page -------------------------------------------------------------------------------------

def _group_chips(head: briefing.Headline) -> str:
    chips = [f'<span class="hm-chip"><span class="hm-sw" style="background:{esc(color)}"></span>'
             f'{esc(label)} <b>{n:,}</b></span>' for _, label, n, color in head.by_group]
    return '<div class="hm-chips">' + "".join(chips) + "</div>"


def _oblast_table(head: briefing.Headline) -> str:
    rows = "".join(f"<tr><td>{esc(display_name(a))}</td><td>{i:,}</td><td>{k:,}</td></tr>"
                   for a, i, k in head.top_oblasts[:6])
    return ('<table class="hm-top"><thead><tr><th>Top oblasts</th><th>Incidents</th><th>Reported killed</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>")


_CSS = """
<style>
.hm-chips { display:flex; flex-wrap:wrap; gap:.25rem .9rem; font-size:.9rem; margin:-.2rem 0 .3rem 0; }
.hm-chip { white-space:nowrap; }
.hm-sw { display:inline-block; width:.8em; height:.8em; border-radius:2px; margin-right:.3em; vertical-align:-.05em; }
.st-key-hm_brief_map img { max-height: calc(100vh - 17rem); width:auto !important; max-width:100%; object-fit:contain; }
.st-key-hm_brief [data-testid="stMetric"] { padding: .3rem .8rem; }
table.hm-top { width:100%; border-collapse:collapse; font-size:.9rem; }
table.hm-top th { text-align:left; font-weight:600; border-bottom:1px solid #ccc; padding:.15rem .4rem; }
table.hm-top td { border-bottom:1px solid #eee; padding:.12rem .4rem; }
table.hm-top td:nth-child(n+2), table.hm-top th:nth-child(n+2) { text-align:right; }
.st-key-hm_brief [data-testid="stMetricValue"] { font-size: 1.7rem; line-height: 1.2; }
.st-key-hm_brief [data-testid="stMetricLabel"] { margin-bottom: 0; }
</style>
"""


def render(ctx, presenting: bool = False) -> None:
    """Draw the briefing for ``ctx.filters`` from ``ctx.store``; without downloads when ``presenting``."""
    store, f = ctx.store, ctx.filters
    url, version = store.url, store.info.version
    st.html(_CSS)
    head = headline(store, f)
    if not presenting:
        ttl = briefing.title(f, head.incidents, date_min=head.period[0], date_max=head.period[1])
        sub = briefing.subtitle(f)        # may hold text from the URL or the data (source names): escaped
        st.html(f'<div class="hm-brief-title" style="font-size:1.35rem;font-weight:700;line-height:1.3">'
                f'{esc(ttl)}</div>' + (f'<div style="font-size:.875rem;color:#666">{esc(sub)}</div>' if sub else ""))
    if head.incidents == 0:
        empty_state(f)
        return
    with st.container(key="hm_brief"):
        m = st.columns(4)
        m[0].metric("Incidents", f"{head.incidents:,}", border=True)
        m[1].metric("Reported killed", f"{head.fatalities:,}", border=True,
                    help="Sum over incidents that report a figure; not reported is unknown, not zero")
        m[2].metric("Oblasts affected", f"{head.oblasts}", border=True)
        if head.change is not None:
            pct = head.change_pct
            delta = f"{pct:+.0f}%" if pct is not None else f"{head.change:+,}"
            m[3].metric("Previous period", f"{head.previous_incidents:,}", delta=delta, delta_color="inverse",
                        border=True, help=head.change_text())
        else:
            m[3].metric("Previous period", "–", border=True, help=head.change_text())
        st.html(_group_chips(head))
        left, right = st.columns([3, 2], gap="medium")
        with left, st.container(key="hm_brief_map"):
            st.image(_map_png(url, version, _bkey(), f, *PAGE_MAP), width="stretch",
                     alt="Map of the filtered incidents (drawn on the server)")
        with right:
            synthetic = store.info.synthetic
            chart = briefing.chart(store, f, size=(800, 230), chart_title="Incidents per week",
                                   font_scale=0.9, legend="none")
            st.altair_chart(chart, width="stretch")
            st.html(_oblast_table(head))
    if presenting:
        return
    _downloads(url, version, f, synthetic)


def _downloads(url: str, version: str, f: Filters, synthetic: bool) -> None:
    slug = _slug(f)
    today = dt.date.today().isoformat()
    bkey = _bkey()
    st.markdown("**Downloads** (built when clicked; each zip has a manifest of SHA-256 sums)")
    row1 = st.columns(3)
    row1[0].download_button("Briefing pack (zip)", data=lambda: _briefing_zip(url, version, bkey, f),
                            file_name=f"{slug}_briefing_{today}.zip", mime="application/zip",
                            on_click="ignore", icon=":material/slideshow:", width="stretch",
                            help="Map and chart PNGs, chart SVG, incidents CSV + GeoJSON, methodology note")
    row1[1].download_button("Evidence package (zip)", data=lambda: _evidence_zip(url, version, f),
                            file_name=f"{slug}_evidence_{today}.zip", mime="application/zip",
                            on_click="ignore", icon=":material/verified:", width="stretch",
                            help="Every source URL, the classification evidence, overrides with their audit "
                                 "trail, the data sets, and SHA-256 sums to verify")
    row1[2].download_button("Map (PNG)", data=lambda: _map_png(url, version, bkey, f, MAP_SIZE),
                            file_name=f"{slug}_map.png", mime="image/png", on_click="ignore",
                            icon=":material/map:", width="stretch")
    row2 = st.columns(6)
    for col, fmt, label in zip(row2[:4], ("csv", "geojson", "gpkg", "parquet"),
                               ("CSV", "GeoJSON", "GeoPackage", "GeoParquet"), strict=True):
        ext, mime = export.FORMATS[fmt]
        col.download_button(label, data=lambda fmt=fmt: _data_file(url, version, f, fmt),
                            file_name=f"{slug}_incidents{ext}", mime=mime, on_click="ignore",
                            icon=":material/download:", width="stretch", key=f"dl_{fmt}")
    row2[4].download_button("Chart (PNG)", data=lambda: _chart_png(url, version, f, synthetic),
                            file_name=f"{slug}_chart.png", mime="image/png", on_click="ignore",
                            icon=":material/bar_chart:", width="stretch")
    row2[5].download_button("Chart (SVG)", data=lambda: _chart_svg(url, version, f, synthetic),
                            file_name=f"{slug}_chart.svg", mime="image/svg+xml", on_click="ignore",
                            icon=":material/bar_chart:", width="stretch")
    st.caption("CSV cells that a spreadsheet would run as a formula start with ' · "
               "Verify a package: unzip, then `sha256sum -c SHA256SUMS`.")
