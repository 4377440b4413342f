"""Map layers: one module per layer, each a function ``(data, options) -> folium layer``.

Registry
--------
>>> sorted(LAYERS)
['choropleth', 'clusters', 'facilities', 'heat', 'hexagons', 'outlines', 'points']

``points``/``clusters`` take incident rows (lat, lon, categories, date, location, incident_id),
``hexagons`` and ``heat`` take ``store.hex_counts`` output, ``outlines`` takes ``gazetteer.boundaries(1)``,
``choropleth`` takes ``choropleth.choropleth_data(boundaries, store.counts_by(f, "admin1"))``,
``facilities`` takes ``harmmap.facilities.table()``. :mod:`layers.controls` adds the layer control,
fullscreen, measure, mini-map and draw tools.
Legends (:mod:`layers.legend`) list exactly what a layer drew; :mod:`layers.assets` makes the map
load its JavaScript and CSS from ``static/`` (offline); :mod:`layers.compose` builds the whole map.
"""

from __future__ import annotations

from layers.choropleth import choropleth
from layers.facilities import facilities
from layers.heat import heat
from layers.hexagons import hexagons
from layers.incidents import clusters, points
from layers.outlines import outlines

__all__ = ["LAYERS", "points", "clusters", "hexagons", "heat", "choropleth", "facilities", "outlines"]

LAYERS = {
    "points": points,
    "clusters": clusters,
    "hexagons": hexagons,
    "heat": heat,
    "choropleth": choropleth,
    "facilities": facilities,
    "outlines": outlines,
}
