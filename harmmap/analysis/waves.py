"""Waves: days on which many oblasts were hit in the same category group (e.g. the power grid).

For each day ``d`` let ``k_d`` be the number of oblasts with at least one incident in the group.
Under the null, oblast ``i`` is hit on any day independently with its own probability ``p_i``
(its share of days with a hit: over the whole period, or over the ``baseline_days`` before the
day, smoothed as ``(hits + 0.5) / (days + 1)``), so ``k_d`` follows a Poisson-binomial
distribution; the p-value is ``P(K >= k_d)``, computed exactly by convolution. p-values are
corrected for the number of days tested (Benjamini-Hochberg by default, Bonferroni on request).
Only incidents dated to the day count (``date_precision`` 'day' when the column is present).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harmmap.analysis._common import dates, group_or_category, in_categories, period_range, require, weights
from harmmap.analysis.findings import Finding, bh_qvalues
from harmmap.query import Filters

__all__ = ["detect_waves", "daily_regions", "poisson_binomial_sf"]


def poisson_binomial_sf(p: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``P(K >= k)`` for K the number of successes of independent Bernoulli(p_i).

    ``p`` is (R,) (one distribution) or (D, R) (one per row of ``k``).

    >>> float(poisson_binomial_sf(np.array([0.5, 0.5]), np.array([2]))[0])
    0.25
    """
    p = np.atleast_2d(np.asarray(p, dtype=float))
    k = np.asarray(k)
    D, R = p.shape
    pmf = np.zeros((D, R + 1))
    pmf[:, 0] = 1.0
    for i in range(R):
        pi = p[:, i:i + 1]
        nxt = pmf * (1 - pi)
        nxt[:, 1:] += pmf[:, :-1] * pi
        pmf = nxt
    sf = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]           # sf[:, j] = P(K >= j)
    sf = np.concatenate([sf, np.zeros((D, 1))], axis=1)
    kk = np.clip(k.astype(int), 0, R + 1)
    if D == 1:
        return np.minimum(sf[0, kk], 1.0)
    return np.minimum(sf[np.arange(D), kk], 1.0)


def daily_regions(df: pd.DataFrame, group: str = "utilities", baseline_days: int | None = None,
                  correction: str = "bh") -> pd.DataFrame:
    """One row per day of the range: ``date``, ``regions`` (oblasts hit), ``expected``,
    ``p``, ``q``, ``incidents`` and ``oblasts`` (tuple).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"date": pd.to_datetime(["2022-10-10"] * 3 + ["2022-10-11"]),
    ...                    "admin1": ["Kyiv", "Lviv", "Odesa", "Kyiv"],
    ...                    "categories": [["energy"], ["energy"], ["water"], ["energy"]]})
    >>> daily_regions(df)[["date", "regions"]].astype(str).values.tolist()
    [['2022-10-10', '3'], ['2022-10-11', '1']]
    """
    if correction not in ("bh", "bonferroni"):
        raise ValueError(f"correction must be 'bh' or 'bonferroni', not {correction!r}")
    require(df, ["date", "admin1", "categories"], "detect_waves")
    _, cats = group_or_category(group)
    cols = ["date", "regions", "expected", "p", "q", "incidents", "oblasts"]
    d = dates(df)
    if d.notna().sum() == 0:
        return pd.DataFrame(columns=cols)
    in_group = in_categories(df, cats)
    ok = in_group & d.notna().to_numpy() & df["admin1"].notna().to_numpy()
    if "date_precision" in df.columns:
        ok &= (df["date_precision"].astype("string").fillna("day") == "day").to_numpy()
    days = period_range(d.min(), d.max(), "D")
    sel = pd.DataFrame({"date": d[ok].to_numpy(), "admin1": df["admin1"].astype("string")[ok].to_numpy(),
                        "w": weights(df)[ok]})
    if sel.empty:
        out = pd.DataFrame({"date": days, "regions": 0, "expected": 0.0, "p": 1.0, "q": 1.0, "incidents": 0})
        out["oblasts"] = [()] * len(out)
        return out[cols]
    inc = sel.groupby("date")["w"].sum().reindex(days, fill_value=0)
    hit = (sel[["date", "admin1"]].drop_duplicates().assign(v=1)
           .pivot_table(index="date", columns="admin1", values="v", aggfunc="max", fill_value=0)
           .reindex(days, fill_value=0))
    H = hit.to_numpy(dtype=float)                    # days x oblasts
    D, R = H.shape
    k = H.sum(axis=1)
    if baseline_days:
        cs = np.vstack([np.zeros((1, R)), np.cumsum(H, axis=0)])
        idx = np.arange(D)
        lo = np.maximum(idx - baseline_days, 0)
        n = (idx - lo).astype(float)[:, None]
        hits = cs[idx] - cs[lo]
        P = (hits + 0.5) / (n + 1.0)
        p = poisson_binomial_sf(P, k)
        expected = P.sum(axis=1)
    else:
        P = H.mean(axis=0)
        p = poisson_binomial_sf(P, k)
        expected = np.full(D, P.sum())
    p = np.where(k <= 0, 1.0, p)
    q = bh_qvalues(p) if correction == "bh" else np.minimum(p * D, 1.0)
    names = np.asarray(hit.columns, dtype=object)
    oblasts = [tuple(names[row > 0]) for row in H]
    out = pd.DataFrame({"date": days, "regions": k.astype("int64"), "expected": expected, "p": p, "q": q,
                        "incidents": inc.to_numpy().astype("int64")})
    out["oblasts"] = oblasts
    return out[cols]


def detect_waves(df: pd.DataFrame, group: str = "utilities", min_regions: int = 3, alpha: float = 0.05,
                 baseline_days: int | None = None, correction: str = "bh",
                 base: Filters | None = None, limit: int | None = None) -> list[Finding]:
    """Days on which at least ``min_regions`` oblasts were hit in ``group`` more than chance allows.

    Parameters
    ----------
    df : DataFrame
        Incidents with ``date``, ``admin1``, ``categories``.
    group : str
        A taxonomy group (``'utilities'``) or a single category (``'energy'``).
    min_regions : int
        Smallest number of oblasts that makes a wave.
    alpha : float
        Level after correction for the number of days tested.
    baseline_days : int, optional
        Estimate each oblast's daily hit rate from the previous N days instead of the whole range
        (use when intensity changes a lot over the period).
    correction : {'bh', 'bonferroni'}

    Returns
    -------
    list of Finding (kind ``'wave'``), ranked by number of oblasts, then p. Filters: the day, the
    group's categories and the oblasts hit.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> obl = ["Kyiv", "Lviv", "Odesa", "Kharkiv", "Dnipropetrovsk", "Poltava", "Sumy", "Vinnytsia"]
    >>> days = pd.date_range("2022-09-01", periods=90)
    >>> rows = [(d, o) for d in days for o in obl if rng.random() < 0.05]
    >>> rows += [(days[40], o) for o in obl]
    >>> df = pd.DataFrame(rows, columns=["date", "admin1"]).assign(categories=[["energy"]] * len(rows))
    >>> w = detect_waves(df)
    >>> w[0].filters.date_from == days[40].date(), w[0].numbers["regions"]
    (True, 8)
    """
    kind, cats = group_or_category(group)
    tab = daily_regions(df, group, baseline_days, correction)
    if tab.empty:
        return []
    hits = tab[(tab["regions"] >= min_regions) & (tab["q"] <= alpha)]
    hits = hits.sort_values(["regions", "p", "incidents"], ascending=[False, True, False], kind="mergesort")
    if limit:
        hits = hits.head(limit)
    rate = ("each oblast's share of days with such a hit over the whole period" if not baseline_days
            else f"each oblast's share of days with such a hit over the previous {baseline_days} days")
    corr = "Benjamini-Hochberg FDR" if correction == "bh" else "Bonferroni correction"
    method = (f"Days on which at least {min_regions} oblasts each had an incident in {kind} '{group}', "
              f"tested against a null of independent daily hits per oblast at {rate} "
              f"(Poisson-binomial probability of that many oblasts or more on one day), with {corr} "
              f"at {alpha:.0%} across the {len(tab)} days tested.")
    base = base or Filters()
    out = []
    for r in hits.itertuples(index=False):
        day = pd.Timestamp(r.date).date()
        title = (f"{day.isoformat()}: {r.regions} oblasts hit ({group}), {r.incidents} incidents; "
                 f"{r.expected:.1f} oblasts expected on a typical day (q = {r.q:.3g})")
        nums = {"date": day.isoformat(), "regions": int(r.regions), "expected": float(r.expected),
                "incidents": int(r.incidents), "p": float(r.p), "q": float(r.q), "oblasts": list(r.oblasts)}
        filt = base.replace(date_from=day, date_to=day, categories=cats, admin1=tuple(r.oblasts))
        out.append(Finding("wave", title, method, nums, filt, score=float(r.regions)))
    return out
