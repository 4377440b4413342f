"""Trends page through the entrypoint: stacked chart with rolling mean, notable-date annotations, a time-range
selection, per-oblast small multiples; a selected range filters the dashboard (ui.sidebar.set_date_range)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from ui import sidebar, trends

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")
PAGE = str(ROOT / "app_pages" / "trends.py")


def trends_page(**state) -> AppTest:
    """The Trends page, reached through the entrypoint (AppTest keeps only the first run of an st.navigation
    app reliable, so state is set before it)."""
    at = AppTest.from_file(ENTRY, default_timeout=180)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def datasets(chart) -> list[pd.DataFrame]:
    return [pa.ipc.open_stream(ds.data.data).read_pandas() for ds in chart.proto.datasets]


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_chart_has_rolling_mean_notable_dates_and_a_time_selection(store_env):
    at = trends_page()
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    main = charts[0]
    spec = json.loads(main.proto.spec)
    params = spec.get("params", []) + [p for layer in spec["layer"] for p in layer.get("params", [])]
    assert [(p["name"], p["select"]["type"]) for p in params] == [(trends.SELECTION, "interval")]
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks[:2] == ["bar", "line"] and "rule" in marks and "text" in marks
    frames = datasets(main)
    notes = next(f for f in frames if "label" in f.columns)
    labels = set(notes["label"])
    assert {"Full-scale invasion begins", "Kakhovka dam destroyed", "First mass missile strike on the power grid"} <= labels
    total = next(f for f in frames if set(f["key"].astype(str)) == {"all"})
    assert total["rolling"].notna().all()                     # the 4-week rolling mean of the total
    t = texts(at)
    assert "incidents per week" in t and "25,000 incidents" in t and "Drag across the chart" in t


def test_small_multiples_show_the_top_oblasts_with_sumy_spike(store_env):
    at = trends_page()
    sm = at.get("vega_lite_chart")[1]
    spec = json.loads(sm.proto.spec)
    assert spec["facet"]["field"] == "key" and spec["resolve"]["scale"]["y"] == "independent"
    order = spec["facet"]["sort"]
    assert len(order) == 8 and order[0] == "Donetsk"
    assert "in the 8 oblasts with the most" in texts(at)
    df = datasets(sm)[0]
    sumy = df[df["key"] == "Sumy"].set_index("period")["value"]
    # the demo's planted Sumy spike (March 2024) is the panel's peak
    assert sumy.idxmax().strftime("%Y-%m") == "2024-03"


def test_a_selected_time_range_filters_the_whole_dashboard(store_env):
    # what the chart's on_select callback does: ui.trends.apply_selection -> ui.sidebar.set_date_range
    at = AppTest.from_file(ENTRY, default_timeout=180)
    at.session_state[sidebar._PENDING_DATES] = trends.snap(dt.date(2022, 10, 5), dt.date(2022, 12, 20), "week")
    at.run()
    assert at.sidebar.date_input(key=sidebar.KEYS["dates"]).value == (dt.date(2022, 10, 3), dt.date(2022, 12, 25))
    assert at.query_params.get("from") in ("2022-10-03", ["2022-10-03"])
    at.switch_page(PAGE).run()
    assert "3 Oct 2022 to 25 Dec 2022" in texts(at)


def test_fatalities_per_month_stacked_by_category(store_env):
    at = trends_page(trend_value="fatalities", trend_freq="month", trend_by="category")
    t = texts(at)
    assert "fatalities per month" in t and "Fatalities not reported count as 0" in t
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "Energy (electricity)" in spec["layer"][0]["encoding"]["color"]["scale"]["domain"]


def test_selection_range_reads_the_chart_state():
    ms = lambda d: pd.Timestamp(d).value // 1_000_000  # noqa: E731
    state = {"selection": {trends.SELECTION: {"period": [ms("2023-03-05"), ms("2023-03-01")]}}}
    assert trends.selection_range(state) == (dt.date(2023, 3, 1), dt.date(2023, 3, 5))
    assert trends.selection_range({"selection": {trends.SELECTION: {}}}) is None
    assert trends.snap(dt.date(2023, 3, 5), dt.date(2023, 4, 2), "month") == (dt.date(2023, 3, 1), dt.date(2023, 4, 30))
    assert trends.notable_dates("2023-01-01", "2023-12-31")["label"].tolist() == ["Kakhovka dam destroyed"]
