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


# raions (level 2) -------------------------------------------------------------------------------------
def _raions() -> gpd.GeoDataFrame:
    """Four raions, two of them named alike in different oblasts (as real raions are)."""
    return gpd.GeoDataFrame({"admin2": ["Ivanivka", "Ivanivka", "<b>Bold</b>", "Empty"],
                             "admin1": ["Kherson", "Odesa", "Sumy", None]},
                            geometry=[box(30 + i, 50, 31 + i, 51) for i in range(4)], crs=4326)


class _Store:
    """The one store method admin2_counts needs, over a fixed frame."""

    def __init__(self, df):
        self.df = df

    def incidents(self, filters, *, columns=None, limit=None, order="date"):
        return self.df


def test_raion_counts_by_point_in_polygon_and_by_stored_admin2():
    import h3

    pts = [(30.5, 50.5), (30.6, 50.4), (31.5, 50.5), (32.5, 50.5), (40.0, 40.0), (None, None),
           (31.999999, 50.5)]
    df = pd.DataFrame({"admin2": [None, None, None, None, None, None, None],
                       "admin1": [None] * 7,
                       "h3_r8": [h3.str_to_int(h3.latlng_to_cell(y, x, 8)) if x else 0 for x, y in pts],
                       "lon": [p[0] for p in pts], "lat": [p[1] for p in pts]})
    # the stored admin2 wins where it names a raion (with its oblast when the name repeats)
    df.loc[len(df)] = ["Ivanivka", "Odesa", 0, 35.0, 55.0]
    df.loc[len(df)] = ["Unknown place", None, 0, 30.2, 50.2]
    from layers.choropleth import admin2_counts

    c = admin2_counts(_Store(df), None, _raions()).set_index("key")["incidents"].to_dict()
    assert c == {0: 3, 1: 3, 2: 1, -1: 2}, c      # 40,40 and the row without coordinates: no raion


def test_raion_choropleth_keys_names_and_legend():
    counts = pd.DataFrame({"key": [0, 1, 2, -1], "incidents": [12, 5, 300, 4]})
    share = pd.DataFrame({"key": [0, 2], "incidents": [6, 30]})
    data = choropleth_data(_raions(), counts, level=2)
    layer = choropleth(data)
    html = _render(layer)
    props = [f["properties"] for f in layer.geojson["features"]]
    assert [p["raion"] for p in props] == [0, 1, 2, 3]                     # what a click filters to
    assert all("admin1" not in p for p in props)                          # not taken for an oblast click
    assert "Ivanivka (Kherson)" in props[0]["t"] and "Ivanivka (Odesa)" in props[1]["t"]
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold" in props[2]["t"]
    assert "click to filter to this raion" in props[0]["t"]
    assert layer.layer_name == "Raions: incidents" and layer.unmatched == 4
    legend = choropleth_legend(layer).html
    assert "Incidents per raion" in legend and "4 incident(s) have no raion" in legend
    assert "Incidents per oblast" not in html
    drawn = {p["c"] for p in props}
    for c in layer.colors:
        assert (c in legend) == (c in drawn)
    s = choropleth(choropleth_data(_raions(), counts, share, level=2), {"value": "share", "label": "Health"})
    assert "Share that hit: Health" in _render(s) and "6 (50.0%)" in s.geojson["features"][0]["properties"]["t"]


def test_real_raions_stay_small():
    """The configured geoBoundaries ADM2 (495 pre-2020 raions and cities): the layer stays well under 1 MB."""
    import json

    from harmmap import gazetteer, paths
    from tests.conftest import need

    src = paths.SHARED_DATASETS / "boundaries" / "geoBoundaries-UKR-ADM2_simplified.geojson"
    need(src.is_file(), f"{src}")
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        mp = pytest.MonkeyPatch()
        mp.setenv("HARMMAP_BOUNDARIES_DIR", d)
        try:
            gazetteer.load_boundaries(src, 2)
            raions = gazetteer.boundaries(2)
        finally:
            mp.undo()
            gazetteer._read_boundaries.cache_clear()
    layer = choropleth(choropleth_data(raions, pd.DataFrame({"key": [0], "incidents": [1]}), level=2),
                       {"tolerance": 0.005})
    assert layer.features == len(raions) == 495
    assert len(json.dumps(layer.geojson)) < 600_000
