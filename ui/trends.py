"""Trends page helpers (Streamlit + Altair): cached series, the stacked chart with its rolling mean,
notable-date annotations and a time-range selection that filters the whole dashboard, and the
per-oblast small multiples.

The numbers come from the store's aggregates (``store.timeseries``, pushed down to the engine) and
:mod:`harmmap.analysis.trends` (zero-filled periods, rolling means, panel ranks); this module only
draws them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from harmmap import analysis, paths
from harmmap.query import Filters
from harmmap.taxonomy import load_taxonomy
from ui.sidebar import set_date_range

__all__ = ["NOTABLE_DATES", "notable_dates", "series", "oblast_series", "stacked_chart", "small_multiples_chart",
           "selection_range", "snap", "apply_selection", "FREQ_WORD", "VALUE_WORD"]

#: Well-known dates drawn on the charts (``date,label``); see data/README.md.
NOTABLE_DATES = paths.DATA / "notable_dates.csv"
FREQ_WORD = {"day": "day", "week": "week", "month": "month"}
VALUE_WORD = {"incidents": "Incidents", "fatalities": "Fatalities"}
SELECTION = "span"      # name of the chart's interval selection
_TTL = 3600


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


@st.cache_data(ttl=_TTL, show_spinner=False)
def _read_notable(path: str, mtime: float) -> pd.DataFrame:
    if mtime < 0:
        return pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "label": pd.Series([], dtype=str)})
    df = pd.read_csv(path, dtype=str, comment="#").fillna("")
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    return df[df["date"].notna() & (df["label"].str.strip() != "")][["date", "label"]].reset_index(drop=True)


def notable_dates(start=None, end=None, path: Path = NOTABLE_DATES) -> pd.DataFrame:
    """The notable dates (``date``, ``label``) between ``start`` and ``end`` (inclusive)."""
    df = _read_notable(str(path), _mtime(path))
    if start is not None:
        df = df[df["date"] >= pd.Timestamp(start)]
    if end is not None:
        df = df[df["date"] <= pd.Timestamp(end)]
    return df.reset_index(drop=True)


def series(store, filters: Filters, freq: str, by: str | None, value: str, rolling: int | None = None,
           start=None, end=None) -> pd.DataFrame:
    """Zero-filled ``period, key, value, rolling`` per ``freq`` and key (``by`` None: one key, the total).

    The store aggregates (cached by ``store``); re-binning and rolling means are cheap pandas work.
    """
    agg = store.timeseries(filters, freq=freq, by=by)
    if agg.empty:
        return pd.DataFrame(columns=["period", "key", "value", "rolling"])
    return analysis.resample(agg, freq=freq, by=by, value=value, rolling=rolling or None, start=start, end=end)


def oblast_series(store, filters: Filters, freq: str, value: str, rolling: int | None, top: int) -> pd.DataFrame:
    """Per-oblast series of the ``top`` oblasts (by total), with ``rank`` and ``total``."""
    agg = store.timeseries(filters, freq=freq, by="admin1")
    if agg.empty:
        return pd.DataFrame(columns=["period", "key", "value", "rolling", "total", "rank"])
    return analysis.small_multiples(agg, freq=freq, value=value, rolling=rolling or None, top=int(top), by="admin1")


def _colors(keys: list[str], by: str) -> tuple[list[str], list[str], dict[str, str]]:
    """(domain labels, colours, key -> label) in taxonomy order."""
    tax = load_taxonomy()
    if by == "group":
        order = [g for g in tax.groups if g in keys] + [k for k in keys if k not in tax.groups]
        label = {g: tax.groups.get(g, g) for g in order}

        def color(g):
            cats = tax.categories_in(g) if g in tax.groups else []
            return tax.color(cats[0]) if cats else "#BBBBBB"
    else:
        order = [c for c in tax.categories if c in keys] + [k for k in keys if k not in tax.categories]
        label = {c: tax.label(c) if c in tax.categories else c for c in order}

        def color(c):
            return tax.color(c) if c in tax.categories else "#BBBBBB"
    return [label[k] for k in order], [color(k) for k in order], label


def stacked_chart(ts: pd.DataFrame, total: pd.DataFrame, notes: pd.DataFrame, *, freq: str, value: str, by: str,
                  rolling: int | None) -> alt.LayerChart:
    """Stacked bars per period and key, the total's rolling mean as a line, notable dates as rules with
    labels, and an interval selection (``span``) on the time axis."""
    word = VALUE_WORD[value]
    domain, colors, label = _colors(sorted(set(ts["key"].astype(str))), by)
    df = ts.assign(what=ts["key"].astype(str).map(label), period=pd.to_datetime(ts["period"]))
    df = df[df["value"] > 0]
    x = alt.X("period:T", title=f"{freq.capitalize()} starting")
    brush = alt.selection_interval(name=SELECTION, encodings=["x"])
    bars = (alt.Chart(df).mark_bar().encode(
        x=x,
        y=alt.Y("value:Q", title=f"{word} per {freq}", stack="zero"),
        color=alt.Color("what:N", title="What was hit" + (" (group)" if by == "group" else ""),
                        scale=alt.Scale(domain=domain, range=colors), legend=alt.Legend(orient="right")),
        order=alt.Order("what:N"),
        tooltip=[alt.Tooltip("period:T", title=freq.capitalize()), alt.Tooltip("what:N", title="What was hit"),
                 alt.Tooltip("value:Q", title=word)],
    ).add_params(brush))
    layers = [bars]
    if rolling and not total.empty:
        tot = total.assign(period=pd.to_datetime(total["period"]))
        layers.append(alt.Chart(tot).mark_line(color="#222222", strokeWidth=2).encode(
            x=x, y=alt.Y("rolling:Q"),
            tooltip=[alt.Tooltip("period:T", title=freq.capitalize()),
                     alt.Tooltip("rolling:Q", title=f"Rolling mean ({rolling} {freq}s)", format=".1f"),
                     alt.Tooltip("value:Q", title=f"All {word.lower()}")]))
    if not notes.empty:
        layers.append(alt.Chart(notes).mark_rule(color="#555555", strokeDash=[4, 3]).encode(
            x="date:T", tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("label:N", title="Event")]))
        for halo in (True, False):      # the label twice: a white outline under it keeps it legible over bars
            style = dict(stroke="white", strokeWidth=3, strokeOpacity=0.9) if halo else {}
            layers.append(alt.Chart(notes).mark_text(angle=270, align="right", baseline="bottom", dx=-4, dy=-2,
                                                     fontSize=11, color="#222222", **style).encode(
                x="date:T", y=alt.value(0), text="label:N"))
    return alt.layer(*layers).properties(height=430)


def small_multiples_chart(sm: pd.DataFrame, *, freq: str, value: str, rolling: int | None,
                          columns: int = 4) -> alt.FacetChart:
    """One small chart per oblast (largest first), each on its own y scale, with its rolling mean."""
    word = VALUE_WORD[value]
    df = sm.assign(period=pd.to_datetime(sm["period"]))
    order = df.drop_duplicates("key").sort_values("rank")["key"].astype(str).tolist()
    x = alt.X("period:T", title=None, axis=alt.Axis(format="%Y", labelAngle=0, tickCount="year"))
    area = alt.Chart().mark_area(color="#9db4cf", opacity=0.8, interpolate="step-after").encode(
        x=x, y=alt.Y("value:Q", title=None),
        tooltip=[alt.Tooltip("key:N", title="Oblast"), alt.Tooltip("period:T", title=freq.capitalize()),
                 alt.Tooltip("value:Q", title=word)])
    layers = [area]
    if rolling:
        layers.append(alt.Chart().mark_line(color="#1f3b5c", strokeWidth=1.5).encode(x=x, y="rolling:Q"))
    return (alt.layer(*layers, data=df)
            .properties(width=175, height=105)
            .facet(facet=alt.Facet("key:N", sort=order, title=None, header=alt.Header(labelFontWeight="bold",
                                                                                       labelFontSize=12)),
                   columns=columns)
            .resolve_scale(y="independent"))


def _to_date(v) -> dt.date | None:
    try:
        ts = pd.to_datetime(v, unit="ms") if isinstance(v, (int, float)) else pd.to_datetime(v)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(ts) else ts.date()


def selection_range(state) -> tuple[dt.date, dt.date] | None:
    """The (from, to) dates of the chart's interval selection in an ``st.altair_chart`` state, or None."""
    try:
        sel = state["selection"][SELECTION]
    except (KeyError, TypeError):
        sel = getattr(getattr(state, "selection", None), SELECTION, None)
    if not sel:
        return None
    vals = sel.get("period") if isinstance(sel, dict) else None
    if not vals or len(vals) != 2:
        return None
    lo, hi = _to_date(vals[0]), _to_date(vals[1])
    if lo is None or hi is None:
        return None
    return (lo, hi) if lo <= hi else (hi, lo)


def snap(lo: dt.date, hi: dt.date, freq: str) -> tuple[dt.date, dt.date]:
    """Widen a range to whole periods: Monday..Sunday for weeks, 1st..last day for months.

    >>> snap(dt.date(2023, 3, 5), dt.date(2023, 3, 8), "week")
    (datetime.date(2023, 2, 27), datetime.date(2023, 3, 12))
    """
    if freq == "week":
        return lo - dt.timedelta(days=lo.weekday()), hi + dt.timedelta(days=6 - hi.weekday())
    if freq == "month":
        return lo.replace(day=1), (pd.Timestamp(hi) + pd.offsets.MonthEnd(0)).date()
    return lo, hi


def apply_selection(key: str, freq: str = "day") -> None:
    """``on_select`` callback: a time range selected on the chart (widened to whole periods of ``freq``)
    becomes the sidebar's date range, so every page shows that period."""
    rng = selection_range(st.session_state.get(key))
    if rng:
        set_date_range(*snap(*rng, freq))
