"""The map loads its JavaScript and CSS from static/ (offline), and static/ holds what it needs."""

from __future__ import annotations

import tomllib

import folium
import folium.plugins
import pandas as pd

from layers import assets
from layers.assets import STATIC_DIR, asset_links, local_url, localize
from layers.incidents import clusters


def _map_with_everything() -> folium.Map:
    m = folium.Map()
    df = pd.DataFrame({"lat": [50.0], "lon": [30.0], "categories": [["energy"]],
                       "date": pd.to_datetime(["2022-10-10"]), "location": ["Kyiv"], "incident_id": ["x:1"]})
    clusters(df).add_to(m)
    folium.plugins.HeatMap([[50.0, 30.0]]).add_to(m)
    folium.plugins.MarkerCluster().add_to(m)
    return localize(m)


def test_every_link_is_local_and_the_file_exists():
    m = _map_with_everything()
    links = asset_links(m)
    assert links, "the map should load Leaflet"
    for url in links:
        assert url.startswith("/app/static/"), url
        assert (STATIC_DIR / url.removeprefix("/app/static/")).is_file(), url
    rendered = m.get_root().render()
    assert "cdn.jsdelivr.net" not in rendered and "cdnjs.cloudflare.com" not in rendered


def test_localize_does_not_touch_folium_class_defaults():
    localize(folium.Map())
    assert folium.Map.default_js[0][1].startswith("https://")


def test_unknown_links_are_kept_and_icon_fonts_dropped():
    assert local_url("https://example.org/other.js") == "https://example.org/other.js"
    assert local_url("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css") is None


def test_static_is_small_and_licensed():
    total = sum(p.stat().st_size for p in STATIC_DIR.rglob("*") if p.is_file())
    assert total < 1_000_000
    for folder in {p.split("/")[1] for p in assets.LOCAL.values()}:
        d = STATIC_DIR / "vendor" / folder
        assert any(f.name.upper().startswith(("LICENSE", "MIT-LICENCE")) for f in d.iterdir()), folder


def test_static_serving_is_enabled():
    cfg = tomllib.loads((STATIC_DIR.parent / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["enableStaticServing"] is True
