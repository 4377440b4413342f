"""Map controls, all loaded from ``static/vendor`` (see :mod:`layers.assets`): layer control, fullscreen,
measure tool, mini-map and draw (rectangle and polygon, which filter the dashboard, see :mod:`ui.map`);
the outline of the area the filters are drawn to; and :class:`OverlayState`, which keeps the layer
control's ticks in the page's URL (``show=facilities``, ``hide=outlines,data``).

The scale bar is Leaflet's own (``control_scale`` in :func:`layers.basemap.base_map`).

Example
-------
>>> from layers.basemap import base_map
>>> from layers.assets import asset_links, localize
>>> m = base_map(tiles="none")
>>> _ = add_controls(m)
>>> html = localize(m).get_root().render()
>>> "L.Control.Draw" in html and "L.Control.MiniMap" not in html   # no mini-map without a layer for it
True
"""

from __future__ import annotations

import folium
import folium.plugins
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from shapely import wkt as shapely_wkt
from shapely.geometry import box, mapping

from layers.basemap import TILES
from layers.outlines import _round

__all__ = ["add_controls", "MiniMap", "FilterArea", "filter_area", "OverlayState", "overlay_key", "DRAW_COLOR",
           "OVERLAY_KEYS"]

DRAW_COLOR = "#1f5fa8"
_MINIMAP = "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/"


class MiniMap(JSCSSMixin, MacroElement):
    """Leaflet-MiniMap over a tile layer (online) or the country outline (offline-proof)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var layer = {% if this.geojson %}L.geoJSON({{ this.geojson|tojson }}, {interactive: false,
                style: {color: "#555", weight: 1, fill: true, fillColor: "#fbfbf8", fillOpacity: 1}})
                {% else %}L.tileLayer({{ this.url|tojson }}, {subdomains: "abcd", maxZoom: 13}){% endif %};
            var mm = new L.Control.MiniMap(layer, {toggleDisplay: true, position: "bottomleft", width: 130,
                height: 100, zoomLevelOffset: -4,
                aimingRectOptions: {color: "#bd0026", weight: 1.5, interactive: false},
                shadowRectOptions: {color: "#000", weight: 1, opacity: 0, fillOpacity: 0, interactive: false}});
            mm.addTo(map);
            mm._container.classList.add("hm-minimap");
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )
    default_js = [("minimap_js", _MINIMAP + "Control.MiniMap.js")]
    default_css = [("minimap_css", _MINIMAP + "Control.MiniMap.css")]

    def __init__(self, *, geojson: dict | None = None, url: str | None = None):
        super().__init__()
        self._name = "MiniMap"
        if geojson is None and not url:
            raise ValueError("the mini-map needs an outline (geojson) or a tile URL")
        self.geojson, self.url = geojson, url


#: URL keys of the overlays in the layer control (the incidents' own layer, whatever it is drawn as, is "data")
OVERLAY_KEYS = ("data", "outlines", "facilities")


def overlay_key(layer) -> str:
    """The URL key of an overlay: "outlines", "facilities", else "data" (incidents, hexagons, heat, regions)."""
    name = type(layer).__name__
    if name == "OutlineLayer":
        return "outlines"
    if name == "FacilityLayer":
        return "facilities"
    return "data"


class OverlayState(MacroElement):
    """Keeps the layer control's ticks in the page's URL, and restores them.

    When the map is created it reads ``show=`` and ``hide=`` (comma-separated :data:`OVERLAY_KEYS`)
    from the URL of the page around it (the Streamlit page; its own URL when opened alone) and ticks
    or unticks those overlays. Each tick the analyst makes is reported to Streamlit through
    st_folium's ``selected_layers`` (an entry named ``hm-overlays`` whose ``url`` holds the JSON
    ``{key: shown}``), which :func:`ui.map.write_url` writes back to the URL. The map's HTML does not
    depend on the ticks, so ticking a layer never rebuilds the map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, ctl) {
            var keys = {{ this.keys|tojson }};
            var entries = ctl._layers.filter(function (o) { return o.overlay && keys[o.name]; });
            var q;
            try { q = new URLSearchParams(window.parent.location.search); }
            catch (e) { q = new URLSearchParams(window.location.search); }
            var show = (q.get("show") || "").split(","), hide = (q.get("hide") || "").split(",");
            entries.forEach(function (o) {
                var k = keys[o.name];
                if (show.indexOf(k) >= 0 && !map.hasLayer(o.layer)) { map.addLayer(o.layer); }
                if (hide.indexOf(k) >= 0 && map.hasLayer(o.layer)) { map.removeLayer(o.layer); }
            });
            function state() {
                var st = {};
                entries.forEach(function (o) { st[keys[o.name]] = st[keys[o.name]] || map.hasLayer(o.layer); });
                return st;
            }
            function remember() {
                var g = window.__GLOBAL_DATA__;
                if (!g) { return false; }
                g.selected_layers = g.selected_layers || {};
                g.selected_layers["hm-overlays"] = {name: "hm-overlays", url: JSON.stringify(state())};
                return true;
            }
            remember();
            map.on("overlayadd overlayremove", function () {
                // st_folium sends its value on moveend: the new ticks go with it
                if (remember()) { map.fire("moveend"); }
            });
        })({{ this._parent.get_name() }}, {{ this.control.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, control: folium.LayerControl, keys: dict[str, str]):
        super().__init__()
        self._name = "OverlayState"
        self.control = control
        #: layer name as the control lists it -> URL key
        self.keys = dict(keys)


class FilterArea(MacroElement):
    """The drawn area the filters are restricted to: a dashed, non-interactive outline."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJSON({{ this.geojson|tojson }}, {interactive: false,
            style: {color: {{ this.color|tojson }}, weight: 2, dashArray: "6 4", fill: true, fillOpacity: 0.04}})
         .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, geometry, color: str = DRAW_COLOR):
        super().__init__()
        self._name = "FilterArea"
        self.geojson = _round(mapping(geometry), 5)
        self.color = color
        self.bounds = geometry.bounds


def filter_area(filters) -> FilterArea | None:
    """The outline of ``filters.polygon_wkt`` or ``filters.bbox`` (None when neither is set or it is malformed)."""
    geom = None
    try:
        if filters.polygon_wkt:
            geom = shapely_wkt.loads(filters.polygon_wkt)
        elif filters.bbox:
            geom = box(*filters.bbox)
    except Exception:     # a malformed polygon is reported by the store; nothing to outline
        return None
    return FilterArea(geom) if geom is not None and not geom.is_empty else None


def add_controls(m: folium.Map, *, tiles: str = "none", outline: dict | None = None, draw: bool = True,
                 measure: bool = True, fullscreen: bool = True, minimap: bool = True,
                 layer_control: bool = True) -> folium.Map:
    """Add HarmMap's controls to ``m`` (call after the last layer, before :func:`layers.assets.localize`).

    ``outline`` (GeoJSON of the country) feeds the mini-map; without it the mini-map shows the
    ``tiles`` basemap, and with neither there is no mini-map.
    """
    if fullscreen:
        folium.plugins.Fullscreen(position="topleft", title="Full screen", title_cancel="Leave full screen",
                                  force_separate_button=True).add_to(m)
    if measure:
        folium.plugins.MeasureControl(position="topleft", primary_length_unit="kilometers",
                                      secondary_length_unit="meters", primary_area_unit="sqkilometers",
                                      secondary_area_unit="hectares").add_to(m)
    if draw:
        shape = {"shapeOptions": {"color": DRAW_COLOR, "weight": 2, "fillOpacity": 0.05}}
        folium.plugins.Draw(export=False, position="topleft",
                            draw_options={"polyline": False, "circle": False, "marker": False,
                                          "circlemarker": False, "rectangle": shape,
                                          "polygon": dict(shape, allowIntersection=False, showArea=False)},
                            edit_options={"edit": False, "remove": False}).add_to(m)
    if minimap:
        spec = TILES.get(tiles)
        if outline is not None:
            MiniMap(geojson=outline).add_to(m)
        elif spec is not None:
            MiniMap(url=spec[0]).add_to(m)
    if layer_control:
        ctl = folium.LayerControl(position="topright", collapsed=True).add_to(m)
        keys = {c.layer_name: overlay_key(c) for c in m._children.values()
                if isinstance(c, folium.map.Layer) and getattr(c, "overlay", False) and getattr(c, "control", False)}
        if keys:
            OverlayState(ctl, keys).add_to(m)
    return m
