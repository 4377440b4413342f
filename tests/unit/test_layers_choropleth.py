"""Oblast choropleth: counts and shares per oblast, escaped tooltips, clickable names, legend = classes drawn."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from layers.basemap import base_map
from layers.choropleth import NONE_COLOR, choropleth, choropleth_data, choropleth_legend


def _oblasts() -> gpd.GeoDataFrame:
    names = ["Kyiv", "Sumy", "<script>alert(1)</script>", "Lviv"]
    return gpd.GeoDataFrame({"admin1": names}, geometry=[box(30 + i, 50, 31 + i, 51) for i in range(4)], crs=4326)


def _render(layer) -> str:
    m = base_map(tiles="none")
    layer.add_to(m)
    choropleth_legend(layer).add_to(m)
    return m.get_root().render()


def test_counts_per_oblast_with_legend_of_drawn_classes():
    counts = pd.DataFrame({"key": ["Kyiv", "Sumy", "<script>alert(1)</script>", "Nowhere"],
                           "incidents": [400, 3, 40, 7]})
    data = choropleth_data(_oblasts(), counts)
    layer = choropleth(data)
    html = _render(layer)
    assert layer.features == 4 and layer.incidents == 443 and layer.unmatched == 7
    assert "<script>alert(1)</script>" not in html                       # escaped in the tooltip
    assert "&lt;script&gt;" in html.replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
    props = [f["properties"] for f in layer.geojson["features"]]
    assert [p["admin1"] for p in props][:2] == ["Kyiv", "Sumy"]         # what a click filters to
    lviv = next(p for p in props if p["admin1"] == "Lviv")
    assert lviv["c"] == NONE_COLOR
    legend = choropleth_legend(layer).html
    drawn = {p["c"] for p in props}
    for i, c in enumerate(layer.colors):                                  # a class is listed iff drawn
        assert (c in legend) == (c in drawn), (i, c)
    assert "7 incident(s) have no oblast" in legend


def test_share_of_a_category():
    counts = pd.DataFrame({"key": ["Kyiv", "Sumy"], "incidents": [200, 10]})
    share = pd.DataFrame({"key": ["Kyiv", "Sumy"], "incidents": [20, 9]})
    data = choropleth_data(_oblasts(), counts, share)
    assert data.set_index("admin1").loc["Kyiv", "share"] == pytest.approx(0.1)
    layer = choropleth(data, {"value": "share", "label": "Health"})
    html = _render(layer)
    assert "Share that hit: Health" in html and "20 (10.0%)" in html and "9 (90.0%)" in html
    assert "no incidents" in choropleth_legend(layer).html                # Lviv, Odd name: nothing to share


def test_needs_boundaries_and_columns():
    with pytest.raises(ValueError):
        choropleth_data(None, pd.DataFrame({"key": [], "incidents": []}))
    with pytest.raises(ValueError):
        choropleth(_oblasts(), {"value": "incidents"})
