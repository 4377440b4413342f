"""harmmap.analysis.waves: a planted multi-oblast day is found; no-pattern data stays within alpha."""

import numpy as np
import pandas as pd
import pytest

from harmmap.analysis import daily_regions, detect_waves
from harmmap.analysis.synth import null_incidents
from harmmap.analysis.waves import poisson_binomial_sf


def test_poisson_binomial_matches_binomial():
    from scipy import stats

    p = np.full(10, 0.2)
    for k in range(12):
        assert poisson_binomial_sf(p, np.array([k]))[0] == pytest.approx(stats.binom.sf(k - 1, 10, 0.2))


def test_planted_wave_found_with_its_incidents():
    df = null_incidents(1000, seed=5, days=200)
    day = pd.Timestamp("2022-06-15")
    hit = ["Kyiv", "Lviv", "Odesa", "Kharkiv", "Poltava", "Vinnytsia", "Rivne", "Sumy", "Zhytomyr", "Volyn"]
    wave = pd.DataFrame({"incident_id": [f"w{i}" for i in range(len(hit))], "date": day, "lon": 30.0,
                         "lat": 50.0, "admin1": hit, "categories": [["energy"]] * len(hit)})
    df = pd.concat([df, wave], ignore_index=True)
    found = detect_waves(df, group="utilities", min_regions=5)
    assert found
    top = found[0]
    assert top.filters.date_from == top.filters.date_to == day.date()
    assert set(hit) <= set(top.filters.admin1)
    assert set(top.filters.categories) == {"energy", "water", "gas_heating"}
    assert top.numbers["regions"] >= len(hit) and top.q < 0.05
    # the filters select exactly the wave's incidents in the frame
    sel = df[(df.date == day) & df.admin1.isin(top.filters.admin1)
             & df.categories.map(lambda c: bool(set(c) & set(top.filters.categories)))]
    assert len(sel) == top.numbers["incidents"]


def test_single_category_and_trailing_baseline():
    df = null_incidents(2000, seed=6, days=150)
    day = pd.Timestamp("2022-05-01")
    obl = ["Kyiv", "Lviv", "Odesa", "Kharkiv", "Poltava", "Vinnytsia", "Rivne", "Sumy"]
    df = pd.concat([df, pd.DataFrame({"date": day, "admin1": obl, "categories": [["water"]] * 8,
                                      "incident_id": list("abcdefgh"), "lon": 30.0, "lat": 50.0})])
    f = detect_waves(df, group="water", min_regions=4, baseline_days=28)
    assert f and f[0].filters.categories == ("water",) and f[0].filters.date_from == day.date()


def test_unknown_group_is_a_clear_error():
    with pytest.raises(ValueError, match="neither a taxonomy group"):
        daily_regions(null_incidents(10), group="power-stations")


def test_false_alarm_rate_within_alpha():
    alarms = 0
    seeds = range(60)
    for s in seeds:
        df = null_incidents(1200, seed=200 + s, days=120)
        alarms += bool(detect_waves(df, group="utilities", min_regions=2))
    assert alarms / len(seeds) <= 0.10, alarms
