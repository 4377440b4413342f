"""Weekly spikes per series (oblast x category by default): ACLED's surge rule and a count test.

Two criteria, both stated in every finding's ``method``:

1. **ACLED surge rule**: the week's count is at least ``1 + surge`` times (``surge=1.0``: double)
   the mean of the previous ``baseline_weeks`` (4) weeks, *and* at least ``min_count``
   incidents, so that 1 incident after a quiet month (1 vs 0.25) is not a "surge".
2. **Count test**: a one-sided p-value of the week's count against the previous ``test_weeks``
   (8) weeks. When the baseline is not overdispersed this is the exact conditional test for
   equal Poisson rates (given the total ``c + S`` of the week ``c`` and the baseline sum ``S``
   over ``n`` weeks, ``c ~ Binomial(c + S, 1/(n+1))``), which accounts for the baseline being
   estimated and is valid when the baseline is all zeros. When the baseline is overdispersed
   (index-of-dispersion test, p < 0.05) the p-value is the negative binomial tail with mean and
   variance taken from the baseline (method of moments). p-values are corrected with
   Benjamini-Hochberg across every series x week tested (weeks with a full baseline).

A finding is a week that passes both (``require='both'``, default), or either one alone
(``require='surge'`` / ``'test'``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from harmmap.analysis._common import (
    categories_for,
    dates,
    explode_keys,
    period_range,
    period_start,
    require,
    weights,
)
from harmmap.analysis.findings import Finding, bh_qvalues
from harmmap.query import Filters

__all__ = ["detect_spikes", "weekly_tests"]

_KEY_KINDS = ("category", "group")


def _weekly_matrix(df: pd.DataFrame, by: tuple[str, ...]):
    """(series index as DataFrame of by-columns, weeks DatetimeIndex, counts matrix S x W)."""
    by = tuple(b for b in by if b)
    cat_by = [b for b in by if b in _KEY_KINDS]
    if len(cat_by) > 1:
        raise ValueError("by may hold one of 'category' or 'group', not both")
    for b in by:
        if b not in ("admin1",) + _KEY_KINDS:
            raise ValueError(f"by must hold 'admin1', 'category' or 'group', not {b!r}")
    if "period" in df.columns and "date" not in df.columns:
        cnt_col = "incidents" if "incidents" in df.columns else "value"
        w = pd.DataFrame({"week": period_start(pd.to_datetime(df["period"]).dt.normalize(), "W")})
        for b in by:
            src = b if b in df.columns else "key"
            require(df, [src], "detect_spikes (weekly counts input)")
            w[b] = df[src].astype("string").fillna("(unknown)").to_numpy()
        w["n"] = pd.to_numeric(df[cnt_col], errors="coerce").fillna(0).to_numpy()
        long = w
    else:
        require(df, ["date"] + (["admin1"] if "admin1" in by else []), "detect_spikes")
        long = explode_keys(df, cat_by[0] if cat_by else None)
        if cat_by:
            long = long.rename(columns={"key": cat_by[0]})
        else:
            long = long.drop(columns="key")
        if "admin1" in by:
            long["admin1"] = df["admin1"].astype("string").fillna("(unknown)").to_numpy()[long["_row"]]
        long["week"] = period_start(dates(df), "W").to_numpy()[long["_row"].to_numpy()]
        long = long[long["week"].notna()]
        long["n"] = weights(df)[long["_row"].to_numpy()]
    if not by:
        long["_all"] = "all"
        by = ("_all",)
    g = long.groupby(list(by) + ["week"], sort=True)["n"].sum()
    if g.empty:
        return pd.DataFrame(columns=list(by)), pd.DatetimeIndex([]), np.zeros((0, 0))
    weeks = period_range(g.index.get_level_values("week").min(), g.index.get_level_values("week").max(), "W")
    mat = g.unstack("week", fill_value=0).reindex(columns=weeks, fill_value=0)
    series = mat.index.to_frame(index=False)
    return series, weeks, mat.to_numpy(dtype=float)


def weekly_tests(df: pd.DataFrame, by=("admin1", "category"), surge: float = 1.0, baseline_weeks: int = 4,
                 test_weeks: int = 8, min_count: int = 5) -> pd.DataFrame:
    """Every series x week with a full baseline, with both criteria (the table behind the findings).

    Columns: the ``by`` columns, ``week`` (Monday), ``observed``, ``mean4`` (mean of the previous
    ``baseline_weeks``), ``expected`` (mean of the previous ``test_weeks``), ``ratio``
    (observed / mean4), ``surge`` (bool), ``overdispersed`` (bool), ``test`` (``poisson`` or
    ``negbin``), ``p``, ``q`` (Benjamini-Hochberg over all rows).

    >>> import pandas as pd
    >>> wk = pd.DataFrame({"period": pd.date_range("2022-01-03", periods=12, freq="W-MON"),
    ...                    "key": "Kharkiv", "incidents": [2, 3, 2, 2, 3, 2, 2, 3, 2, 2, 20, 2]})
    >>> t = weekly_tests(wk, by=("admin1",))
    >>> row = t.loc[t.observed.idxmax()]
    >>> str(row.week.date()), bool(row.surge)
    ('2022-03-14', True)
    """
    by = tuple(by) if isinstance(by, (tuple, list)) else (by,)
    series, weeks, C = _weekly_matrix(df, by)
    B = max(baseline_weeks, test_weeks)
    S, W = C.shape
    cols = list(series.columns) + ["week", "observed", "mean4", "expected", "ratio", "surge",
                                   "overdispersed", "test", "p", "q"]
    if W <= B or S == 0:
        return pd.DataFrame(columns=cols)
    cs = np.concatenate([np.zeros((S, 1)), np.cumsum(C, axis=1)], axis=1)
    cs2 = np.concatenate([np.zeros((S, 1)), np.cumsum(C * C, axis=1)], axis=1)
    t = np.arange(B, W)
    c = C[:, t]
    mean4 = (cs[:, t] - cs[:, t - baseline_weeks]) / baseline_weeks
    n = test_weeks
    s8 = cs[:, t] - cs[:, t - n]
    ss8 = cs2[:, t] - cs2[:, t - n]
    m8 = s8 / n
    var8 = np.where(n > 1, (ss8 - n * m8 ** 2) / max(n - 1, 1), 0.0)
    var8 = np.maximum(var8, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        disp_p = np.where(m8 > 0, stats.chi2.sf((n - 1) * var8 / m8, n - 1), 1.0)
        over = (disp_p < 0.05) & (var8 > m8)
        # exact conditional Poisson test: c | c+S ~ Binomial(c+S, 1/(n+1))
        p_pois = stats.binom.sf(c - 1, c + s8, 1.0 / (n + 1))
        r = np.where(over, m8 ** 2 / np.where(over, var8 - m8, 1.0), 1.0)
        prob = np.where(over, r / (r + m8), 0.5)
        p_nb = stats.nbinom.sf(c - 1, r, prob)
        ratio = np.where(mean4 > 0, c / mean4, np.where(c > 0, np.inf, np.nan))
    p = np.where(c <= 0, 1.0, np.where(over, p_nb, p_pois))
    p = np.clip(np.nan_to_num(p, nan=1.0), 0.0, 1.0)
    is_surge = (c >= (1.0 + surge) * mean4) & (c >= min_count)
    q = bh_qvalues(p.ravel()).reshape(p.shape)
    out = series.iloc[np.repeat(np.arange(S), len(t))].reset_index(drop=True)
    out["week"] = np.tile(weeks[t].to_numpy(), S)
    out["observed"] = c.ravel().astype("int64")
    out["mean4"] = mean4.ravel()
    out["expected"] = m8.ravel()
    out["ratio"] = ratio.ravel()
    out["surge"] = is_surge.ravel()
    out["overdispersed"] = over.ravel()
    out["test"] = np.where(over.ravel(), "negbin", "poisson")
    out["p"] = p.ravel()
    out["q"] = q.ravel()
    return out[cols]


def detect_spikes(df: pd.DataFrame, by=("admin1", "category"), surge: float = 1.0, alpha: float = 0.05,
                  baseline_weeks: int = 4, test_weeks: int = 8, min_count: int = 5,
                  require: str = "both", base: Filters | None = None, limit: int | None = None) -> list[Finding]:
    """Weeks in which a series jumped, ranked (smallest q first, then largest ratio).

    Parameters
    ----------
    df : DataFrame
        Incidents (``date``, ``admin1``, ``categories``) or weekly counts (``period``, the ``by``
        columns or ``key``, ``incidents``).
    by : tuple
        Series definition: any of ``'admin1'`` and one of ``'category'`` / ``'group'``.
    surge : float
        ACLED rule: at least ``(1 + surge)`` x the previous ``baseline_weeks``' mean.
    alpha : float
        False discovery rate for the Benjamini-Hochberg correction.
    min_count : int
        Minimum incidents in the week for the surge rule.
    require : {'both', 'surge', 'test'}
    base : Filters, optional
        The filters the incidents were fetched with; each finding's filters narrow them.

    Returns
    -------
    list of Finding (kind ``'spike'``), numbers: observed, mean4, expected, ratio, p, q, test.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> days = pd.date_range("2022-03-07", periods=140)
    >>> n = rng.poisson(1.0, len(days)); n[100] += 25
    >>> df = pd.DataFrame({"date": np.repeat(days, n), "admin1": "Kharkiv",
    ...                    "categories": [["energy"]] * int(n.sum())})
    >>> found = detect_spikes(df)
    >>> found[0].filters.date_from.isoformat(), found[0].numbers["observed"] >= 25
    ('2022-06-13', True)
    """
    if require not in ("both", "surge", "test"):
        raise ValueError(f"require must be 'both', 'surge' or 'test', not {require!r}")
    by = tuple(by) if isinstance(by, (tuple, list)) else (by,)
    tab = weekly_tests(df, by, surge, baseline_weeks, test_weeks, min_count)
    if tab.empty:
        return []
    sig = tab["q"] <= alpha
    keep = {"both": sig & tab["surge"], "surge": tab["surge"], "test": sig}[require]
    hits = tab[keep].copy()
    hits["_r"] = hits["ratio"].replace(np.inf, 1e9)
    hits = hits.sort_values(["q", "_r", "observed"], ascending=[True, False, False], kind="mergesort")
    if limit:
        hits = hits.head(limit)
    by_cols = [b for b in tab.columns if b in ("admin1", "category", "group", "_all")]
    n_series = len(tab.drop_duplicates(by_cols)) if by_cols else 1
    n_weeks = tab["week"].nunique()
    label = " x ".join({"admin1": "oblast", "category": "category", "group": "group"}.get(b, "all")
                       for b in by_cols)
    rule = (f"Weeks where incidents were at least {surge * 100:.0f}% above the average of the previous "
            f"{baseline_weeks} weeks (ACLED surge rule; at least {min_count} incidents)")
    test = (f"a one-sided test of the week's count against the previous {test_weeks} weeks (exact "
            f"conditional Poisson test; negative binomial when the baseline was overdispersed) with "
            f"Benjamini-Hochberg FDR at {alpha:.0%} across {n_series} {label} series x {n_weeks} weeks "
            f"({len(tab)} tests)")
    method = {"both": f"{rule}, and {test}.", "surge": f"{rule}.",
              "test": f"Weeks flagged by {test}."}[require]
    base = base or Filters()
    out = []
    for row in hits.itertuples(index=False):
        rd = row._asdict()
        week = pd.Timestamp(rd["week"])
        names = [str(rd[b]) for b in by_cols if b != "_all"]
        cat_by = next((b for b in by_cols if b in _KEY_KINDS), None)
        filt = base.replace(date_from=week.date(), date_to=(week + pd.Timedelta(days=6)).date())
        if "admin1" in by_cols:
            filt = filt.replace(admin1=(str(rd["admin1"]),))
        if cat_by:
            filt = filt.replace(categories=categories_for(str(rd[cat_by]), cat_by))
        ratio = rd["ratio"]
        ratio_txt = "from none" if np.isinf(ratio) else f"{ratio:.1f}x the 4-week mean"
        title = (f"{', '.join(names) or 'All incidents'}: {rd['observed']} incidents in the week of "
                 f"{week.date().isoformat()} ({ratio_txt}; q = {rd['q']:.3g})")
        nums = {"observed": int(rd["observed"]), "mean4": float(rd["mean4"]), "expected": float(rd["expected"]),
                "ratio": float(ratio), "p": float(rd["p"]), "q": float(rd["q"]), "test": rd["test"],
                "surge": bool(rd["surge"]), "week": week.date().isoformat()}
        for b in by_cols:
            if b != "_all":
                nums[b] = str(rd[b])
        out.append(Finding("spike", title, method, nums, filt,
                           score=float(-np.log10(max(rd["q"], 1e-300)))))
    return out
