"""Comparing oblasts (category mix) and periods (rate ratios).

``compare`` counts incidents per oblast x category (a multi-label incident counts once in each
of its categories, so the table counts *category mentions*; the test treats them as independent,
which the method sentence says). The homogeneity of the category mix across oblasts is tested
with Pearson's chi-square; when more than 20% of expected counts are below 5 (Cochran's rule)
the p-value is Monte-Carlo (random tables with the same margins). Over-represented cells are
found with adjusted standardized residuals (two-sided normal p, Benjamini-Hochberg).
Similarity between oblasts is 1 - the Jensen-Shannon distance (base 2) of their category
distributions (cosine on request).

``period_vs_period`` compares the daily rate of incidents per key in two periods: rate ratio
``(b / days_b) / (a / days_a)``, the exact conditional (binomial) test of equal rates and its
Clopper-Pearson 95% interval, Benjamini-Hochberg across keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from harmmap.analysis._common import categories_for, dates, explode_keys, require, weights
from harmmap.analysis.findings import Finding, bh_qvalues
from harmmap.query import Filters

__all__ = ["Comparison", "compare", "period_vs_period", "similarity"]


@dataclass
class Comparison:
    """What :func:`compare` returns."""

    counts: pd.DataFrame            # region x key
    shares: pd.DataFrame            # each row sums to 1
    residuals: pd.DataFrame         # adjusted standardized residuals
    chi2: float
    dof: int
    p: float
    p_method: str                   # 'asymptotic' or 'monte carlo (N tables)'
    small_expected: float           # share of cells with expected count < 5
    note: str
    similarity: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    method: str = ""


def similarity(shares: pd.DataFrame, metric: str = "jensen-shannon") -> pd.DataFrame:
    """Region x region similarity (1 = same mix) of category distributions.

    >>> s = pd.DataFrame([[1, 0], [1, 0], [0, 1]], index=list("abc"), columns=["x", "y"])
    >>> similarity(s).round(2).values.tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    X = shares.to_numpy(dtype=float)
    if metric == "cosine":
        nrm = np.linalg.norm(X, axis=1, keepdims=True)
        U = np.divide(X, nrm, out=np.zeros_like(X), where=nrm > 0)
        S = U @ U.T
    elif metric in ("jensen-shannon", "js"):
        P = X[:, None, :]
        Q = X[None, :, :]
        S = 1 - jensenshannon(np.broadcast_to(P, (len(X), len(X), X.shape[1])),
                              np.broadcast_to(Q, (len(X), len(X), X.shape[1])), base=2, axis=2)
        S = np.nan_to_num(S)
    else:
        raise ValueError(f"metric must be 'jensen-shannon' or 'cosine', not {metric!r}")
    return pd.DataFrame(S, index=shares.index, columns=shares.index)


def compare(df: pd.DataFrame, by: str = "admin1", of: str = "category", alpha: float = 0.05,
            min_total: int = 1, metric: str = "jensen-shannon", simulations: int = 2000, seed: int = 0,
            base: Filters | None = None) -> Comparison:
    """Oblast x category counts, shares, a homogeneity test, residual findings and similarity.

    Parameters
    ----------
    by : str
        Rows (``'admin1'``).
    of : {'category', 'group'}
        Columns.
    min_total : int
        Leave out regions with fewer incidents (named in ``note``).

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"admin1": ["Kharkiv"] * 60 + ["Lviv"] * 60,
    ...                    "categories": [["energy"]] * 50 + [["health"]] * 10 + [["energy"]] * 10 + [["health"]] * 50})
    >>> c = compare(df)
    >>> c.counts.loc["Kharkiv", "energy"], c.p < 0.001, c.findings[0].filters.admin1
    (np.int64(50), True, ('Kharkiv',))
    """
    require(df, [by, "categories"] if of in ("category", "group") else [by, of], "compare")
    long = explode_keys(df, of)
    long["region"] = df[by].astype("string").fillna("(unknown)").to_numpy()[long["_row"]]
    if "incidents" in df.columns:          # grouped counts: each row stands for that many incidents
        long["w"] = weights(df)[long["_row"].to_numpy()]
        counts = long.groupby(["region", "key"])["w"].sum().unstack("key", fill_value=0)
    else:
        counts = pd.crosstab(long["region"], long["key"])
    counts.index.name, counts.columns.name = by, of
    notes = []
    small = counts.sum(axis=1) < min_total
    if small.any():
        notes.append(f"left out (fewer than {min_total} incidents): {', '.join(counts.index[small])}")
        counts = counts[~small]
    counts = counts.loc[:, counts.sum(axis=0) > 0]
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    sim = similarity(shares, metric)
    R, K = counts.shape
    if R < 2 or K < 2:
        empty = pd.DataFrame(index=counts.index, columns=counts.columns, dtype=float)
        return Comparison(counts, shares, empty, np.nan, 0, np.nan, "not tested", 0.0,
                          "; ".join(notes + ["fewer than two regions or categories: no test"]), sim)
    obs = counts.to_numpy(dtype=float)
    N = obs.sum()
    rs, cs = obs.sum(axis=1, keepdims=True), obs.sum(axis=0, keepdims=True)
    E = rs @ cs / N
    chi2 = float(((obs - E) ** 2 / E).sum())
    dof = (R - 1) * (K - 1)
    small_share = float((E < 5).mean())
    if small_share > 0.2:
        rng = np.random.default_rng(seed)
        tables = stats.random_table(rs.ravel().astype(int), cs.ravel().astype(int), seed=rng).rvs(simulations)
        sims = ((tables - E) ** 2 / E).sum(axis=(1, 2))
        p = float((1 + (sims >= chi2 - 1e-9).sum()) / (simulations + 1))
        p_method = f"Monte Carlo ({simulations} random tables with the same margins)"
        notes.append(f"{small_share:.0%} of expected counts are below 5, so the p-value is Monte Carlo")
    else:
        p = float(stats.chi2.sf(chi2, dof))
        p_method = "asymptotic chi-square"
    adj = (obs - E) / np.sqrt(E * (1 - rs / N) * (1 - cs / N))
    resid = pd.DataFrame(adj, index=counts.index, columns=counts.columns)
    pr = 2 * stats.norm.sf(np.abs(adj))
    qr = bh_qvalues(pr.ravel()).reshape(pr.shape)
    method = (f"Counts of incidents per {by} and {of} (an incident with several {of} counts in each); "
              f"homogeneity of the {of} mix across {R} {by} values by Pearson's chi-square ({p_method}); "
              f"a cell is over-represented when its adjusted standardized residual is positive with "
              f"Benjamini-Hochberg q < {alpha:g} across the {R * K} cells.")
    base = base or Filters()
    findings = []
    nat = cs.ravel() / N
    for i, j in zip(*np.nonzero((qr < alpha) & (adj > 0)), strict=False):
        region, key = counts.index[i], counts.columns[j]
        share = shares.iat[i, j]
        ratio = share / nat[j] if nat[j] else np.inf
        title = (f"{region}: {key} is {share:.0%} of incidents vs {nat[j]:.0%} overall "
                 f"({ratio:.1f}x; {int(obs[i, j])} incidents, q = {qr[i, j]:.3g})")
        nums = {"region": str(region), "key": str(key), "observed": int(obs[i, j]), "expected": float(E[i, j]),
                "share": float(share), "overall_share": float(nat[j]), "ratio": float(ratio),
                "residual": float(adj[i, j]), "p": float(pr[i, j]), "q": float(qr[i, j])}
        filt = base.replace(categories=categories_for(str(key), of))
        if by == "admin1":
            filt = filt.replace(admin1=(str(region),))
        findings.append(Finding("region", title, method, nums, filt, score=float(adj[i, j])))
    findings.sort(key=lambda f: -f.score)
    return Comparison(counts, shares, resid, chi2, dof, p, p_method, small_share, "; ".join(notes), sim,
                      findings, method)


def _as_range(r) -> tuple[pd.Timestamp, pd.Timestamp]:
    if not isinstance(r, (tuple, list)) or len(r) != 2:
        raise ValueError(f"a period is a (start, end) pair of dates, not {r!r}")
    a, b = pd.Timestamp(r[0]).normalize(), pd.Timestamp(r[1]).normalize()
    if b < a:
        raise ValueError(f"period {r!r} ends before it starts")
    return a, b


def period_vs_period(df: pd.DataFrame, a, b, by: str | None = "category", alpha: float = 0.05,
                     base: Filters | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    """Daily incident rates per key in period ``b`` against period ``a`` (both inclusive).

    Returns
    -------
    (table, findings): table columns ``key``, ``count_a``, ``count_b``, ``days_a``, ``days_b``,
    ``rate_a``, ``rate_b`` (per day), ``rate_ratio``, ``ci_low``, ``ci_high``, ``p``, ``q``;
    findings (kind ``'change'``) for keys with q < alpha, largest |log ratio| first.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"date": pd.to_datetime(["2022-03-01"] * 5 + ["2022-04-01"] * 30),
    ...                    "admin1": "Kyiv", "categories": [["energy"]] * 35})
    >>> t, f = period_vs_period(df, ("2022-03-01", "2022-03-31"), ("2022-04-01", "2022-04-30"))
    >>> r = t.iloc[0]
    >>> r.key, int(r.count_a), int(r.count_b), round(float(r.rate_ratio), 2), len(f)
    ('energy', 5, 30, 6.2, 1)
    """
    require(df, ["date"], "period_vs_period")
    (a0, a1), (b0, b1) = _as_range(a), _as_range(b)
    da, db = (a1 - a0).days + 1, (b1 - b0).days + 1
    d = dates(df).to_numpy()
    long = explode_keys(df, by)
    dd = d[long["_row"].to_numpy()]
    in_a = (dd >= a0.to_datetime64()) & (dd <= a1.to_datetime64())
    in_b = (dd >= b0.to_datetime64()) & (dd <= b1.to_datetime64())
    long["w"] = weights(df)[long["_row"].to_numpy()]
    ca = long[in_a].groupby("key")["w"].sum()
    cb = long[in_b].groupby("key")["w"].sum()
    keys = ca.index.union(cb.index)
    t = pd.DataFrame({"key": keys, "count_a": ca.reindex(keys, fill_value=0).to_numpy(),
                      "count_b": cb.reindex(keys, fill_value=0).to_numpy()})
    t["days_a"], t["days_b"] = da, db
    t["rate_a"], t["rate_b"] = t["count_a"] / da, t["count_b"] / db
    with np.errstate(divide="ignore", invalid="ignore"):
        t["rate_ratio"] = t["rate_b"] / t["rate_a"]
    pi0 = db / (da + db)
    n = (t["count_a"] + t["count_b"]).to_numpy()
    k = t["count_b"].to_numpy()
    p = np.array([stats.binomtest(int(kk), int(nn), pi0).pvalue if nn else 1.0 for kk, nn in zip(k, n, strict=False)])
    lo = np.where(k > 0, stats.beta.ppf(0.025, k, n - k + 1), 0.0)
    hi = np.where(k < n, stats.beta.ppf(0.975, k + 1, n - k), 1.0)
    conv = da / db

    def to_rr(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return x / (1 - x) * conv

    t["ci_low"], t["ci_high"] = to_rr(lo), to_rr(hi)
    t["p"] = p
    t["q"] = bh_qvalues(p)
    method = (f"Daily incident rates per {by or 'all'} in {b0.date()}..{b1.date()} ({db} days) against "
              f"{a0.date()}..{a1.date()} ({da} days): rate ratio with a Clopper-Pearson 95% interval and the "
              f"exact conditional binomial test of equal rates, Benjamini-Hochberg at {alpha:.0%} across "
              f"{len(t)} keys.")
    base = base or Filters()
    findings = []
    for r in t[t["q"] < alpha].itertuples(index=False):
        rr = r.rate_ratio
        word = "up" if rr > 1 else "down"
        title = (f"{r.key}: {r.count_b} incidents vs {r.count_a} ({word}, rate ratio {rr:.2f}, "
                 f"95% CI {r.ci_low:.2f}-{r.ci_high:.2f}; q = {r.q:.3g})")
        nums = {"key": str(r.key), "count_a": int(r.count_a), "count_b": int(r.count_b), "rate_ratio": float(rr),
                "ci_low": float(r.ci_low), "ci_high": float(r.ci_high), "p": float(r.p), "q": float(r.q)}
        filt = base.replace(date_from=b0.date(), date_to=b1.date())
        if by in ("category", "group"):
            filt = filt.replace(categories=categories_for(str(r.key), by))
        elif by == "admin1":
            filt = filt.replace(admin1=(str(r.key),))
        score = abs(float(np.log(rr))) if rr > 0 and np.isfinite(rr) else 50.0
        findings.append(Finding("change", title, method, nums, filt, score=score))
    findings.sort(key=lambda f: -f.score)
    return t, findings

