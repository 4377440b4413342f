"""Incidents as points or as client-side clusters, coloured by category.

Both draw from one compact JSON array in the browser (see :mod:`layers.common`), so a map of
20,000 incidents is one folium element, not 20,000. Clusters are drawn as small pies of the
categories inside them (CSS ``conic-gradient``), so their colours mean what the legend says.

Example
-------
>>> import folium, pandas as pd
>>> df = pd.DataFrame({"lat": [50.45], "lon": [30.52], "categories": [["health"]],
...                    "date": pd.to_datetime(["2022-03-09"]), "location": ["Mariupol"],
...                    "incident_id": ["demo:1"]})
>>> m = folium.Map()
>>> _ = points(df).add_to(m)
>>> "#D55E00" in m.get_root().render()
True
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from layers.common import JS_HELPERS, incident_payload

__all__ = ["IncidentLayer", "points", "clusters", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS = ("lat", "lon", "categories", "date", "location", "incident_id")

_CLUSTER_ICON = r"""
function (cluster) {
  var ms = cluster.getAllChildMarkers(), n = ms.length, counts = {}, order = [];
  for (var i = 0; i < n; i++) {
    var c = ms[i].options.hmCat;
    if (!(c in counts)) { counts[c] = 0; order.push(c); }
    counts[c] += 1;
  }
  order.sort(function (a, b) { return counts[b] - counts[a]; });
  var stops = [], acc = 0;
  for (var j = 0; j < order.length; j++) {
    var a = acc, b = acc + 100 * counts[order[j]] / n; acc = b;
    stops.push(P.colors[order[j]] + " " + a.toFixed(2) + "% " + b.toFixed(2) + "%");
  }
  var size = n < 10 ? 28 : n < 100 ? 34 : n < 1000 ? 42 : 50;
  var html = "<div class='hm-pie' style='width:" + size + "px;height:" + size + "px;background:conic-gradient(" +
             stops.join(",") + ")'><span>" + n.toLocaleString("en-US") + "</span></div>";
  return L.divIcon({html: html, className: "hm-cluster", iconSize: L.point(size, size)});
}
"""


class IncidentLayer(JSCSSMixin, Layer):
    """A folium layer drawing incidents from a compact payload, as points or clusters."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            {{ this.helpers }}
            var P = {{ this.payload|tojson }};
            var group;
            {%- if this.cluster %}
            group = L.markerClusterGroup({{ this.cluster_options|tojson }});
            group.options.iconCreateFunction = (function (P) { return {{ this.icon_js }}; })(P);
            {%- else %}
            group = L.featureGroup();
            {%- endif %}
            var markers = [];
            for (var i = 0; i < P.rows.length; i++) {
                markers.push(hmMarker(P, P.rows[i], {{ this.radius }}));
            }
            {%- if this.cluster %}
            group.addLayers(markers);
            {%- else %}
            for (var k = 0; k < markers.length; k++) { group.addLayer(markers[k]); }
            {%- endif %}
            group.addTo({{ this._parent.get_name() }});
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: pd.DataFrame, *, cluster: bool, radius: int = 6, name: str | None = None,
                 cluster_options: Mapping | None = None, tax=None, prefer: tuple[str, ...] = ()):
        super().__init__(name=name or ("Incidents (clusters)" if cluster else "Incidents"),
                         overlay=True, control=True, show=True)
        self._name = "IncidentLayer"
        missing = [c for c in REQUIRED_COLUMNS if c not in data.columns]
        if missing:
            raise ValueError(f"incident data lacks column(s) {missing}; need {list(REQUIRED_COLUMNS)}")
        self.payload = incident_payload(data, tax, prefer=tuple(prefer))
        self.cluster = bool(cluster)
        self.radius = int(radius)
        self.helpers = JS_HELPERS
        self.icon_js = _CLUSTER_ICON.strip()   # "return\nfunction" would return nothing
        opts = {"chunkedLoading": True, "showCoverageOnHover": False, "maxClusterRadius": 50,
                "spiderfyOnMaxZoom": True, "disableClusteringAtZoom": 13}
        opts.update(cluster_options or {})
        self.cluster_options = opts
        if self.cluster:
            self.default_js = [("markerclusterjs",
                                "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
                                "leaflet.markercluster.js")]
            self.default_css = [
                ("markerclustercss",
                 "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css"),
                ("markerclusterdefaultcss",
                 "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css"),
            ]
        else:
            self.default_js, self.default_css = [], []

    @property
    def drawn(self) -> int:
        """How many incidents the layer draws (rows with coordinates)."""
        return len(self.payload["rows"])

    @property
    def drawn_by_category(self) -> dict[str, int]:
        """Incidents drawn per colouring (first) category: what the legend must list."""
        return dict(self.payload["drawn_by_category"])


def points(data: pd.DataFrame, options: Mapping | None = None) -> IncidentLayer:
    """One circle marker per incident, coloured by its (first) category; for up to ~2,000.

    ``options``: ``radius`` (px, default 6), ``name``, ``tax`` (a Taxonomy), ``prefer`` (categories
    that colour an incident first, e.g. the ones filtered on).
    """
    o = dict(options or {})
    return IncidentLayer(data, cluster=False, radius=o.get("radius", 6), name=o.get("name"), tax=o.get("tax"),
                         prefer=o.get("prefer", ()))


def clusters(data: pd.DataFrame, options: Mapping | None = None) -> IncidentLayer:
    """Client-side clusters (Leaflet.markercluster) drawn as category pies; for up to ~20,000.

    ``options``: ``radius``, ``name``, ``tax``, ``prefer``, ``cluster_options`` (to markerClusterGroup).
    """
    o = dict(options or {})
    return IncidentLayer(data, cluster=True, radius=o.get("radius", 5), name=o.get("name"),
                         cluster_options=o.get("cluster_options"), tax=o.get("tax"), prefer=o.get("prefer", ()))
