"""Map controls: layer control, fullscreen, measure, mini-map, draw; all from static/; the drawn filter area."""

from __future__ import annotations

from harmmap.query import Filters
from layers.assets import STATIC_DIR, asset_links, localize
from layers.basemap import TILES, base_map
from layers.controls import add_controls, filter_area


def test_every_control_loads_from_static():
    m = base_map(tiles="cartodbpositron")
    add_controls(m, tiles="cartodbpositron",
                 outline={"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [30, 50]}})
    localize(m)
    html = m.get_root().render()
    for js in ("L.control.layers", "L.control.fullscreen", "L.Control.Measure", "L.Control.MiniMap",
               "L.Control.Draw"):
        assert js in html, js
    links = asset_links(m)
    for name in ("Control.FullScreen.js", "leaflet-measure.min.js", "Control.MiniMap.min.js", "leaflet.draw.js",
                 "leaflet.draw.css", "leaflet-measure.css", "Control.MiniMap.min.css", "Control.FullScreen.css"):
        assert any(u.endswith(name) for u in links), name
    for url in links:
        assert url.startswith("/app/static/") and (STATIC_DIR / url.removeprefix("/app/static/")).is_file(), url
    # draw offers rectangles and polygons only
    assert '"polyline": false' in html and '"circle": false' in html and '"marker": false' in html


def test_minimap_uses_outline_offline_or_tiles_online():
    m = base_map(tiles="none")
    add_controls(m, tiles="none")
    assert "L.Control.MiniMap" not in m.get_root().render()
    m = base_map(tiles="openstreetmap")
    add_controls(m, tiles="openstreetmap")
    assert TILES["openstreetmap"][0] in m.get_root().render()


def test_satellite_basemap_has_its_attribution():
    html = base_map(tiles="satellite").get_root().render()
    assert "World_Imagery" in html and "Esri" in html


def test_filter_area_outline():
    assert filter_area(Filters()) is None
    assert filter_area(Filters(polygon_wkt="not wkt")) is None
    area = filter_area(Filters(bbox=(30.0, 50.0, 31.0, 51.0)))
    assert area.bounds == (30.0, 50.0, 31.0, 51.0)
    m = base_map(tiles="none")
    area.add_to(m)
    assert '"dashArray": "6 4"' in m.get_root().render() or "dashArray: \"6 4\"" in m.get_root().render()
    poly = filter_area(Filters(polygon_wkt="POLYGON ((30 50, 31 50, 30.5 51, 30 50))"))
    assert poly.bounds == (30.0, 50.0, 31.0, 51.0)


def test_overlay_ticks_are_kept_in_the_url_without_rebuilding_the_map():
    import geopandas as gpd
    from shapely.geometry import box

    from layers.assets import localize
    from layers.basemap import base_map
    from layers.controls import OverlayState, add_controls
    from layers.outlines import outlines

    m = base_map(tiles="none")
    outlines(gpd.GeoDataFrame({"admin1": ["Kyiv"]}, geometry=[box(30, 50, 31, 51)], crs=4326)).add_to(m)
    add_controls(m)
    states = [c for c in m._children.values() if isinstance(c, OverlayState)]
    assert len(states) == 1 and states[0].keys == {"Oblast outlines": "outlines"}
    html = localize(m).get_root().render()
    assert "window.parent.location.search" in html and '"hm-overlays"' in html
    assert html.index("L.control.layers(") < html.index("hm-overlays")     # after the control it reads
