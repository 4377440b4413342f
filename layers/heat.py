"""Heat map (Leaflet.heat) from the store's hexagon counts: one weighted point per H3 cell centre.

A heat map of a million incidents must not send a million points: the store counts incidents (and
fatalities) per fine H3 cell (:func:`heat_data`), and the browser receives one ``[lat, lon, weight]``
per cell, never more than :data:`MAX_POINTS` of them (about 25 bytes each: under 2 MB). Optionally
weighted by reported fatalities.

Example
-------
>>> import pandas as pd, h3
>>> cells = [h3.str_to_int(h3.latlng_to_cell(50.45, 30.52, 7)), h3.str_to_int(h3.latlng_to_cell(49.99, 36.23, 7))]
>>> hx = pd.DataFrame({"h3": cells, "incidents": [12, 3], "fatalities": [0, 5]})
>>> layer = heat(hx, {"weight": "fatalities"})
>>> layer.points, layer.total
(1, 5)
"""

from __future__ import annotations

from collections.abc import Mapping

import h3
import numpy as np
import pandas as pd
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from layers.common import esc
from layers.legend import HtmlControl

__all__ = ["HeatLayer", "heat", "heat_data", "heat_legend", "WEIGHTS", "MAX_POINTS", "GRADIENT"]

#: what a cell's heat counts
WEIGHTS = {"incidents": "incidents", "fatalities": "fatalities (reported)"}
#: at most this many weighted points go to the browser (about 25 bytes each)
MAX_POINTS = 60_000
#: Leaflet.heat gradient (stop -> colour): YlOrRd, as the hexagons
GRADIENT = {0.2: "#ffffb2", 0.4: "#fecc5c", 0.6: "#fd8d3c", 0.8: "#f03b20", 1.0: "#bd0026"}
_HEAT_JS = "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js"


def heat_data(store, filters, *, resolutions=(7, 6, 5, 4), max_points: int = MAX_POINTS) -> tuple[pd.DataFrame, int]:
    """``store.hex_counts`` at the finest resolution of ``resolutions`` with at most ``max_points`` cells.

    Returns ``(counts, resolution)``; the store does the counting, whatever the number of incidents.
    """
    hx, res = None, resolutions[-1]
    for res in resolutions:
        hx = store.hex_counts(filters, res)
        if len(hx) <= max_points:
            return hx, res
    return hx.nlargest(max_points, "incidents"), res


class HeatLayer(JSCSSMixin, Layer):
    """Leaflet.heat layer from ``[lat, lon, weight]`` points (weights scaled to ``max``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.heatLayer({{ this.data|tojson }}, {{ this.options|tojson }})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )
    default_js = [("leaflet-heat.js", _HEAT_JS)]

    def __init__(self, data: pd.DataFrame, *, weight: str = "incidents", radius: int = 14, blur: int = 16,
                 name: str | None = None, show: bool = True):
        if weight not in WEIGHTS:
            raise ValueError(f"weight must be one of {sorted(WEIGHTS)}, not {weight!r}")
        missing = [c for c in ("h3", weight) if c not in data.columns]
        if missing:
            raise ValueError(f"heat data lacks column(s) {missing}; need h3 and {weight}")
        super().__init__(name=name or f"Heat ({WEIGHTS[weight]})", overlay=True, control=True, show=show)
        self._name = "HeatLayer"
        w = pd.to_numeric(data[weight], errors="coerce").fillna(0).to_numpy(float)
        if np.any(w < 0):
            raise ValueError("heat weights may not be negative")
        keep = w > 0
        cells = data["h3"].to_numpy()[keep]
        w = w[keep]
        pts = []
        for cell, v in zip(cells, w, strict=True):
            cid = cell if isinstance(cell, str) else h3.int_to_str(int(cell))
            lat, lon = h3.cell_to_latlng(cid)
            pts.append([round(lat, 4), round(lon, 4), int(v) if float(v).is_integer() else round(float(v), 3)])
        self.data = pts
        self.weight = weight
        self.total = int(w.sum()) if len(w) else 0
        #: a cell at or above this weight is drawn at full heat (the 98th percentile, not the one outlier)
        self.max = float(max(1.0, np.quantile(w, 0.98))) if len(w) else 1.0
        self.options = {"radius": int(radius), "blur": int(blur), "max": self.max, "minOpacity": 0.25,
                        "maxZoom": 6, "gradient": {str(k): v for k, v in GRADIENT.items()}}

    @property
    def points(self) -> int:
        """Weighted points sent to the browser (cells with a weight above zero)."""
        return len(self.data)


def heat(data: pd.DataFrame, options: Mapping | None = None) -> HeatLayer:
    """Heat from ``store.hex_counts`` output (columns h3, incidents[, fatalities]).

    ``options``: ``weight`` ("incidents" or "fatalities"), ``radius``, ``blur`` (px), ``name``, ``show``.
    """
    o = dict(options or {})
    return HeatLayer(data, weight=o.get("weight", "incidents"), radius=o.get("radius", 14),
                     blur=o.get("blur", 16), name=o.get("name"), show=o.get("show", True))


def heat_legend(layer: HeatLayer, resolution: int | None = None) -> HtmlControl:
    """Legend of a heat layer: what it weighs, the colour ramp and the weight drawn at full heat."""
    stops = ", ".join(f"{c} {int(float(k) * 100)}%" for k, c in GRADIENT.items())
    unit = "incidents" if layer.weight == "incidents" else "killed (reported)"
    ramp = (f"<div style='height:10px;width:150px;border:1px solid #333;"
            f"background:linear-gradient(to right, rgba(255,255,178,0.3) 0%, {stops})'></div>"
            f"<div class='hm-row'><span class='hm-lab'>low</span>"
            f"<span class='hm-n'>&ge; {layer.max:,.0f} {esc(unit)}</span></div>")
    where = f" per H3 cell (resolution {int(resolution)})" if resolution is not None else " per cell"
    note = (f"<div class='hm-note'>{layer.total:,} {esc(unit)} in {layer.points:,} cells; "
            f"full heat at the 98th percentile{where}</div>")
    return HtmlControl(f"<div class='hm-title'>Heat: {esc(WEIGHTS[layer.weight])}</div>{ramp}{note}",
                       "bottomright", "hm-box hm-legend")
