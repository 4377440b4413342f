"""AppTests of the map page's options: mode and view from the URL, time playback, drawn-area state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import plain

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
