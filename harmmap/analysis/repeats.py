"""Repeated strikes: the same site hit again.

Sites: incidents are projected to metres (ETRS89-LAEA, EPSG:3035), identical positions (to
1 m) are merged, and a k-d tree finds every pair of positions within ``distance_m``. Sites are
then built greedily: the position with the most incidents within ``distance_m`` becomes a
site's centre and takes every unassigned position within ``distance_m`` of it, and so on. Every
member is within ``distance_m`` of its site's centre, so dense cities are not chained into one
"site" (single-linkage clustering would). Only incidents located exactly (``geo_precision`` =
'exact' when the column is present) are used: points at a town's centroid are not sites.

For each site: the strikes in date (and time) order, first/last date, the intervals between
consecutive strikes, the longest *chain* (consecutive strikes no more than ``within_days`` apart)
and, where ``time`` is known on both, the strikes that followed the previous one within
``within_hours`` (e.g. "double tap"). ``expected`` is the number of other incidents that would
fall within ``distance_m`` of the centre by chance given the density of its H3 resolution-6 cell
(~36 km²); ``p`` is the Poisson probability of at least the observed others, ``q`` its
Benjamini-Hochberg adjustment across all located incidents (each could have been a site's
centre, so correcting across the sites found only would ignore the search).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree

from harmmap.analysis._common import cat_lists, dates, require
from harmmap.analysis.findings import Finding, bh_qvalues
from harmmap.query import Filters

__all__ = ["detect_repeats", "repeat_sites", "project_m"]

_TRANSFORMER = None


def project_m(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat (EPSG:4326) -> x/y metres in ETRS89-LAEA Europe (EPSG:3035)."""
    global _TRANSFORMER
    if _TRANSFORMER is None:
        from pyproj import Transformer

        _TRANSFORMER = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    x, y = _TRANSFORMER.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def _greedy_sites(xy: np.ndarray, weight: np.ndarray, r: float) -> np.ndarray:
    """Site id per unique position (-1: alone and hit once)."""
    n = len(xy)
    site = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return site
    pairs = cKDTree(xy).query_pairs(r, output_type="ndarray")
    deg = weight.astype(np.int64) - 1
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        deg += np.bincount(i, weights=weight[j], minlength=n).astype(np.int64)
        deg += np.bincount(j, weights=weight[i], minlength=n).astype(np.int64)
        src = np.concatenate([i, j])
        dst = np.concatenate([j, i])
        order = np.argsort(src, kind="stable")
        src, dst = src[order], dst[order]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))])
    else:
        dst = np.zeros(0, dtype=np.int64)
        indptr = np.zeros(n + 1, dtype=np.int64)
    cand = np.flatnonzero(deg >= 1)
    cand = cand[np.argsort(-deg[cand], kind="stable")]
    sid = 0
    for c in cand.tolist():
        if site[c] >= 0:
            continue
        nb = dst[indptr[c]:indptr[c + 1]]
        site[c] = sid
        if len(nb):
            free = nb[site[nb] < 0]
            site[free] = sid
        sid += 1
    return site


def repeat_sites(df: pd.DataFrame, distance_m: float = 150, within_days: int | None = None,
                 within_hours: float | None = None, min_strikes: int = 2, exact_only: bool = True) -> pd.DataFrame:
    """Every site hit at least ``min_strikes`` times, one row per site (the table behind the findings).

    Columns: ``site``, ``lon``, ``lat`` (centroid), ``strikes``, ``first``, ``last``, ``span_days``,
    ``min_interval_days``, ``median_interval_days``, ``chain`` (longest run of strikes at most
    ``within_days`` apart; all strikes when ``within_days`` is None), ``chain_first``,
    ``chain_last``, ``within_hours`` (re-strikes within ``within_hours`` where time is known),
    ``admin1``, ``categories``, ``expected``, ``p``, ``q``, ``incident_ids`` (date order).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"incident_id": ["a", "b", "c"], "lon": [36.2300, 36.2310, 30.5],
    ...                    "lat": [49.9900, 49.9901, 50.45],
    ...                    "date": pd.to_datetime(["2022-05-01", "2022-05-09", "2022-05-01"])})
    >>> s = repeat_sites(df, distance_m=150)
    >>> s[["strikes", "span_days"]].values.tolist(), s.incident_ids[0]
    ([[2, 8]], ['a', 'b'])
    """
    require(df, ["incident_id", "lon", "lat", "date"], "detect_repeats")
    cols = ["site", "lon", "lat", "strikes", "first", "last", "span_days", "min_interval_days",
            "median_interval_days", "chain", "chain_first", "chain_last", "within_hours", "admin1",
            "categories", "expected", "p", "q", "incident_ids"]
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    d = dates(df).to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat) & ~pd.isna(d)
    if exact_only and "geo_precision" in df.columns:
        ok &= (df["geo_precision"].astype("string").fillna("exact") == "exact").to_numpy()
    rows = np.flatnonzero(ok)
    if len(rows) < 2:
        return pd.DataFrame(columns=cols)
    x, y = project_m(lon[rows], lat[rows])
    key = np.round(x).astype(np.int64) * 100_000_000 + np.round(y).astype(np.int64)
    uniq, first_idx, inv, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    uxy = np.column_stack([x[first_idx], y[first_idx]])
    usite = _greedy_sites(uxy, counts, float(distance_m))
    site = usite[inv]
    keep = site >= 0
    if not keep.any():
        return pd.DataFrame(columns=cols)
    t = pd.DataFrame({"site": site[keep], "row": rows[keep], "date": d[rows[keep]]})
    if "time" in df.columns:
        tm = pd.to_timedelta(df["time"].astype("string").str.strip().str.slice(0, 5) + ":00",
                             errors="coerce").to_numpy()[t["row"].to_numpy()]
    else:
        tm = np.full(len(t), np.timedelta64("NaT"), dtype="timedelta64[ns]")
    t["has_time"] = ~pd.isna(tm)
    t["ts"] = t["date"].to_numpy() + np.where(t["has_time"], tm, np.timedelta64(0, "ns"))
    size = t.groupby("site")["row"].transform("size")
    t = t[size >= min_strikes].sort_values(["site", "ts"], kind="mergesort").reset_index(drop=True)
    if t.empty:
        return pd.DataFrame(columns=cols)
    s_arr = t["site"].to_numpy()
    new_site = np.r_[True, s_arr[1:] != s_arr[:-1]]
    gap_days = np.r_[np.nan, np.diff(t["date"].to_numpy()).astype("timedelta64[D]").astype(float)]
    gap_days[new_site] = np.nan
    t["gap_days"] = gap_days
    gap_h = np.r_[np.nan, np.diff(t["ts"].to_numpy()).astype("timedelta64[m]").astype(float) / 60.0]
    both_time = np.r_[False, t["has_time"].to_numpy()[1:] & t["has_time"].to_numpy()[:-1]]
    gap_h[new_site | ~both_time] = np.nan
    t["quick"] = (gap_h <= within_hours) if within_hours is not None else False
    # chains: a new chain starts at a new site or after a gap longer than within_days
    brk = new_site | ((gap_days > within_days) if within_days is not None else np.zeros(len(t), bool))
    t["chain_id"] = np.cumsum(brk)
    ch = t.groupby("chain_id").agg(site=("site", "first"), n=("row", "size"), cf=("date", "min"),
                                   cl=("date", "max"))
    best = ch.sort_values(["site", "n", "cf"], ascending=[True, False, True]).drop_duplicates("site")
    best = best.set_index("site")
    g = t.groupby("site", sort=True)
    out = pd.DataFrame({"strikes": g.size(), "first": g["date"].min(), "last": g["date"].max(),
                        "min_interval_days": g["gap_days"].min(),
                        "median_interval_days": g["gap_days"].median(),
                        "within_hours": g["quick"].sum().astype("int64")})
    out["span_days"] = (out["last"] - out["first"]).dt.days
    out["chain"] = best["n"].reindex(out.index).to_numpy()
    out["chain_first"] = best["cf"].reindex(out.index).to_numpy()
    out["chain_last"] = best["cl"].reindex(out.index).to_numpy()
    r = t["row"].to_numpy()
    t["lon"], t["lat"] = lon[r], lat[r]
    out["lon"] = t.groupby("site")["lon"].mean()
    out["lat"] = t.groupby("site")["lat"].mean()
    ids = df["incident_id"].astype("string").to_numpy()[r]
    starts = np.flatnonzero(new_site)
    bounds = np.r_[starts, len(t)]
    out["incident_ids"] = [list(ids[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=False)]
    if "admin1" in df.columns:
        t["admin1"] = df["admin1"].astype("string").to_numpy()[r]
        out["admin1"] = _mode_by(t["site"].to_numpy(), t["admin1"]).reindex(out.index)
    else:
        out["admin1"] = None
    cats = cat_lists(df.iloc[r]).to_numpy()
    out["categories"] = [sorted({c for lst in cats[a:b] for c in lst}) for a, b in zip(bounds[:-1], bounds[1:], strict=False)]
    out["expected"] = _expected(df, rows, ok, t, out, distance_m)
    others = out["strikes"].to_numpy() - 1
    exp_ = out["expected"].to_numpy()
    out["p"] = np.where(np.isnan(exp_), np.nan, stats.poisson.sf(others - 1, np.nan_to_num(exp_)))
    # every located incident could have been a site's centre: correct across all of them
    pv = out["p"].to_numpy()
    padded = np.r_[pv, np.ones(max(len(rows) - len(pv), 0))]
    out["q"] = bh_qvalues(padded)[: len(pv)] if len(pv) else pv
    out = out.reset_index()
    return out[cols]


def _mode_by(site: np.ndarray, values: pd.Series) -> pd.Series:
    """Most frequent non-null value per site (ties: first in sort order), vectorized."""
    f = pd.DataFrame({"site": site, "v": values.to_numpy()}).dropna()
    c = f.groupby(["site", "v"], sort=True).size().rename("n").reset_index()
    c = c.sort_values(["site", "n"], ascending=[True, False], kind="mergesort").drop_duplicates("site")
    return c.set_index("site")["v"]


def _expected(df, rows, ok, t, out, distance_m) -> np.ndarray:
    """Incidents expected within distance_m of each site's centre from its H3 r6 cell's density."""
    if "h3_r6" not in df.columns:
        return np.full(len(out), np.nan)
    import h3

    cells_all = pd.to_numeric(df["h3_r6"], errors="coerce").fillna(0).astype("int64").to_numpy()
    cnt = pd.Series(cells_all[ok]).value_counts()
    site_cell = _mode_by(t["site"].to_numpy(), pd.Series(cells_all[t["row"].to_numpy()])).reindex(out.index)
    area = {}
    for c in pd.unique(site_cell.to_numpy()):
        try:
            area[c] = h3.cell_area(h3.int_to_str(int(c) & 0xFFFFFFFFFFFFFFFF), unit="m^2")
        except Exception:   # noqa: BLE001 - invalid cell ids give no expectation
            area[c] = np.nan
    n_cell = site_cell.map(cnt).to_numpy(dtype=float)
    a = site_cell.map(area).to_numpy(dtype=float)
    return np.maximum(n_cell - 1, 0) * math.pi * distance_m ** 2 / a


def detect_repeats(df: pd.DataFrame, distance_m: float = 150, within_days: int | None = 30,
                   within_hours: float | None = None, min_strikes: int = 2, exact_only: bool = True,
                   base: Filters | None = None, limit: int | None = None) -> list[Finding]:
    """Sites struck again (within ``within_days`` of the previous strike, or ``within_hours`` where
    times are known), ranked by the longest chain, then strikes, then q.

    Parameters
    ----------
    df : DataFrame
        Incidents with ``incident_id``, ``lon``, ``lat``, ``date``; optional ``time`` (HH:MM),
        ``geo_precision``, ``admin1``, ``categories``, ``h3_r6``. Vectorized (k-d tree); 1M rows
        take seconds.
    distance_m : float
        Incidents within this distance of a site's centre are the same site.
    within_days : int, optional
        A finding needs a re-strike at most this many days after the previous one (None: any).
    within_hours : float, optional
        A finding needs a re-strike within this many hours (both times known); overrides within_days.
    min_strikes : int

    Returns
    -------
    list of Finding (kind ``'repeat'``); filters carry the site's incident ids.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"incident_id": list("abcd"), "lon": [36.23, 36.2301, 36.2302, 30.5],
    ...                    "lat": [49.99, 49.99, 49.9901, 50.45],
    ...                    "date": pd.to_datetime(["2022-05-01", "2022-05-09", "2022-05-20", "2022-05-01"])})
    >>> f = detect_repeats(df, within_days=14)
    >>> f[0].numbers["strikes"], f[0].filters.incident_ids
    (3, ('a', 'b', 'c'))
    """
    sites = repeat_sites(df, distance_m, within_days, within_hours, min_strikes, exact_only)
    if sites.empty:
        return []
    if within_hours is not None:
        sites = sites[sites["within_hours"] > 0]
    elif within_days is not None:
        sites = sites[sites["chain"] >= 2]
    sites = sites.assign(_q=sites["q"].fillna(1.0)).sort_values(
        ["chain", "strikes", "_q"], ascending=[False, False, True], kind="mergesort")
    if limit:
        sites = sites.head(limit)
    crit = (f"struck again within {within_hours:g} hours where the time of both strikes is known"
            if within_hours is not None else
            f"struck again within {within_days} days of the previous strike" if within_days is not None
            else "struck at least twice")
    method = (f"Sites {crit}: precisely located incidents within {distance_m:g} m of a site's centre "
              f"(sites built greedily around the most-hit positions, so a city is not chained into one "
              f"site); 'expected' is the number of incidents that would fall that close by chance "
              f"given the density of the surrounding ~36 km² H3 cell (Poisson, Benjamini-Hochberg "
              f"across all located incidents, each a potential site).")
    base = base or Filters()
    out = []
    for r in sites.itertuples(index=False):
        where = f"{r.admin1}, " if isinstance(r.admin1, str) else ""
        first, last = pd.Timestamp(r.first).date(), pd.Timestamp(r.last).date()
        extra = f"; {r.within_hours} within {within_hours:g} h" if within_hours is not None else ""
        title = (f"{where}site at {r.lat:.4f}, {r.lon:.4f}: {r.strikes} strikes from {first} to {last} "
                 f"(longest chain {r.chain}{extra})")
        nums = {"strikes": int(r.strikes), "chain": int(r.chain), "first": first.isoformat(),
                "last": last.isoformat(), "span_days": int(r.span_days),
                "min_interval_days": float(r.min_interval_days),
                "median_interval_days": float(r.median_interval_days), "within_hours": int(r.within_hours),
                "lon": float(r.lon), "lat": float(r.lat), "expected": float(r.expected),
                "p": float(r.p), "q": float(r.q), "categories": list(r.categories)}
        filt = base.replace(incident_ids=tuple(r.incident_ids), date_from=first, date_to=last)
        out.append(Finding("repeat", title, method, nums, filt, score=float(r.chain)))
    return out
