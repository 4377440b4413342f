"""Trends page: incidents or fatalities per day/week/month, stacked by group or category, with a rolling
mean, notable dates, a time-range selection that filters the dashboard, and per-oblast small multiples."""

from __future__ import annotations

import streamlit as st

from layers.compose import map_title
from ui import trends as tr
from ui.common import context, empty_state
from ui.text import md_text

ctx = context()
store, filters = ctx.store, ctx.filters

c = st.columns([1.3, 1.4, 1.3, 1], vertical_alignment="bottom")
value = c[0].segmented_control("Count", ["incidents", "fatalities"], default="incidents", key="trend_value",
                               format_func=str.capitalize) or "incidents"
freq = c[1].segmented_control("Per", ["day", "week", "month"], default="week", key="trend_freq") or "week"
by = c[2].segmented_control("Stack by", ["group", "category"], default="group", key="trend_by") or "group"
with c[3].popover("Chart options", icon=":material/tune:", width="stretch"):
    rolling = st.number_input(f"Rolling mean over (number of {freq}s)", min_value=0, max_value=52, value=4, step=1,
                              key="trend_rolling", help="Trailing mean of the total; 0 hides the line")
    top = st.number_input("Oblasts in the small multiples", min_value=1, max_value=27, value=8, step=1,
                          key="trend_top")
    show_notes = st.toggle("Notable dates", value=True, key="trend_notes", help="From data/notable_dates.csv")

summary = store.summary(filters)
n = int(summary.get("incidents") or 0)
word = tr.VALUE_WORD[value]
title = map_title(filters, summary).replace("Attacks on civilian infrastructure",
                                            f"Attacks on civilian infrastructure: {word.lower()} per {freq}")
st.markdown(f"### {md_text(title)}")
src = ", ".join(store.info.sources)
st.caption(f"{n:,} incidents · {md_text(filters.describe())} · Data: {md_text(src)}"
           + (" · Synthetic demo data" if store.info.synthetic else "")
           + f" · An incident in several {by}s counts once in each, so the bars can stack above the total."
           + (" · Fatalities not reported count as 0." if value == "fatalities" else ""))

if n == 0:
    empty_state(filters)
    st.stop()

d0, d1 = filters.date_from or summary.get("date_min"), filters.date_to or summary.get("date_max")
ts = tr.series(store, filters, freq, by, value, start=d0, end=d1)
total = tr.series(store, filters, freq, None, value, rolling=rolling, start=d0, end=d1)
notes = tr.notable_dates(d0, d1) if show_notes else tr.notable_dates().iloc[0:0]

chart_key = f"trend_chart_{hash((filters, freq, by, value))}"
st.altair_chart(tr.stacked_chart(ts, total, notes, freq=freq, value=value, by=by, rolling=rolling),
                width="stretch", key=chart_key, on_select=lambda: tr.apply_selection(chart_key, freq),
                selection_mode=tr.SELECTION)
st.caption(("Black line: the rolling mean of the total over " + f"{rolling} {freq}s. " if rolling else "")
           + ("Dashed lines: notable dates (data/notable_dates.csv). " if not notes.empty else "")
           + "**Drag across the chart to select a period: every page then shows only that period.**")

st.markdown(f"#### {word} per {freq} in the {int(top)} oblasts with the most")
sm = tr.oblast_series(store, filters, freq, value, rolling, int(top))
if sm.empty:
    st.caption("No oblast series for these filters.")
else:
    st.altair_chart(tr.small_multiples_chart(sm, freq=freq, value=value, rolling=rolling), width="content")
    st.caption("Each panel has its own scale (compare shapes, not heights); "
               + (f"the line is the {rolling}-{freq} rolling mean." if rolling else "no rolling mean."))

with st.expander("Table"):
    tab = ts.assign(key=ts["key"].astype(str)).pivot_table(index="period", columns="key", values="value",
                                                           aggfunc="sum", fill_value=0)
    st.dataframe(tab.sort_index(ascending=False), width="stretch")
