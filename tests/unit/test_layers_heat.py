"""Heat layer: weighted cell centres from hex counts, bounded payload, local asset, legend matches."""

from __future__ import annotations

import h3
import pandas as pd
import pytest

from layers.assets import asset_links, localize
from layers.basemap import base_map
from layers.heat import MAX_POINTS, heat, heat_data, heat_legend


def _cells(n: int, res: int = 7) -> pd.DataFrame:
    base = h3.latlng_to_cell(49.0, 32.0, res)
    cells = list(h3.grid_disk(base, 60))[:n]
    return pd.DataFrame({"h3": [h3.str_to_int(c) for c in cells], "incidents": list(range(1, n + 1)),
                         "fatalities": [i % 3 for i in range(n)]})


def test_one_point_per_cell_weighted_and_rendered_locally():
    hx = _cells(50)
    layer = heat(hx)
    m = base_map(tiles="none")
    layer.add_to(m)
    heat_legend(layer, 7).add_to(m)
    localize(m)
    html = m.get_root().render()
    assert layer.points == 50 and layer.total == sum(range(1, 51))
    assert "L.heatLayer(" in html and '"max":' in html
    assert all(u.startswith("/app/static/") for u in asset_links(m))
    assert "/app/static/vendor/leaflet.heat-0.2.0/leaflet-heat.js" in asset_links(m)
    assert "Heat: incidents" in html and f"{layer.total:,} incidents in 50 cells" in html


def test_fatality_weight_drops_cells_without_fatalities():
    hx = _cells(30)
    layer = heat(hx, {"weight": "fatalities"})
    assert layer.points == int((hx["fatalities"] > 0).sum())
    assert layer.total == int(hx["fatalities"].sum())
    assert "killed (reported)" in heat_legend(layer).html


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        heat(_cells(3), {"weight": "injuries"})
    with pytest.raises(ValueError):
        heat(pd.DataFrame({"incidents": [1]}))
    bad = _cells(3)
    bad["incidents"] = [-1, 2, 3]
    with pytest.raises(ValueError):
        heat(bad)


def test_heat_data_coarsens_until_it_fits():
    class FakeStore:
        def hex_counts(self, f, res):
            return _cells({7: 500, 6: 200, 5: 40, 4: 10}[res], res)

    hx, res = heat_data(FakeStore(), None, max_points=300)
    assert res == 6 and len(hx) == 200
    hx, res = heat_data(FakeStore(), None, max_points=5)
    assert res == 4 and len(hx) == 5          # never more than asked for
    assert MAX_POINTS * 30 < 2_000_000        # ~25 bytes a point: the cap keeps a render under 2 MB
