"""The base map: tiles (from the browser, when online), a light-grey background, the map's CSS,
the title block, the data attribution and the note shown when tiles cannot load.

Example
-------
>>> m = base_map(tiles="none")
>>> "leaflet-container" in m.get_root().render()
True
"""

from __future__ import annotations

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from layers.common import esc
from layers.legend import HtmlControl

__all__ = ["TILES", "TILE_LABELS", "base_map", "title_control", "TileNote", "CSS", "UKRAINE_CENTER", "UKRAINE_BBOX"]

UKRAINE_CENTER = (48.6, 31.3)
UKRAINE_BBOX = (22.1, 44.3, 40.3, 52.4)   # lon_min, lat_min, lon_max, lat_max

#: name -> (tile URL template, attribution); "none" draws no tiles (outlines and background only)
TILES: dict[str, tuple[str, str] | None] = {
    "cartodbpositron": ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
                        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
                        '&copy; <a href="https://carto.com/attributions">CARTO</a>'),
    "openstreetmap": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                      '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'),
    "satellite": ("https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
                  "Tiles &copy; Esri &mdash; Source: Esri, Maxar, Earthstar Geographics, and the GIS User Community"),
    "none": None,
}
#: what the basemaps are for (cartodbpositron is the light one, fit for print)
TILE_LABELS = {"cartodbpositron": "Light (print; online)", "openstreetmap": "OpenStreetMap (online)",
               "satellite": "Satellite, Esri World Imagery (online)", "none": "No tiles (offline: outlines)"}

CSS = """
<style>
.leaflet-container { background: #e4e4df; font: 12px/1.35 "Helvetica Neue", Arial, sans-serif; }
.hm-box { background: rgba(255,255,255,0.93); padding: 5px 8px; border-radius: 5px; font-size: 12px;
          line-height: 1.35; box-shadow: 0 1px 4px rgba(0,0,0,0.35); color: #222; max-width: 300px; }
.hm-legend { max-height: 46vh; overflow-y: auto; }
.hm-title { font-weight: 600; margin-bottom: 3px; }
.hm-row { display: flex; align-items: center; gap: 6px; line-height: 16px; white-space: nowrap; }
.hm-lab { flex: 1; }
.hm-n { color: #555; font-variant-numeric: tabular-nums; padding-left: 8px; }
.hm-sw { display: inline-block; width: 11px; height: 11px; border: 1px solid #333; flex: none; }
.hm-note { color: #555; font-size: 11px; margin-top: 3px; white-space: normal; }
.hm-head { max-width: min(560px, 70vw); }
.hm-head .hm-h1 { font-size: 14px; font-weight: 700; }
.hm-head .hm-h2 { font-size: 12px; margin-top: 2px; }
.hm-head .hm-h3 { font-size: 11px; color: #555; margin-top: 2px; }
.hm-synth { display: inline-block; background: #fff3cd; border: 1px solid #b38600; color: #5c4400;
            border-radius: 3px; padding: 0 4px; font-weight: 600; }
.hm-warn { background: #fff3cd; border: 1px solid #b38600; color: #3d2e00; font-size: 11px; max-width: 190px; }
.hm-cluster { background: transparent; }
.hm-pie { border-radius: 50%; border: 2px solid rgba(255,255,255,0.95); box-shadow: 0 0 0 1px #333;
          display: flex; align-items: center; justify-content: center; box-sizing: border-box; }
.hm-pie span { background: rgba(255,255,255,0.92); border-radius: 8px; padding: 0 3px; font: 600 11px Arial;
               color: #111; }
.hm-id { color: #666; font-size: 10px; }
.leaflet-control-attribution { font-size: 10px !important; line-height: 1.3 !important; max-width: 60%; }
</style>
"""


class TileNote(MacroElement):
    """A note (bottom left) shown when no tiles are drawn or the first tile fails to load (offline)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var note = L.control({position: "bottomleft"});
            var div = null;
            note.onAdd = function () {
                div = L.DomUtil.create("div", "hm-box hm-warn hm-tilenote");
                div.innerHTML = {{ this.html|tojson }};
                div.style.display = {{ "'block'" if this.always else "'none'" }};
                return div;
            };
            note.addTo(map);
            map.eachLayer(function (l) {
                if (l instanceof L.TileLayer) {
                    l.on("tileerror", function () { if (div) { div.style.display = "block"; } });
                }
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str, always: bool = False):
        super().__init__()
        self._name = "TileNote"
        self.html = esc(text)
        self.always = bool(always)


class _Attribution(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.html|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str):
        super().__init__()
        self._name = "Attribution"
        self.html = html


def base_map(*, tiles: str = "cartodbpositron", location=UKRAINE_CENTER, zoom: float = 6,
             attribution: str | None = None, height: str | int = "100%") -> folium.Map:
    """A folium Map with HarmMap's CSS, light-grey background and the chosen tiles (or none).

    ``attribution`` is plain text (escaped here), e.g. "Data: demo (Synthetic demo data)".
    """
    if tiles not in TILES:
        raise ValueError(f"tiles must be one of {sorted(TILES)}, not {tiles!r}")
    m = folium.Map(location=list(location), zoom_start=zoom, tiles=None, control_scale=True,
                   height=height, min_zoom=3, max_zoom=18)
    # folium gives min/max zoom to its tile layer only; with no tiles Leaflet (and markercluster) need them
    m.options["min_zoom"], m.options["max_zoom"] = 3, 18
    spec = TILES[tiles]
    if spec is not None:
        folium.TileLayer(spec[0], attr=spec[1], name=TILE_LABELS.get(tiles, tiles), max_zoom=19,
                         subdomains="abcd").add_to(m)
    m.get_root().header.add_child(Element(CSS), name="harmmap_css")
    if attribution:
        _Attribution(esc(attribution)).add_to(m)
    return m


def title_control(title: str, subtitle: str = "", source_line: str = "", synthetic: bool = False) -> HtmlControl:
    """The map's title block (top right): what is shown, how many, from which data (all escaped)."""
    parts = [f"<div class='hm-h1'>{esc(title)}</div>"]
    if subtitle:
        parts.append(f"<div class='hm-h2'>{esc(subtitle)}</div>")
    src = esc(source_line)
    if synthetic:
        src = (src + " &middot; " if src else "") + "<span class='hm-synth'>Synthetic demo data</span>"
    if src:
        parts.append(f"<div class='hm-h3'>{src}</div>")
    return HtmlControl("".join(parts), "topright", "hm-box hm-head")
