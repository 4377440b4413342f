"""harmmap.analysis.hotspots: Gi* agrees with esda, a planted hot spot is found, EHSA classes, MK."""

import h3
import numpy as np
import pandas as pd
from scipy import stats

from harmmap.analysis import detect_hotspots, emerging_findings, emerging_hotspots, getis_ord, mann_kendall
from harmmap.analysis.hotspots import _ehsa, area_cells, gi_star_z, study_area
from harmmap.analysis.synth import BBOX, add_h3, null_incidents


def _hot(n=300, lon=36.23, lat=49.99, seed=0, **kw):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"incident_id": [f"h{i}" for i in range(n)], "lon": rng.normal(lon, 0.04, n),
                         "lat": rng.normal(lat, 0.03, n), "admin1": "Kharkiv", "categories": [["residential"]] * n,
                         "date": pd.Timestamp("2022-06-01"), **kw})


def test_own_gi_star_equals_esda():
    from esda import G_Local
    from libpysal.weights import WSP

    df = add_h3(pd.concat([null_incidents(3000, seed=1), _hot()], ignore_index=True))
    counts = df.groupby("h3_r5").size()
    cells, w = study_area(counts.index.to_numpy())
    y = counts.reindex(cells, fill_value=0).to_numpy(float)
    g = G_Local(y, WSP(w).to_W(silence_warnings=True), transform="B", star=True, permutations=0)
    assert np.allclose(gi_star_z(y, w)[:, 0], g.Zs)


def test_planted_hot_spot_found_and_filters_are_its_cells():
    df = add_h3(pd.concat([null_incidents(4000, seed=2), _hot()], ignore_index=True))
    found = detect_hotspots(df, resolution=5)
    assert len(found) == 1
    f = found[0]
    cells = {h3.str_to_int(c) for c in f.filters.h3_cells}
    assert all(h3.get_resolution(c) == 5 for c in f.filters.h3_cells)
    inside = df[df["h3_r5"].isin({c - (1 << 64) if c >= 1 << 63 else c for c in cells})]
    assert inside["incident_id"].str.startswith("h").sum() >= 250
    assert f.numbers["incidents"] == len(inside)
    assert "Benjamini-Hochberg" in f.method


def test_hex_count_input_and_classes():
    df = add_h3(pd.concat([null_incidents(3000, seed=3), _hot()], ignore_index=True))
    hexc = df.groupby("h3_r6").size().rename("incidents").reset_index().rename(columns={"h3_r6": "h3"})
    a = getis_ord(df, resolution=6)
    b = getis_ord(hexc, resolution=6)
    assert np.allclose(a["z"].to_numpy(), b["z"].to_numpy(), equal_nan=True)
    assert set(a["class"]) <= {"not significant"} | {f"{k} spot {c}" for k in ("hot", "cold")
                                                     for c in ("90%", "95%", "99%")}
    assert (a.loc[a.gi_bin == 3, "q"] < 0.01).all()
    # empty neighbour cells are in the study area as zeros
    assert (a["incidents"] == 0).any()


def test_permutation_p_values_agree_on_the_hot_spot():
    rng = np.random.default_rng(4)
    bg = pd.DataFrame({"lon": rng.uniform(33, 38, 2000), "lat": rng.uniform(48, 51, 2000)})
    # conditional randomization keeps the cell's own count fixed: the hot spot must span cells
    hot = pd.DataFrame({"lon": rng.normal(35.5, 0.3, 600), "lat": rng.normal(49.5, 0.2, 600)})
    df = add_h3(pd.concat([bg, hot], ignore_index=True))
    area = area_cells((33, 48, 38, 51), 4)
    f = detect_hotspots(df, resolution=4, permutations=4999, area=area)
    assert len(f) == 1 and "4999 permutations" in f[0].method
    assert f[0].numbers["incidents"] >= 500


def test_false_alarm_rate_within_alpha():
    # ~8 incidents per cell: the normal approximation of Gi* is anti-conservative with sparser
    # counts (documented; use permutations there). The study area is the generating box, so
    # that structural zeros beyond it do not make the interior look hot.
    area = area_cells(BBOX, 4)
    seeds = range(40)
    alarms = 0
    for s in seeds:
        df = null_incidents(6000, seed=300 + s, h3=True)
        alarms += bool(detect_hotspots(df, resolution=4, area=area))
    assert alarms / len(seeds) <= 0.10, alarms


def test_ring_of_structural_zeros_is_what_area_fixes():
    df = null_incidents(6000, seed=301, h3=True)
    g_ring = getis_ord(df, resolution=4)
    g_area = getis_ord(df, resolution=4, area=area_cells(BBOX, 4))
    assert len(g_ring) > len(g_area)


def test_mann_kendall_matches_scipy_kendall_tau_without_ties():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 15)) + np.linspace(0, 1, 15) * rng.uniform(-2, 2, (20, 1))
    mk = mann_kendall(X)
    for i in range(20):
        tau = stats.kendalltau(np.arange(15), X[i]).statistic
        assert mk.loc[i, "tau"] == np.float64(mk.loc[i, "tau"]) and abs(mk.loc[i, "tau"] - tau) < 1e-12
    ties = mann_kendall(np.array([[1, 1, 2, 2, 3, 3, 3, 4, 4, 5.0]]))
    assert ties.loc[0, "p"] < 0.01


def test_ehsa_rules():
    T = 12
    H = np.zeros((9, T), bool)
    C = np.zeros((9, T), bool)
    H[0, -1] = True                       # new
    H[1, -3:] = True                      # consecutive
    H[2, :] = True                        # intensifying (trend +)
    H[3, :] = True                        # persistent
    H[4, :] = True                        # diminishing (trend -)
    H[5, [2, 6, -1]] = True               # sporadic
    H[6, [3, -1]] = True
    C[6, 5] = True                        # oscillating
    H[7, :-1] = True                      # historical
    C[8, -2:] = True                      # consecutive cold spot
    trend = np.array([0, 0, 1, 0, -1, 0, 0, 0, 0.0])
    got = _ehsa(H, C, trend).tolist()
    assert got == ["new hot spot", "consecutive hot spot", "intensifying hot spot", "persistent hot spot",
                   "diminishing hot spot", "sporadic hot spot", "oscillating hot spot", "historical hot spot",
                   "consecutive cold spot"]


def test_emerging_planted_new_hot_spot():
    rng = np.random.default_rng(5)
    n = 4000
    bg = pd.DataFrame({"date": pd.Timestamp("2022-03-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
                       "lon": rng.uniform(30, 34, n), "lat": rng.uniform(48, 51, n)})
    late = pd.DataFrame({"date": pd.Timestamp("2023-02-05") + pd.to_timedelta(rng.integers(0, 20, 150), unit="D"),
                         "lon": rng.normal(32.0, 0.02, 150), "lat": rng.normal(49.5, 0.015, 150)})
    e = emerging_hotspots(add_h3(pd.concat([bg, late], ignore_index=True)), resolution=5)
    pats = set(e.pattern) - {"no pattern"}
    assert pats == {"new hot spot"}
    f = emerging_findings(e)
    assert f[0].numbers["pattern"] == "new hot spot" and "Mann-Kendall" in f[0].method
    assert len(e.attrs["steps"]) == 12
