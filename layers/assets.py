"""Serve folium's browser assets from the project, so the map renders with no internet.

folium and its plugins link Leaflet, jQuery, Bootstrap, awesome-markers, markercluster... from CDNs;
with no internet the map is silently blank. :func:`localize` rewrites every element's links to the
copies under ``static/vendor`` (served by Streamlit at ``/app/static/...``, see
``.streamlit/config.toml``) and drops the icon-font links HarmMap does not use.

Example
-------
>>> import folium
>>> m = localize(folium.Map())
>>> all(url.startswith("/app/static/") for url in asset_links(m))
True
"""

from __future__ import annotations

from pathlib import Path

import folium
import folium.elements

__all__ = ["STATIC_DIR", "STATIC_URL", "LOCAL", "DROPPED", "localize", "asset_links", "local_url"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: where Streamlit serves ``static/`` (``server.enableStaticServing``)
STATIC_URL = "/app/static"

_V = "vendor"
#: CDN file name (the last part of the URL, which identifies it) -> path under static/
LOCAL: dict[str, str] = {
    "leaflet.js": f"{_V}/leaflet-1.9.3/leaflet.js",
    "leaflet.css": f"{_V}/leaflet-1.9.3/leaflet.css",
    "jquery-3.7.1.min.js": f"{_V}/jquery-3.7.1/jquery.min.js",
    "bootstrap.bundle.min.js": f"{_V}/bootstrap-5.2.2/bootstrap.bundle.min.js",
    "bootstrap.min.css": f"{_V}/bootstrap-5.2.2/bootstrap.min.css",
    "leaflet.awesome-markers.js": f"{_V}/leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.min.js",
    "leaflet.awesome-markers.css": f"{_V}/leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.css",
    "leaflet.markercluster.js": f"{_V}/leaflet.markercluster-1.1.0/leaflet.markercluster.js",
    "MarkerCluster.css": f"{_V}/leaflet.markercluster-1.1.0/MarkerCluster.css",
    "MarkerCluster.Default.css": f"{_V}/leaflet.markercluster-1.1.0/MarkerCluster.Default.css",
    "leaflet_heat.min.js": f"{_V}/leaflet.heat-0.2.0/leaflet-heat.js",
    "leaflet-heat.js": f"{_V}/leaflet.heat-0.2.0/leaflet-heat.js",
    # map controls (folium.plugins Fullscreen, MeasureControl, MiniMap, Draw at the versions they link)
    "Control.FullScreen.min.js": f"{_V}/leaflet.fullscreen-3.0.0/Control.FullScreen.js",
    "Control.FullScreen.css": f"{_V}/leaflet.fullscreen-3.0.0/Control.FullScreen.css",
    "leaflet-measure.min.js": f"{_V}/leaflet-measure-2.1.7/leaflet-measure.min.js",
    "leaflet-measure.min.css": f"{_V}/leaflet-measure-2.1.7/leaflet-measure.css",
    "Control.MiniMap.js": f"{_V}/leaflet-minimap-3.6.1/Control.MiniMap.min.js",
    "Control.MiniMap.css": f"{_V}/leaflet-minimap-3.6.1/Control.MiniMap.min.css",
    "leaflet.draw.js": f"{_V}/leaflet-draw-1.0.2/leaflet.draw.js",
    "leaflet.draw.css": f"{_V}/leaflet-draw-1.0.2/leaflet.draw.css",
}
#: icon fonts folium links for icon markers; HarmMap draws no icons, so these links are removed
DROPPED = ("bootstrap-glyphicons.css", "all.min.css", "leaflet.awesome.rotate.min.css")


def local_url(url: str, base: str = STATIC_URL) -> str | None:
    """The local URL serving the same file as the CDN ``url``; None to drop it; ``url`` if unknown.

    Example
    -------
    >>> local_url("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    '/app/static/vendor/leaflet-1.9.3/leaflet.js'
    """
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if name in LOCAL:
        return f"{base.rstrip('/')}/{LOCAL[name]}"
    if name in DROPPED:
        return None
    return url


def _walk(el):
    yield el
    for child in getattr(el, "_children", {}).values():
        yield from _walk(child)


def localize(m: folium.Map, base: str = STATIC_URL) -> folium.Map:
    """Point every JS/CSS link of ``m`` and its children at the local copies (in place; returns ``m``).

    Each element gets its own link lists (folium's are class attributes shared by every map).
    Call it after the last layer is added. A link to a file not shipped under ``static/`` is
    left as it is; :func:`asset_links` lets a test find such links.
    """
    for el in _walk(m):
        if not isinstance(el, folium.elements.JSCSSMixin):
            continue
        for attr in ("default_js", "default_css"):
            links = []
            for name, url in getattr(el, attr, []):
                new = local_url(url, base)
                if new is not None:
                    links.append((name, new))
            setattr(el, attr, links)
    return m


def asset_links(m: folium.Map) -> list[str]:
    """Every JS and CSS URL the map would load (what streamlit-folium passes to the browser)."""
    out: list[str] = []
    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            out.extend(url for _, url in getattr(el, attr, []))
    return list(dict.fromkeys(out))
