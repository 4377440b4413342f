"""Known facilities (schools, hospitals, power plants... from ``harmmap.facilities.table()``): small dots
filled by category and outlined in grey (in their own pane, above the oblast fill), hidden until ticked
in the layer control.

A facilities file can hold tens of thousands of points: the layer keeps those in the view's box and
at most ``max_points`` of them (an even, deterministic sample), and says how many it left out.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"lon": [30.5, 36.2], "lat": [50.4, 50.0], "category": ["health", "energy"],
...                   "name": ["Clinic <1>", None]})
>>> layer = facilities(t, {"bbox": (29, 49, 32, 51)})
>>> layer.drawn, layer.available, layer.show
(1, 1, False)
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from folium.map import Layer
from folium.template import Template

from harmmap.taxonomy import load_taxonomy
from layers.common import esc

__all__ = ["FacilityLayer", "facilities", "facility_legend", "MAX_POINTS", "OUTLINE"]

#: at most this many facilities are drawn (in the view's box)
MAX_POINTS = 3_000
OUTLINE = "#666666"


class FacilityLayer(Layer):
    """Facilities as small grey-outlined dots in their own pane (escaped tooltips)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            if (!map.getPane("hmFacilities")) { map.createPane("hmFacilities").style.zIndex = 401; }
            var P = {{ this.payload|tojson }};
            var g = L.featureGroup();
            for (var i = 0; i < P.rows.length; i++) {
                var r = P.rows[i];
                L.circleMarker([r[0], r[1]], {pane: "hmFacilities", radius: {{ this.radius }}, color: P.outline,
                    weight: 1, opacity: 0.9, fillColor: P.colors[r[2]], fillOpacity: 0.55})
                 .bindTooltip(P.tips[r[2]] + (r[3] ? "<br>" + r[3] : ""), {direction: "top"})
                 .addTo(g);
            }
            {%- if this.show %}
            g.addTo(map);
            {%- endif %}
            return g;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: pd.DataFrame, *, bbox=None, max_points: int = MAX_POINTS, radius: int = 3,
                 name: str | None = None, show: bool = False, tax=None):
        missing = [c for c in ("lon", "lat", "category") if c not in data.columns]
        if missing:
            raise ValueError(f"facility data lacks column(s) {missing}; need lon, lat, category[, name]")
        super().__init__(name=name or "Known facilities", overlay=True, control=True, show=show)
        self._name = "FacilityLayer"
        tax = tax or load_taxonomy()
        df = data.dropna(subset=["lon", "lat", "category"])
        if bbox is not None:
            x0, y0, x1, y1 = bbox
            df = df[df["lon"].between(x0, x1) & df["lat"].between(y0, y1)]
        self.available = len(df)
        if len(df) > max_points:
            step = len(df) / max_points
            df = df.iloc[[int(i * step) for i in range(max_points)]]
        cats = list(dict.fromkeys(str(c) for c in df["category"]))
        index = {c: i for i, c in enumerate(cats)}
        names = df["name"] if "name" in df.columns else pd.Series([None] * len(df), index=df.index)
        rows = [[round(float(lat), 5), round(float(lon), 5), index[str(c)], esc(n) if pd.notna(n) else ""]
                for lon, lat, c, n in zip(df["lon"], df["lat"], df["category"], names, strict=True)]
        self.payload = {"outline": OUTLINE, "colors": [tax.color(c) for c in cats],
                        "tips": [f"<b>{esc(tax.label(c))}</b> (known facility)" for c in cats], "rows": rows}
        self.radius = int(radius)
        self.show = bool(show)
        self.by_category = {c: int(n) for c, n in df["category"].astype(str).value_counts().items()}

    @property
    def drawn(self) -> int:
        return len(self.payload["rows"])


def facilities(data: pd.DataFrame, options: Mapping | None = None) -> FacilityLayer:
    """Facilities from ``harmmap.facilities.table()`` (lon, lat, category, name).

    ``options``: ``bbox`` (lon/lat box to keep), ``max_points``, ``radius``, ``name``, ``show``
    (default False: hidden until ticked in the layer control), ``tax``.
    """
    o = dict(options or {})
    return FacilityLayer(data, bbox=o.get("bbox"), max_points=o.get("max_points", MAX_POINTS),
                         radius=o.get("radius", 3), name=o.get("name"), show=o.get("show", False), tax=o.get("tax"))


def facility_legend(layer: FacilityLayer, tax=None) -> str:
    """A short HTML line for the layer control's entry: how many facilities of which categories are drawn."""
    tax = tax or load_taxonomy()
    parts = ", ".join(f"{esc(tax.label(c))} {n:,}" for c, n in layer.by_category.items())
    more = f" (of {layer.available:,} in view)" if layer.available > layer.drawn else ""
    return f"{layer.drawn:,} known facilities{more}: {parts}" if parts else "no known facilities here"

