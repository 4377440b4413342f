"""harmmap.analysis.trends and findings: resampling, zero-filling, multi-label counting."""

import numpy as np
import pandas as pd
import pytest

from harmmap.analysis import Finding, bh_qvalues, findings_frame, resample, small_multiples
from harmmap.query import Filters


def _df():
    return pd.DataFrame({
        "incident_id": ["a", "b", "c", "d"],
        "date": pd.to_datetime(["2022-03-01", "2022-03-02", "2022-03-15", "2022-04-02"]),
        "admin1": ["Kharkiv", "Sumy", "Kharkiv", None],
        "categories": [["energy", "water"], ["health"], [], ["energy"]],
        "fatalities": pd.array([2, None, 1, 0], dtype="Int64"),
    })


def test_weekly_zero_filled_and_monday_labelled():
    ts = resample(_df(), freq="W", by=None)
    assert ts["period"].dt.day_of_week.eq(0).all()
    assert ts["period"].diff().dropna().eq(pd.Timedelta(days=7)).all()
    assert ts["value"].sum() == 4
    assert (ts["value"] == 0).any()          # gap weeks present as zeros


def test_group_counts_multilabel_once_per_group():
    ts = resample(_df(), freq="M", by="group")
    util = ts[ts.key == "utilities"].set_index("period")["value"]
    assert util.tolist() == [1, 1]            # energy+water incident counts once for utilities
    cat = resample(_df(), freq="M", by="category")
    assert set(cat.key) == {"energy", "water", "health", "unclassified"}


def test_fatalities_and_reported_and_rolling():
    ts = resample(_df(), freq="M", by=None, value="fatalities", rolling=2)
    assert ts["value"].tolist() == [3, 0]
    assert ts["reported"].tolist() == [2, 1]
    assert ts["rolling"].tolist() == [3.0, 1.5]


def test_admin1_unknown_is_kept_and_range_extends():
    ts = resample(_df(), freq="D", by="admin1", start="2022-02-20", end="2022-04-10")
    assert "(unknown)" in set(ts.key)
    assert ts["period"].min() == pd.Timestamp("2022-02-20")
    assert ts.groupby("key").size().nunique() == 1


def test_aggregate_input_rebinned():
    agg = pd.DataFrame({"period": pd.to_datetime(["2022-03-01", "2022-03-02", "2022-05-01"]),
                        "key": ["health", "health", "health"], "incidents": [2, 3, 1]})
    ts = resample(agg, freq="M", by=None)
    assert ts["value"].tolist() == [5, 0, 1]


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="freq"):
        resample(_df(), freq="Y")
    with pytest.raises(ValueError, match="lacks column"):
        resample(pd.DataFrame({"x": [1]}))


def test_small_multiples_ranked():
    sm = small_multiples(_df(), freq="M", rolling=None)
    first = sm.drop_duplicates("key")
    assert first.iloc[0]["key"] == "Kharkiv" and first.iloc[0]["rank"] == 1
    assert sm["share_of_peak"].max() == 1.0


def test_bh_matches_reference_and_findings_frame():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=50)
    q = bh_qvalues(p)
    # reference: q_(i) = min_{j>=i} p_(j) m / j
    s = np.sort(p)
    ref = np.minimum.accumulate((s * 50 / np.arange(1, 51))[::-1])[::-1]
    assert np.allclose(np.sort(q), np.minimum(ref, 1))
    f = Finding("spike", "t", "m", {"p": 0.01, "q": 0.02}, Filters(admin1=("Kyiv",)))
    fr = findings_frame([f])
    assert fr.loc[0, "filters"] == {"adm1": "Kyiv"} and f.q == 0.02
