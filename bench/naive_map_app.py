"""The naive Streamlit map the map bench measures HarmMap against (``bench/bench_map.py --app``).

What popular folium + Streamlit apps do: read every incident, put each one on the map (a
``folium.CircleMarker`` each, or ``folium.plugins.MarkerCluster`` of ``folium.Marker``), hand the map to
``st_folium`` on every run, and on a click find the incident under it and show its description.
No caching, no aggregation: that is the point of the comparison.

Environment: ``NAIVE_DB`` (a DuckDB store), ``NAIVE_KIND`` (``circlemarker`` | ``markercluster``),
``HARMMAP_ROOT`` (the repository, when this file is run from a copy). Leaflet and the plugins load from
the project's ``static/`` (as HarmMap's do; the bench runs offline), so the bench runs a copy of this file
beside a link to ``static/``.
URL: ``?view=lat,lon,zoom`` opens the map there (for the click measurement).
Run: ``NAIVE_DB=/tmp/benchmap/demo_10000.duckdb NAIVE_KIND=circlemarker streamlit run bench/naive_map_app.py``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("HARMMAP_ROOT") or Path(__file__).resolve().parents[1])
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
import folium.plugins  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit_folium import st_folium  # noqa: E402

from harmmap.query import Filters  # noqa: E402
from harmmap.store import open_store  # noqa: E402
from layers.assets import localize  # noqa: E402

st.set_page_config(layout="wide")
kind = os.environ.get("NAIVE_KIND", "circlemarker")
store = open_store(os.environ["NAIVE_DB"], read_only=True)
df = store.incidents(Filters(), columns=["incident_id", "date", "location", "description", "geometry"])
store.close()

try:
    lat, lon, zoom = (float(x) for x in st.query_params.get("view", "48.6,31.3,6").split(","))
except ValueError:
    lat, lon, zoom = 48.6, 31.3, 6
m = folium.Map(location=[lat, lon], zoom_start=int(zoom), tiles=None)
if kind == "circlemarker":
    for r in df.itertuples():
        folium.CircleMarker([r.lat, r.lon], radius=4, tooltip=f"id: {r.incident_id}").add_to(m)
else:
    cluster = folium.plugins.MarkerCluster().add_to(m)
    for r in df.itertuples():
        folium.Marker([r.lat, r.lon], tooltip=f"id: {r.incident_id}").add_to(cluster)

localize(m)     # Leaflet from static/ (no CDN): the same footing as HarmMap's map

left, right = st.columns([3, 1])
with left:
    out = st_folium(m, key="map", height=560, use_container_width=True, returned_objects=["last_object_clicked"])
with right:
    hit = (out or {}).get("last_object_clicked")
    if hit:
        d = (df["lat"] - hit["lat"]) ** 2 + (df["lon"] - hit["lng"]) ** 2
        row = df.loc[d.idxmin()]
        st.markdown("#### Incident")
        st.text(f"{row['incident_id']} · {row['date']} · {row['location']}")
        st.markdown("Description")
        st.text(str(row["description"]))
