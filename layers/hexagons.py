"""H3 hexagons shaded by how many incidents fell in each (from ``store.hex_counts``).

Used when there are too many incidents to send as points (more than ~20,000). The tooltip of each
hexagon says its count, fatalities and most frequent category; all text is escaped in Python. Each
hexagon carries its cell (``properties.h3``) so that a click on it can filter to it (:mod:`ui.map`).

Example
-------
>>> import folium, pandas as pd, h3
>>> cell = h3.str_to_int(h3.latlng_to_cell(50.45, 30.52, 5))
>>> hx = pd.DataFrame({"h3": [cell], "incidents": [12], "fatalities": [3], "top_category": ["energy"]})
>>> layer = hexagons(hx)
>>> layer.bins[-1][1] >= 12
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import h3
import numpy as np
import pandas as pd
from folium.map import Layer
from folium.template import Template

from harmmap.taxonomy import load_taxonomy
from layers.common import esc

__all__ = ["HexagonLayer", "hexagons", "hex_resolution", "SEQUENTIAL", "nice_bins"]

#: ColorBrewer YlOrRd (6 classes): sequential and colour-blind safe
SEQUENTIAL = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
_NICE = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 20000, 50000, 100000)


def hex_resolution(zoom: float | None) -> int:
    """The H3 resolution (4..8, what the store keeps) whose cells look right at a Leaflet zoom.

    Example
    -------
    >>> [hex_resolution(z) for z in (None, 5, 6, 8, 10, 13)]
    [4, 4, 5, 6, 7, 8]
    """
    z = 5 if zoom is None else float(zoom)   # None: the country view
    if z <= 5:
        return 4
    if z <= 6.5:
        return 5
    if z <= 8.5:
        return 6
    if z <= 10.5:
        return 7
    return 8


def nice_bins(counts, k: int = len(SEQUENTIAL)) -> list[tuple[int, int]]:
    """Up to ``k`` classes ``(low, high)`` covering 1..max(counts), with round limits at quantiles.

    Example
    -------
    >>> nice_bins([1, 2, 3, 40, 400])
    [(1, 1), (2, 2), (3, 19), (20, 99), (100, 400)]
    """
    c = np.asarray([x for x in counts if x and x > 0], dtype=float)
    if not len(c):
        return [(1, 1)]
    top = int(c.max())
    qs = np.quantile(c, np.linspace(0, 1, k + 1)[1:-1])
    lows = [1]
    for q in qs:
        nice = max((n for n in _NICE if n <= q), default=1)
        if nice > lows[-1] and nice <= top:
            lows.append(nice)
    bins = [(lo, (lows[i + 1] - 1) if i + 1 < len(lows) else top) for i, lo in enumerate(lows)]
    return bins


def _bin_of(n: int, bins) -> int:
    for i, (lo, hi) in enumerate(bins):
        if lo <= n <= hi:
            return i
    return len(bins) - 1


class HexagonLayer(Layer):
    """GeoJSON hexagons, styled in the browser from a precomputed colour and escaped tooltip."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.geojson|tojson }}, {
            style: function (f) {
                return {color: "#555", weight: 0.6, opacity: 0.8, fillColor: f.properties.c, fillOpacity: 0.75};
            },
            onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.t, {sticky: true}); }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: pd.DataFrame, *, name: str | None = None, tax=None):
        super().__init__(name=name or "Incidents (hexagons)", overlay=True, control=True, show=True)
        self._name = "HexagonLayer"
        missing = [c for c in ("h3", "incidents") if c not in data.columns]
        if missing:
            raise ValueError(f"hexagon data lacks column(s) {missing}; need h3, incidents")
        tax = tax or load_taxonomy()
        self.bins = nice_bins(data["incidents"].tolist())
        self.colors = list(SEQUENTIAL[: len(self.bins)]) if len(self.bins) > 1 else [SEQUENTIAL[3]]
        feats = []
        fat = data["fatalities"] if "fatalities" in data.columns else pd.Series([None] * len(data))
        top = data["top_category"] if "top_category" in data.columns else pd.Series([None] * len(data))
        for cell, n, f, tc in zip(data["h3"], data["incidents"], fat, top, strict=True):
            cid = h3.int_to_str(int(cell)) if not isinstance(cell, str) else cell
            ring = [[round(lng, 5), round(lat, 5)] for lat, lng in h3.cell_to_boundary(cid)]
            ring.append(ring[0])
            n = int(n)
            tip = f"<b>{n:,} incident{'s' if n != 1 else ''}</b>"
            if f is not None and not (isinstance(f, float) and math.isnan(f)) and not pd.isna(f):
                tip += f"<br>{int(f):,} killed (reported)"
            if tc is not None and not pd.isna(tc):
                tip += f"<br>most often: {esc(tax.label(str(tc)))}"
            tip += "<br><i>click to filter to this hexagon</i>"
            feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                          "properties": {"c": self.colors[_bin_of(n, self.bins)], "t": tip, "h3": cid}})
        self.geojson = {"type": "FeatureCollection", "features": feats}
        self.incidents = int(data["incidents"].sum()) if len(data) else 0

    @property
    def cells(self) -> int:
        return len(self.geojson["features"])


def hexagons(data: pd.DataFrame, options: Mapping | None = None) -> HexagonLayer:
    """Hexagons from ``store.hex_counts(filters, resolution)``: columns h3, incidents[, fatalities, top_category]."""
    o = dict(options or {})
    return HexagonLayer(data, name=o.get("name"), tax=o.get("tax"))
