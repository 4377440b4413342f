"""Outlines: oblasts plus the country outline, non-interactive."""

from __future__ import annotations

import folium
import geopandas as gpd
from shapely.geometry import box

from layers.outlines import outlines


def test_outlines_render_oblasts_and_country():
    b = gpd.GeoDataFrame({"admin1": ["A", "B"]}, geometry=[box(30, 50, 31, 51), box(31, 50, 32, 51)], crs=4326)
    layer = outlines(b)
    m = folium.Map()
    layer.add_to(m)
    html = "".join(m.get_root().render().split())
    assert layer.features == 2
    assert '"k":"country"' in html and "interactive:false" in html
