"""Trends page: incidents per week, stacked by category group (from store.timeseries)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from harmmap.taxonomy import load_taxonomy
from layers.compose import map_title
from ui.common import context, empty_state

ctx = context()
store, filters = ctx.store, ctx.filters
tax = load_taxonomy()

freq = st.segmented_control("Per", ["week", "month"], default="week", key="trend_freq") or "week"
ts = store.timeseries(filters, freq=freq, by="group")
summary = store.summary(filters)
title = map_title(filters, summary).replace("Attacks on civilian infrastructure",
                                            f"Attacks on civilian infrastructure per {freq}")
st.markdown(f"### {title}")
n = int(summary.get("incidents") or 0)
src = ", ".join(store.info.sources)
st.caption(f"{n:,} incidents · {filters.describe()} · Data: {src}"
           + (" · Synthetic demo data" if store.info.synthetic else "")
           + " · An incident in several groups counts once in each.")

if ts.empty or n == 0:
    empty_state(filters)
    st.stop()

# colours: each group takes the colour of its first category (data/taxonomy.toml)
groups = [g for g in tax.groups if g in set(ts["key"].astype(str))]
group_color = {g: tax.color(tax.categories_in(g)[0]) if tax.categories_in(g) else "#BBBBBB" for g in groups}
df = ts.assign(group=ts["key"].astype(str).map(lambda g: tax.groups.get(g, g)),
               period=pd.to_datetime(ts["period"]))
chart = (
    alt.Chart(df)
    .mark_bar()
    .encode(
        x=alt.X("period:T", title=f"{freq.capitalize()} starting"),
        y=alt.Y("sum(incidents):Q", title=f"Incidents per {freq}", stack="zero"),
        color=alt.Color("group:N", title="What was hit (group)",
                        scale=alt.Scale(domain=[tax.groups[g] for g in groups],
                                        range=[group_color[g] for g in groups])),
        order=alt.Order("group:N"),
        tooltip=[alt.Tooltip("period:T", title=freq.capitalize()), alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("incidents:Q", title="Incidents"), alt.Tooltip("fatalities:Q", title="Killed")],
    )
    .properties(height=420)
)
st.altair_chart(chart, width="stretch")

with st.expander("Table"):
    st.dataframe(df.pivot_table(index="period", columns="group", values="incidents", aggfunc="sum", fill_value=0)
                 .sort_index(ascending=False), width="stretch")
