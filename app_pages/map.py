"""Map page: incidents as points, clusters, hexagons, heat, oblasts or raions; legend, controls, detail panel;
time playback over weeks.

The view, map options and layer ticks live in the URL, and drawing or clicking on the map filters
(see ui/map.py)."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from harmmap import facilities, gazetteer
from harmmap.taxonomy import load_taxonomy
from layers.compose import View, build_map
from ui.common import context, empty_state
from ui.detail import incident_id_from_tooltip, selected_incident, show_detail
from ui.map import (
    RETURNED,
    apply_map_event,
    clear_area,
    has_area,
    home_view,
    map_options,
    playback,
    raion_boundaries,
    raion_counter,
    raion_name,
    write_url,
)
from ui.text import md_text

ctx = context()
store, filters = ctx.store, ctx.filters

raions = raion_boundaries()
top = st.columns([5, 1], vertical_alignment="center")
opts = map_options(top[1], load_taxonomy(), raions=raions is not None and len(raions) > 0)
bar = st.container()        # the week slider and Play button, when playback is on
shown = playback(top[1], filters, store.options(), bar)   # the map's filters: one week when playing back

# the last view the browser reported, if it belongs to these filters
state = st.session_state.get("map")
view = View.from_st_folium(state) if st.session_state.get("map_view_for") == filters else None
home = home_view(filters)   # the view a shared link opened at (view=lat,lon,zoom)
if shown is not filters:
    # playing back: the map stays where the analyst put it, week after week (the view is taken when the
    # week changes, so panning within a week does not rebuild the map)
    if st.session_state.get("map_play_for") != shown:
        st.session_state["map_play_for"], st.session_state["map_play_home"] = shown, view
    home = home or st.session_state.get("map_play_home")
st.session_state["map_view_for"] = filters

try:
    boundaries = gazetteer.boundaries(1)
except Exception as exc:  # a broken boundaries file must not take the map down
    boundaries = None
    st.caption(f"Boundaries could not be read: {exc}")

res = build_map(store, shown, view=view or home, home=home, mode=opts["mode"], tiles=opts["basemap"],
                boundaries=boundaries, synthetic=store.info.synthetic, sources=store.info.sources,
                heat_weight=opts["weight"], share_of=opts["share"] or None, facilities=facilities.table(),
                raions=raions, raion_counts=raion_counter(store), area_name=raion_name(filters))
with top[0]:
    st.markdown(f"**{md_text(res.title)}**")
    st.caption(md_text(res.subtitle + (" · " + "; ".join(res.notes) if res.notes else "")))
    if has_area(filters):
        st.button("Clear raion" if raion_name(filters) else "Clear drawn area", on_click=clear_area,
                  icon=":material/layers_clear:", key="map_clear_area")

if res.mode == "empty" and res.total == 0:
    empty_state(filters)

left, right = st.columns([3, 1])
with left:
    out = st_folium(res.map, key="map", height=560, use_container_width=True,
                    returned_objects=RETURNED)
    write_url(out, **opts)
    apply_map_event(out, raions)     # a drawn shape, or a click on a hexagon, oblast or raion, filters
with right:
    # remember the last incident clicked: a rebuilt map (new view or filters) starts with no click
    clicked = incident_id_from_tooltip((out or {}).get("last_object_clicked_tooltip"))
    if clicked:
        st.session_state["map_selected"] = clicked
    # a link from the Corrections page (/?ids=<id>) opens that incident's detail
    show_detail(store, selected_incident(clicked, st.session_state.get("map_selected"), filters.incident_ids))
    if res.mode == "hexagons":
        st.caption("Hexagons show counts; zoom in (or filter) below 20,000 incidents to see single incidents.")
