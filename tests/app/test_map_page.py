"""AppTests of the map page's options: mode and view from the URL, time playback, drawn-area state."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import plain
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")


def captions(at) -> str:
    return plain("\n".join(c.value for c in at.caption))   # data text is markdown-escaped


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_mode_and_view_come_from_the_url(store_env):
    at = AppTest.from_file(ENTRY, default_timeout=180)
    at.query_params.update({"mode": "heat", "weight": "fatalities", "view": "49.99,36.23,9", "basemap": "none"})
    run(at)
    assert "as heat" in captions(at) and "killed (reported)" in captions(at)
    assert at.selectbox(key="map_mode").value == "heat"
    assert at.selectbox(key="map_tiles").value == "none"
    assert at.query_params["view"] == ["49.99,36.23,9"] or at.query_params["view"] == "49.99,36.23,9"


def test_bad_url_values_are_ignored(store_env):
    at = AppTest.from_file(ENTRY, default_timeout=180)
    at.query_params.update({"mode": "<script>", "basemap": "evil", "view": "1,2"})
    run(at)
    assert at.selectbox(key="map_mode").value == "auto"
    assert "hexagons" in captions(at)


def test_time_playback_shows_one_week_then_cumulative(store_env):
    at = run(AppTest.from_file(ENTRY, default_timeout=180))
    at.toggle(key="map_play_on").set_value(True)
    run(at)
    at.select_slider(key="map_play_week").set_value(dt.date(2022, 11, 28))     # a Monday
    run(at)
    title = plain("\n".join(m.value for m in at.markdown))
    assert "28 Nov 2022 to 4 Dec 2022" in title
    at.toggle(key="map_play_cum").set_value(True)
    run(at)
    assert "24 Feb 2022" in plain("\n".join(m.value for m in at.markdown))


@pytest.fixture(scope="module")
def raion_env(tmp_path_factory):
    """Oblast and raion boundaries (geoBoundaries, from ../shared/datasets) configured for this module."""
    from harmmap import gazetteer, paths

    src = paths.SHARED_DATASETS / "boundaries"
    need((src / "geoBoundaries-UKR-ADM2_simplified.geojson").is_file(), f"{src} (geoBoundaries ADM1/ADM2)")
    mp = pytest.MonkeyPatch()
    mp.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path_factory.mktemp("bounds")))
    gazetteer.load_boundaries(src / "geoBoundaries-UKR-ADM1_simplified.geojson", 1)
    gazetteer.load_boundaries(src / "geoBoundaries-UKR-ADM2_simplified.geojson", 2)
    yield
    mp.undo()
    gazetteer._read_boundaries.cache_clear()


def test_raion_choropleth_when_raion_boundaries_are_configured(store_env, raion_env):
    at = AppTest.from_file(ENTRY, default_timeout=240)
    at.query_params.update({"mode": "raions", "share": "health"})
    run(at)
    assert "raions" in at.selectbox(key="map_mode").options or "Raions (choropleth)" in \
        at.selectbox(key="map_mode").options
    assert at.selectbox(key="map_mode").value == "raions"
    cap = captions(at)
    assert re.search(r"[\d,]+ incidents in [\d,]+ raions · share that hit Health", cap), cap
    # the level is a choice: back to oblasts, the URL follows
    at.selectbox(key="map_mode").set_value("oblasts")
    run(at)
    assert re.search(r"in [\d,]+ oblasts", captions(at)) and at.query_params["mode"] in ("oblasts", ["oblasts"])


def test_a_raion_filter_is_named(store_env, raion_env):
    from harmmap import gazetteer

    raions = gazetteer.boundaries(2)
    i = int((raions["admin2"] == "Kharkivskyi").to_numpy().argmax()) if (raions["admin2"] == "Kharkivskyi").any() \
        else 0
    at = AppTest.from_file(ENTRY, default_timeout=240)
    at.query_params.update({"mode": "raions", "poly": raions.geometry.iloc[i].wkt})
    run(at)
    assert f"within raion {raions['admin2'].iloc[i]}" in captions(at)
    assert any(b.label == "Clear raion" for b in at.button)


def test_no_raion_mode_without_raion_boundaries(store_env, tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path))
    at = AppTest.from_file(ENTRY, default_timeout=180)
    at.query_params.update({"mode": "raions"})
    run(at)
    assert "raions" not in at.selectbox(key="map_mode").options
    assert at.selectbox(key="map_mode").value == "auto"


def test_layer_ticks_in_the_url_are_kept(store_env):
    at = AppTest.from_file(ENTRY, default_timeout=180)
    at.query_params.update({"show": "facilities", "hide": "outlines,<b>"})
    run(at)
    qp = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert qp["show"] == "facilities" and qp["hide"] == "outlines"        # unknown keys dropped
