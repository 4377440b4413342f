"""harmmap.analysis.regions: category mix across oblasts, similarity, period vs period."""

import numpy as np
import pandas as pd
import pytest

from harmmap.analysis import compare, period_vs_period, similarity
from harmmap.analysis.synth import null_incidents


def test_planted_mix_difference_found():
    df = null_incidents(4000, seed=11, oblasts=8)
    extra = pd.DataFrame({"admin1": "Kharkiv", "categories": [["energy"]] * 150,
                          "date": pd.Timestamp("2022-06-01")})
    c = compare(pd.concat([df, extra], ignore_index=True))
    assert c.p < 1e-6 and c.p_method == "asymptotic chi-square"
    top = c.findings[0]
    assert top.filters.admin1 == ("Kharkiv",) and top.filters.categories == ("energy",)
    assert np.allclose(c.shares.sum(axis=1), 1.0)
    assert c.similarity.loc["Kharkiv", "Kharkiv"] == pytest.approx(1.0)


def test_no_pattern_mostly_not_significant():
    ps = [compare(null_incidents(800, seed=400 + s, oblasts=6)).p for s in range(30)]
    assert np.mean(np.array(ps) < 0.05) <= 0.15


def test_small_expected_counts_switch_to_monte_carlo():
    df = null_incidents(60, seed=12, oblasts=10)
    c = compare(df, simulations=500)
    assert c.p_method.startswith("Monte Carlo") and "below 5" in c.note
    assert 0 < c.p <= 1


def test_similarity_cosine_and_bad_metric():
    s = pd.DataFrame([[0.5, 0.5], [1.0, 0.0]], index=["a", "b"], columns=["x", "y"])
    assert similarity(s, "cosine").loc["a", "b"] == pytest.approx(np.sqrt(0.5))
    with pytest.raises(ValueError):
        similarity(s, "euclid")


def test_period_vs_period_rate_ratio_and_ci():
    df = null_incidents(3000, seed=13, days=120)
    extra = pd.DataFrame({"date": pd.Timestamp("2022-06-20"), "categories": [["health"]] * 80, "admin1": "Kyiv"})
    t, f = period_vs_period(pd.concat([df, extra]), ("2022-04-01", "2022-05-31"), ("2022-06-01", "2022-06-30"))
    h = t.set_index("key").loc["health"]
    assert h.rate_ratio > 1.5 and h.ci_low > 1 and h.q < 0.01
    assert f[0].numbers["key"] == "health" and f[0].filters.categories == ("health",)
    assert f[0].filters.date_from.isoformat() == "2022-06-01"
    others = t[t.key != "health"]
    assert (others.ci_low < 1.3).all()
    with pytest.raises(ValueError, match="ends before"):
        period_vs_period(df, ("2022-05-01", "2022-04-01"), ("2022-06-01", "2022-06-30"))
