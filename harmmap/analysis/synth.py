"""Synthetic incident tables for tests and benchmarks: no pattern, plus patterns planted on request.

Points are uniform in Ukraine's bounding box, dates are a Poisson process (a constant daily
rate), oblasts and categories are drawn independently of everything else. Nothing here is real.

Example
-------
>>> df = null_incidents(1000, seed=1)
>>> len(df), sorted(df.columns)[:3]
(1000, ['admin1', 'categories', 'date'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harmmap.gazetteer import OBLASTS

__all__ = ["null_incidents", "add_h3", "BBOX"]

BBOX = (22.2, 44.4, 40.1, 52.3)
CATS = ("energy", "water", "gas_heating", "residential", "health", "education", "transport", "commercial")


def null_incidents(n: int, seed: int = 0, start="2022-03-07", days: int = 365, oblasts: int | None = None,
                   categories=CATS, h3: bool = False) -> pd.DataFrame:
    """``n`` incidents with no pattern, in the columns ``store.incidents`` returns (no geometry)."""
    rng = np.random.default_rng(seed)
    names = sorted(OBLASTS)[: oblasts or len(OBLASTS)]
    date = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    mins = rng.integers(0, 24 * 60, n)
    time = pd.array([f"{m // 60:02d}:{m % 60:02d}" for m in mins], dtype="string")
    time[rng.random(n) < 0.5] = pd.NA
    cats = np.asarray(categories, dtype=object)[rng.integers(0, len(categories), n)]
    df = pd.DataFrame({
        "incident_id": pd.array([f"syn:{seed}:{i}" for i in range(n)], dtype="string"),
        "date": date.astype("datetime64[ns]"),
        "time": time,
        "lon": rng.uniform(BBOX[0], BBOX[2], n),
        "lat": rng.uniform(BBOX[1], BBOX[3], n),
        "admin1": pd.array(np.asarray(names, dtype=object)[rng.integers(0, len(names), n)], dtype="string"),
        "categories": [[c] for c in cats],
        "fatalities": pd.array(np.where(rng.random(n) < 0.3, rng.poisson(1.0, n), 0), dtype="Int64"),
        "duplicate_of": pd.array([pd.NA] * n, dtype="string"),
    })
    return add_h3(df) if h3 else df


def add_h3(df: pd.DataFrame, resolutions=(4, 5, 6, 7, 8)) -> pd.DataFrame:
    """Add ``h3_r<res>`` int64 columns from lon/lat (vectorized over unique r8 cells)."""
    import h3 as _h3

    lat = df["lat"].to_numpy(dtype=float)
    lon = df["lon"].to_numpy(dtype=float)
    top = max(resolutions)
    fine = np.fromiter((_h3.str_to_int(_h3.latlng_to_cell(a, o, top)) for a, o in zip(lat, lon, strict=True)),
                       dtype=np.uint64, count=len(df))
    out = df.copy()
    uniq, inv = np.unique(fine, return_inverse=True)
    for r in resolutions:
        if r == top:
            vals = uniq
        else:
            vals = np.fromiter((_h3.str_to_int(_h3.cell_to_parent(_h3.int_to_str(int(c)), r)) for c in uniq),
                               dtype=np.uint64, count=len(uniq))
        out[f"h3_r{r}"] = vals[inv].astype(np.int64)
    return out
