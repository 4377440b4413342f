"""Hexagons: shaded by count with a legend of the same classes; tooltips escaped."""

from __future__ import annotations

import re

import folium
import h3
import pandas as pd

from layers.hexagons import SEQUENTIAL, hex_resolution, hexagons, nice_bins
from layers.legend import hexagon_legend


def js_unescape(s: str) -> str:
    """Undo the \\uXXXX escapes of JSON embedded in the page (tojson escapes <, >, &, ' and non-ASCII)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), s)


def hexframe():
    cells = [h3.str_to_int(h3.latlng_to_cell(50.0 + i * 0.3, 30.0, 5)) for i in range(4)]
    return pd.DataFrame({"h3": cells, "incidents": [1, 10, 100, 1000], "fatalities": [0, 1, None, 5],
                         "top_category": ["energy", "health", "<b>x</b>", None]})


def test_hexagons_render_with_sequential_colours_and_escaped_tooltips():
    layer = hexagons(hexframe())
    m = folium.Map()
    layer.add_to(m)
    html = js_unescape(m.get_root().render())
    assert layer.cells == 4 and layer.incidents == 1111
    assert SEQUENTIAL[0] in html and layer.colors[-1] in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "1,000 incidents" in html


def test_bins_cover_every_count():
    counts = hexframe()["incidents"]
    bins = nice_bins(counts)
    assert bins[0][0] == 1 and bins[-1][1] == 1000
    assert all(any(lo <= c <= hi for lo, hi in bins) for c in counts)


def test_legend_lists_the_classes():
    layer = hexagons(hexframe())
    leg = hexagon_legend(layer.bins, layer.colors, resolution=5)
    m = folium.Map()
    leg.add_to(m)
    html = js_unescape(m.get_root().render())
    assert "Incidents per hexagon" in html and "H3 resolution 5" in html


def test_resolution_follows_zoom():
    assert [hex_resolution(z) for z in (4, 6, 8, 10, 12)] == [4, 5, 6, 7, 8]
