"""Map page: incidents as points, clusters or hexagons (by count in view), legend, detail panel."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from harmmap import gazetteer
from layers.basemap import TILES
from layers.compose import MODES, View, build_map
from ui.common import context, empty_state
from ui.detail import incident_id_from_tooltip, show_detail

ctx = context()
store, filters = ctx.store, ctx.filters

TILE_LABELS = {"cartodbpositron": "CartoDB Positron (online)", "openstreetmap": "OpenStreetMap (online)",
               "none": "No tiles (offline: outlines)"}
MODE_LABELS = {"auto": "Auto (by count)", "points": "Points", "clusters": "Clusters", "hexagons": "Hexagons"}

top = st.columns([5, 1], vertical_alignment="center")
with top[1].popover("Map options", icon=":material/tune:", width="stretch"):
    mode = st.selectbox("Show as", MODES, format_func=MODE_LABELS.get, key="map_mode")
    tiles = st.selectbox("Basemap", list(TILES), format_func=TILE_LABELS.get, key="map_tiles")

# the last view the browser reported, if it belongs to these filters
state = st.session_state.get("map")
view = View.from_st_folium(state) if st.session_state.get("map_view_for") == filters else None
st.session_state["map_view_for"] = filters

try:
    boundaries = gazetteer.boundaries(1)
except Exception as exc:  # a broken boundaries file must not take the map down
    boundaries = None
    st.caption(f"Boundaries could not be read: {exc}")

res = build_map(store, filters, view=view, mode=mode, tiles=tiles, boundaries=boundaries,
                synthetic=store.info.synthetic, sources=store.info.sources)
with top[0]:
    st.markdown(f"**{res.title}**")
    st.caption(res.subtitle + (" · " + "; ".join(res.notes) if res.notes else ""))

if res.mode == "empty" and res.total == 0:
    empty_state(filters)

left, right = st.columns([3, 1])
with left:
    out = st_folium(res.map, key="map", height=560, use_container_width=True,
                    returned_objects=["last_object_clicked_tooltip", "zoom", "bounds", "center"])
with right:
    # remember the last incident clicked: a rebuilt map (new view or filters) starts with no click
    clicked = incident_id_from_tooltip((out or {}).get("last_object_clicked_tooltip"))
    if clicked:
        st.session_state["map_selected"] = clicked
    show_detail(store, st.session_state.get("map_selected"))
    if res.mode == "hexagons":
        st.caption("Hexagons show counts; zoom in (or filter) below 20,000 incidents to see single incidents.")
