"""harmmap.analysis.spikes: a planted spike is found; no-pattern data stays within alpha."""

import numpy as np
import pandas as pd

from harmmap.analysis import detect_spikes, weekly_tests
from harmmap.analysis.synth import null_incidents


def _plant(df, admin1, category, day, n):
    extra = pd.DataFrame({"incident_id": [f"spike{i}" for i in range(n)], "date": pd.Timestamp(day),
                          "lon": 36.2, "lat": 49.9, "admin1": admin1, "categories": [[category]] * n})
    return pd.concat([df, extra], ignore_index=True)


def test_planted_spike_is_found_first_with_exact_filters():
    df = null_incidents(6000, seed=3, days=280, oblasts=10)
    df = _plant(df, "Kharkiv", "energy", "2022-08-10", 25)
    found = detect_spikes(df)
    assert found, "the planted spike was not found"
    top = found[0]
    assert top.filters.admin1 == ("Kharkiv",) and top.filters.categories == ("energy",)
    assert top.filters.date_from.isoformat() == "2022-08-08"      # Monday of that week
    assert top.filters.date_to.isoformat() == "2022-08-14"
    assert top.numbers["observed"] >= 25 and top.q < 0.05 and top.numbers["surge"]
    assert "ACLED surge rule" in top.method and "Benjamini-Hochberg" in top.method


def test_group_series_and_weekly_input():
    df = _plant(null_incidents(4000, seed=4, days=200, oblasts=5), "Kharkiv", "water", "2022-07-01", 30)
    f = detect_spikes(df, by=("admin1", "group"))
    assert f and f[0].numbers["group"] == "utilities"
    assert set(f[0].filters.categories) == {"energy", "water", "gas_heating"}
    # weekly-count input gives the same table as incidents
    wk = (df.assign(week=df.date - pd.to_timedelta(df.date.dt.day_of_week, unit="D"))
          .groupby(["admin1", "week"]).size().rename("incidents").reset_index()
          .rename(columns={"week": "period"}))
    a = weekly_tests(df, by=("admin1",))
    b = weekly_tests(wk, by=("admin1",))
    assert np.allclose(a["p"].to_numpy(), b["p"].to_numpy())


def test_min_count_blocks_tiny_surges():
    days = pd.date_range("2022-03-07", periods=70)
    n = np.zeros(70, dtype=int)
    n[[3, 60]] = [1, 3]           # 3 after a quiet month: ratio is infinite but below min_count
    df = pd.DataFrame({"date": np.repeat(days, n), "admin1": "Sumy", "categories": [["health"]] * int(n.sum())})
    assert detect_spikes(df, require="surge") == []
    assert detect_spikes(df, require="surge", min_count=3)


def test_overdispersed_baseline_uses_negative_binomial():
    counts = [0, 30, 1, 25, 0, 28, 2, 27, 40, 1]
    wk = pd.DataFrame({"period": pd.date_range("2022-01-03", periods=10, freq="W-MON"), "key": "Kyiv",
                       "incidents": counts})
    t = weekly_tests(wk, by=("admin1",))
    assert t.loc[t.week == pd.Timestamp("2022-02-28"), "test"].item() == "negbin"


def test_false_alarm_rate_within_alpha():
    seeds = range(60)
    alarms = 0
    for s in seeds:
        df = null_incidents(1500, seed=100 + s, days=140, oblasts=6, categories=("energy", "health", "water"))
        alarms += bool(detect_spikes(df, alpha=0.05, require="test"))
    # BH under the global null controls the chance of any false finding at alpha
    assert alarms / len(seeds) <= 0.10, alarms
