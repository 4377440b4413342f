"""The shared filter sidebar: one :class:`harmmap.query.Filters`, mirrored in the URL.

On a session's first run the widgets take their values from ``st.query_params`` (so a URL
reproduces a view); after every run the query string is rewritten from the Filters. Filter keys
are the ones :meth:`Filters.to_params` writes; other query parameters are left alone.

Later in a session the URL wins again when it carries filters other than the ones the sidebar last
wrote: a ``st.page_link(..., query_params=Filters(...).to_params())`` (the Patterns page's "Show on
map") or the browser's back button opens exactly that view. Pages change the date range with
:func:`set_date_range` (e.g. from a chart selection).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from harmmap.query import Filters
from harmmap.taxonomy import load_taxonomy
from ui.text import md_text

__all__ = ["sidebar", "clear_filters", "set_date_range", "set_extra_filter", "FILTER_PARAMS", "KEYS"]

#: query parameters owned by the filters
FILTER_PARAMS = ("from", "to", "cat", "adm1", "src", "q", "bbox", "poly", "h3", "ids", "minconf", "dups")
#: widget keys (session state) of the sidebar
KEYS = {"dates": "f_dates", "cats": "f_cats", "adm1": "f_adm1", "src": "f_src", "text": "f_text"}
_INIT = "f_initialised"
_EXTRA = "f_extra"   # filters the sidebar has no widget for (bbox, polygon, h3, ids...), from the URL
_WRITTEN = "f_written"   # the filter parameters the sidebar last wrote to the URL
_PENDING_DATES = "f_pending_dates"   # a date range asked for by set_date_range, applied before the widget
_PENDING_ADM1 = "f_pending_adm1"     # oblasts asked for by set_extra_filter(admin1=...), applied before the widget


def clear_filters() -> None:
    """Reset every filter (a button callback: runs before the widgets are drawn)."""
    for key in KEYS.values():
        st.session_state.pop(key, None)
    st.session_state[_EXTRA] = Filters()
    st.session_state[_INIT] = True
    for p in FILTER_PARAMS:
        if p in st.query_params:
            del st.query_params[p]


def set_date_range(date_from: dt.date, date_to: dt.date) -> None:
    """Ask the sidebar to show ``date_from..date_to`` (clamped to the data's dates), filtering every page.

    Safe anywhere: the range is applied just before the date widget is drawn. From a widget callback
    (e.g. ``st.altair_chart(on_select=callback)``) it takes effect in the run that follows; from a
    page's body, call ``st.rerun()`` after it.
    """
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    st.session_state[_PENDING_DATES] = (date_from, date_to)


def set_extra_filter(**changes) -> None:
    """Change filters from outside the sidebar (the map: a drawn area, a clicked hexagon or oblast).

    ``bbox``, ``polygon_wkt``, ``h3_cells``, ``incident_ids``... (any :class:`Filters` field the sidebar
    has no widget for) replace those of the current filters; ``admin1`` sets the Oblasts widget (applied
    before it is drawn). Takes effect in the next run: from a widget callback nothing more is needed;
    from a page's body, call ``st.rerun()`` after it. Example: ``set_extra_filter(bbox=None, polygon_wkt=None)``
    clears a drawn area.
    """
    if "admin1" in changes:
        st.session_state[_PENDING_ADM1] = tuple(changes.pop("admin1") or ())
    extra: Filters = st.session_state.get(_EXTRA) or Filters()
    st.session_state[_EXTRA] = extra.replace(**changes)


def _url_filters() -> dict[str, str]:
    return {k: st.query_params.get(k) for k in FILTER_PARAMS if k in st.query_params}


def _init_from_url(opts: dict) -> None:
    f = Filters.from_params(st.query_params.to_dict())
    d0, d1 = opts.get("date_min"), opts.get("date_max")
    if d0 and d1:
        lo = min(max(f.date_from or d0, d0), d1)
        hi = max(min(f.date_to or d1, d1), lo)
        st.session_state[KEYS["dates"]] = (lo, hi)
    st.session_state[KEYS["cats"]] = [c for c in f.categories if c in opts.get("categories", [])]
    st.session_state[KEYS["adm1"]] = [a for a in f.admin1 if a in opts.get("admin1", [])]
    st.session_state[KEYS["src"]] = [s for s in f.sources if s in opts.get("sources", [])]
    st.session_state[KEYS["text"]] = f.text
    st.session_state[_EXTRA] = Filters(bbox=f.bbox, polygon_wkt=f.polygon_wkt, h3_cells=f.h3_cells,
                                       incident_ids=f.incident_ids, min_confidence=f.min_confidence,
                                       include_duplicates=f.include_duplicates)
    st.session_state[_INIT] = True


def _write_url(f: Filters) -> None:
    want = f.to_params()
    st.session_state[_WRITTEN] = want
    have = _url_filters()
    if want == have:
        return
    for k in FILTER_PARAMS:
        if k in st.query_params and k not in want:
            del st.query_params[k]
    st.query_params.update(want)


def sidebar(store) -> Filters:
    """Draw the filters in the sidebar; return the Filters (also written to the URL).

    ``store`` needs ``options()`` (admin1, sources, categories, date_min, date_max).
    """
    tax = load_taxonomy()
    opts = store.options()
    url = _url_filters()
    if not st.session_state.get(_INIT) or (url and url != st.session_state.get(_WRITTEN, url)):
        _init_from_url(opts)      # first run, or a link / history step brought other filters
    d_min, d_max = opts.get("date_min"), opts.get("date_max")
    pending = st.session_state.pop(_PENDING_DATES, None)
    if pending and d_min and d_max:
        lo = min(max(pending[0], d_min), d_max)
        st.session_state[KEYS["dates"]] = (lo, min(max(pending[1], lo), d_max))
    adm1 = st.session_state.pop(_PENDING_ADM1, None)
    if adm1 is not None:
        st.session_state[KEYS["adm1"]] = [a for a in adm1 if a in (opts.get("admin1") or [])]
    with st.sidebar:
        st.markdown("### Filters")
        date_from = date_to = None
        if d_min and d_max:
            st.session_state.setdefault(KEYS["dates"], (d_min, d_max))
            val = st.date_input("Dates", min_value=d_min, max_value=d_max, key=KEYS["dates"],
                                format="YYYY-MM-DD", help="From and to, inclusive")
            val = tuple(val) if isinstance(val, (tuple, list)) else (val,)
            if len(val) >= 1 and isinstance(val[0], dt.date) and val[0] > d_min:
                date_from = val[0]
            if len(val) >= 2 and isinstance(val[1], dt.date) and val[1] < d_max:
                date_to = val[1]
        cats = [c for c in tax.categories if c in set(opts.get("categories") or tax.categories)]

        def cat_label(c: str) -> str:
            group = tax.groups.get(tax.group_of(c), "")
            label = tax.label(c)
            return label if not group or group == label else f"{group} · {label}"

        chosen = st.multiselect("What was hit", cats, key=KEYS["cats"], format_func=cat_label,
                                placeholder="All categories",
                                help="Grouped as in data/taxonomy.toml (group · category). "
                                     "An incident matches if any of its categories is chosen.")
        admin1 = st.multiselect("Oblasts", opts.get("admin1") or [], key=KEYS["adm1"], placeholder="All oblasts")
        sources = st.multiselect("Sources", opts.get("sources") or [], key=KEYS["src"], placeholder="All sources")
        text = st.text_input("Description contains", key=KEYS["text"], placeholder="e.g. school, substation")
        extra: Filters = st.session_state.get(_EXTRA) or Filters()
        f = extra.replace(date_from=date_from, date_to=date_to, categories=tuple(chosen), admin1=tuple(admin1),
                          sources=tuple(sources), text=text.strip())
        if extra.describe() != Filters().describe():
            st.caption("Also filtered from the link: " + md_text(extra.describe()))
        st.button("Clear filters", on_click=clear_filters, key="f_clear", disabled=f.is_empty)
    _write_url(f)
    return f
