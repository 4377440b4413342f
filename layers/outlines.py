"""Country and oblast outlines: a base that shows where things are when tiles cannot load.

Example
-------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> b = gpd.GeoDataFrame({"admin1": ["Kyiv"]}, geometry=[box(30, 50, 31, 51)], crs=4326)
>>> layer = outlines(b)
>>> layer.features
1
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
from folium.map import Layer
from folium.template import Template

__all__ = ["OutlineLayer", "outlines"]


class OutlineLayer(Layer):
    """Non-interactive grey outlines (clicks pass through to the incidents below)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.geojson|tojson }}, {
            interactive: false,
            style: function (f) {
                return f.properties.k === "country"
                    ? {color: "#444", weight: 1.6, fill: false}
                    : {color: "#777", weight: 0.8, fill: true, fillColor: "#fbfbf8", fillOpacity: 0.55};
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, boundaries: gpd.GeoDataFrame, *, tolerance: float = 0.01, name: str | None = None):
        super().__init__(name=name or "Oblast outlines", overlay=True, control=True, show=True)
        self._name = "OutlineLayer"
        if boundaries is None or "geometry" not in boundaries:
            raise ValueError("outlines need a GeoDataFrame with a geometry column")
        gdf = boundaries.to_crs(4326) if boundaries.crs and boundaries.crs.to_epsg() != 4326 else boundaries
        geoms = gdf.geometry.simplify(tolerance, preserve_topology=True)
        feats = [{"type": "Feature", "geometry": g.__geo_interface__, "properties": {"k": "admin1"}}
                 for g in geoms if g is not None and not g.is_empty]
        country = geoms.union_all() if len(geoms) else None
        if country is not None and not country.is_empty:
            feats.append({"type": "Feature", "geometry": country.__geo_interface__, "properties": {"k": "country"}})
        self.geojson = _round({"type": "FeatureCollection", "features": feats})
        self.features = len(feats) - (1 if country is not None and not country.is_empty else 0)


def _round(obj, nd: int = 4):
    if isinstance(obj, float):
        return round(obj, nd)
    if isinstance(obj, (list, tuple)):
        return [_round(x, nd) for x in obj]
    if isinstance(obj, dict):
        return {k: _round(v, nd) for k, v in obj.items()}
    return obj


def outlines(data: gpd.GeoDataFrame, options: Mapping | None = None) -> OutlineLayer:
    """Outlines from ``harmmap.gazetteer.boundaries(level=1)``; ``options``: ``tolerance`` (degrees), ``name``."""
    o = dict(options or {})
    return OutlineLayer(data, tolerance=o.get("tolerance", 0.01), name=o.get("name"))
