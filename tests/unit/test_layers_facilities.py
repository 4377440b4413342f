"""Facilities layer: hidden by default, capped, clipped to the view, escaped names, under the incidents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layers.basemap import base_map
from layers.facilities import OUTLINE, facilities, facility_legend


def _table(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"lon": rng.uniform(23, 40, n), "lat": rng.uniform(45, 52, n),
                         "category": rng.choice(["health", "energy", "education"], n),
                         "name": [f"<img src=x onerror=alert({i})>" for i in range(n)]})


def test_hidden_by_default_escaped_and_grey_outlined():
    layer = facilities(_table(20))
    m = base_map(tiles="none")
    layer.add_to(m)
    html = m.get_root().render()
    assert layer.drawn == 20 and layer.show is False
    assert "<img src=x" not in html and "onerror=alert(3)" in html.replace("\\u003d", "=")
    assert "&lt;img" in html.replace("\\u0026", "&")
    assert OUTLINE in html and 'createPane("hmFacilities")' in html
    assert "g.addTo(map)" not in html                 # not drawn until ticked in the layer control
    assert "known facilities" in facility_legend(layer)


def test_capped_and_clipped_to_the_view():
    t = _table(10_000)
    layer = facilities(t, {"max_points": 500})
    assert layer.drawn == 500 and layer.available == 10_000
    bbox = (30, 48, 32, 50)
    inside = int((t["lon"].between(30, 32) & t["lat"].between(48, 50)).sum())
    layer = facilities(t, {"bbox": bbox})
    assert layer.available == inside == layer.drawn
    assert all(30 <= r[1] <= 32 and 48 <= r[0] <= 50 for r in layer.payload["rows"])
    assert "(of 10,000 in view)" in facility_legend(facilities(t, {"max_points": 10}))


def test_shown_when_asked_and_bad_input_refused():
    m = base_map(tiles="none")
    facilities(_table(3), {"show": True}).add_to(m)
    assert "g.addTo(map)" in m.get_root().render()
    with pytest.raises(ValueError):
        facilities(pd.DataFrame({"lon": [1.0]}))
