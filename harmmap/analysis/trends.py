"""Time series of incidents or fatalities by group, category or oblast, with zero-filled gaps.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"incident_id": ["a", "b", "c"],
...                    "date": pd.to_datetime(["2022-03-01", "2022-03-01", "2022-03-04"]),
...                    "admin1": ["Kharkiv", "Sumy", "Kharkiv"],
...                    "categories": [["energy"], ["health"], ["energy", "water"]],
...                    "fatalities": [1, None, 0]})
>>> ts = resample(df, freq="D", by="group")
>>> ts[ts.key == "utilities"]["value"].tolist()
[1, 0, 0, 1]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harmmap.analysis._common import dates, explode_keys, norm_freq, period_range, period_start, require

__all__ = ["resample", "small_multiples"]


def resample(df: pd.DataFrame, freq: str = "W", by: str | None = "group", value: str = "incidents",
             rolling: int | None = None, *, start=None, end=None) -> pd.DataFrame:
    """Counts (or fatalities) per period and key, with every period of the range present.

    Parameters
    ----------
    df : DataFrame
        Incidents (``date``, ``categories``, ``admin1``, ``fatalities``) as ``store.incidents``
        returns them, or an aggregate with columns ``period``, ``key`` and ``value`` (e.g.
        ``store.timeseries``), which is re-binned to ``freq`` and zero-filled.
    freq : {'D', 'W', 'M'}
        Day, ISO week (starting Monday, labelled by its Monday) or calendar month (labelled by
        its first day).
    by : {'group', 'category', 'admin1', None}
        Multi-label incidents count once per key they belong to, so keys do not sum to the total.
    value : {'incidents', 'fatalities'}
        Fatalities not reported (null) count as 0 in the sum; ``reported`` says how many
        incidents in the bin reported a figure.
    rolling : int, optional
        Window (in periods) of a trailing rolling mean, per key, in column ``rolling``.
    start, end : date-like, optional
        Extend (or cut) the zero-filled range, e.g. to the filter's dates.

    Returns
    -------
    DataFrame with columns ``period`` (Timestamp), ``key``, ``value``, ``rolling`` (NaN if no
    window) and, for fatalities, ``reported``; sorted by key then period.
    """
    freq = norm_freq(freq)
    if value not in ("incidents", "fatalities"):
        raise ValueError(f"value must be 'incidents' or 'fatalities', not {value!r}")
    cols = ["period", "key", "value", "rolling"] + (["reported"] if value == "fatalities" else [])
    if "period" in df.columns and "date" not in df.columns:
        agg = _from_aggregate(df, freq, value)
    else:
        require(df, ["date"], "resample")
        if value == "fatalities":
            require(df, ["fatalities"], "resample(value='fatalities')")
        d = dates(df)
        long = explode_keys(df, by)
        long["period"] = period_start(d, freq).to_numpy()[long["_row"].to_numpy()]
        long = long[long["period"].notna()]
        if value == "fatalities":
            f = pd.to_numeric(df["fatalities"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            fr = f[long["_row"].to_numpy()]
            long["value"] = np.nan_to_num(fr)
            long["reported"] = ~np.isnan(fr)
            agg = long.groupby(["key", "period"], sort=True).agg(value=("value", "sum"),
                                                                  reported=("reported", "sum"))
            agg["value"] = agg["value"].round().astype("int64")
        else:
            agg = long.groupby(["key", "period"], sort=True).size().rename("value").to_frame()
    if agg.empty and start is None:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    periods = agg.index.get_level_values("period")
    lo = period_start(pd.Series([pd.Timestamp(start)]), freq)[0] if start is not None else periods.min()
    hi = period_start(pd.Series([pd.Timestamp(end)]), freq)[0] if end is not None else periods.max()
    rng = period_range(lo, hi, freq)
    keys = agg.index.get_level_values("key").unique() if not agg.empty else pd.Index(["all"])
    full = pd.MultiIndex.from_product([keys, rng], names=["key", "period"])
    out = agg.reindex(full, fill_value=0).reset_index()
    if rolling:
        out["rolling"] = (out.groupby("key", sort=False)["value"]
                          .transform(lambda s: s.rolling(int(rolling), min_periods=1).mean()))
    else:
        out["rolling"] = np.nan
    return out[cols].sort_values(["key", "period"], ignore_index=True)


def _from_aggregate(agg: pd.DataFrame, freq: str, value: str) -> pd.DataFrame:
    vcol = value if value in agg.columns else "value"
    require(agg, ["period", vcol], "resample (aggregate input)")
    a = pd.DataFrame({"period": period_start(pd.to_datetime(agg["period"]).dt.normalize(), freq),
                      "key": agg["key"].astype("string").fillna("all") if "key" in agg.columns else "all",
                      "value": pd.to_numeric(agg[vcol], errors="coerce").fillna(0)})
    out = a.groupby(["key", "period"], sort=True)["value"].sum().round().astype("int64").to_frame()
    if value == "fatalities":
        out["reported"] = 0
    return out


def small_multiples(df: pd.DataFrame, freq: str = "W", value: str = "incidents", rolling: int | None = 4,
                    top: int | None = None, by: str = "admin1") -> pd.DataFrame:
    """Per-oblast series for a grid of small charts, panels ordered by total (largest first).

    Adds ``total`` (the panel's sum), ``rank`` (1 = largest), ``share_of_peak`` (value over the
    panel's own maximum, for charts on independent scales) and ``national_share`` (the panel's
    value over all panels' sum in that period). ``top`` keeps the largest panels.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"date": pd.to_datetime(["2022-03-01", "2022-03-08", "2022-03-08"]),
    ...                    "admin1": ["Sumy", "Kharkiv", "Kharkiv"], "categories": [[], [], []]})
    >>> sm = small_multiples(df, freq="W", rolling=None)
    >>> sm.drop_duplicates("key")[["key", "rank", "total"]].values.tolist()
    [['Kharkiv', 1, 2], ['Sumy', 2, 1]]
    """
    ts = resample(df, freq=freq, by=by, value=value, rolling=rolling)
    if ts.empty:
        return ts.assign(total=[], rank=[], share_of_peak=[], national_share=[])
    totals = ts.groupby("key")["value"].sum().sort_values(ascending=False, kind="mergesort")
    rank = pd.Series(np.arange(1, len(totals) + 1), index=totals.index)
    ts["total"] = ts["key"].map(totals).astype("int64")
    ts["rank"] = ts["key"].map(rank).astype("int64")
    peak = ts.groupby("key")["value"].transform("max").replace(0, np.nan)
    ts["share_of_peak"] = (ts["value"] / peak).fillna(0.0)
    per_period = ts.groupby("period")["value"].transform("sum").replace(0, np.nan)
    ts["national_share"] = (ts["value"] / per_period).fillna(0.0)
    if top:
        ts = ts[ts["rank"] <= top]
    return ts.sort_values(["rank", "period"], ignore_index=True)
