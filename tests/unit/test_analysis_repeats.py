"""harmmap.analysis.repeats: a repeatedly struck site is found; cities are not chained into one site."""

import numpy as np
import pandas as pd

from harmmap.analysis import detect_repeats, repeat_sites
from harmmap.analysis.repeats import project_m
from harmmap.analysis.synth import add_h3, null_incidents


def _site(n, lon=36.2304, lat=49.9935, start="2022-05-02", every=5, jitter_m=40, seed=0, times=None):
    rng = np.random.default_rng(seed)
    d = pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * every, unit="D")
    return pd.DataFrame({
        "incident_id": [f"site{i}" for i in range(n)], "date": d,
        "time": times if times is not None else [pd.NA] * n,
        "lon": lon + rng.uniform(-1, 1, n) * jitter_m / 72_000, "lat": lat + rng.uniform(-1, 1, n) * jitter_m / 111_000,
        "admin1": "Kharkiv", "categories": [["energy"]] * n})


def test_planted_repeated_site_found_with_its_ids():
    bg = null_incidents(20000, seed=7)
    df = add_h3(pd.concat([bg, _site(6)], ignore_index=True))
    found = detect_repeats(df, distance_m=150, within_days=14)
    assert found
    top = found[0]
    assert set(top.filters.incident_ids) == {f"site{i}" for i in range(6)}
    assert top.numbers["strikes"] == 6 and top.numbers["chain"] == 6
    assert top.numbers["min_interval_days"] == 5 and top.numbers["q"] < 1e-6
    assert top.filters.date_from.isoformat() == "2022-05-02"


def test_chain_breaks_on_long_gaps():
    s = _site(4, every=40)
    assert detect_repeats(s, within_days=30) == []
    assert detect_repeats(s, within_days=None)[0].numbers["strikes"] == 4


def test_within_hours_uses_known_times_only():
    s = _site(3, every=0, times=["10:00", "10:45", pd.NA])
    t = repeat_sites(s, within_hours=2)
    assert t.loc[0, "within_hours"] == 1
    assert detect_repeats(s, within_hours=2)[0].numbers["within_hours"] == 1
    assert detect_repeats(s.assign(time=pd.NA), within_hours=2) == []


def test_dense_line_is_not_chained_into_one_site():
    # 50 points 100 m apart along a street: single linkage would make one 5 km "site"
    n = 50
    x0, y0 = project_m([36.23], [49.99])
    from pyproj import Transformer

    inv = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)
    lon, lat = inv.transform(x0[0] + np.arange(n) * 100.0, np.full(n, y0[0]))
    df = pd.DataFrame({"incident_id": [f"p{i}" for i in range(n)], "lon": lon, "lat": lat,
                       "date": pd.Timestamp("2022-05-01")})
    sites = repeat_sites(df, distance_m=150)
    assert sites["strikes"].max() <= 3


def test_town_precision_points_are_left_out():
    s = _site(5).assign(geo_precision="town")
    assert repeat_sites(s).empty
    assert not repeat_sites(s, exact_only=False).empty


def test_uniform_points_give_few_sites_and_expected_matches():
    df = null_incidents(50000, seed=8, h3=True)
    sites = repeat_sites(df, distance_m=150)
    # pairs expected by chance: n^2/2 * pi r^2 / area; every site here should be a pair or so
    assert sites["strikes"].max() <= 3
    assert (sites["q"] > 0.05).all()
