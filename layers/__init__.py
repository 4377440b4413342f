"""Map layers: one module per layer, each a function ``(data, options) -> folium layer``.

Registry
--------
>>> sorted(LAYERS)
['clusters', 'hexagons', 'outlines', 'points']

``points``/``clusters`` take incident rows (lat, lon, categories, date, location, incident_id),
``hexagons`` takes ``store.hex_counts`` output, ``outlines`` takes ``gazetteer.boundaries(1)``.
Legends (:mod:`layers.legend`) list exactly what a layer drew; :mod:`layers.assets` makes the map
load its JavaScript and CSS from ``static/`` (offline); :mod:`layers.compose` builds the whole map.
"""

from __future__ import annotations

from layers.hexagons import hexagons
from layers.incidents import clusters, points
from layers.outlines import outlines

__all__ = ["LAYERS", "points", "clusters", "hexagons", "outlines"]

LAYERS = {
    "points": points,
    "clusters": clusters,
    "hexagons": hexagons,
    "outlines": outlines,
}
