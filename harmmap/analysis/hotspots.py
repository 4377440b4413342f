"""Hot spots over H3 cells: Getis-Ord Gi*, and the ArcGIS-style Emerging Hot Spot Analysis.

Study area and weights: the cells with incidents plus their first ring (``h3.grid_disk(c, 1)``),
so that empty cells next to busy ones count as zeros; each cell's neighbours are the cells of
its first ring inside the study area, binary weights, the cell itself included (Gi*). Cells are
hot (cold) when z > 0 (< 0) and the two-sided p-value, Benjamini-Hochberg adjusted across all
cells of the study area (per time step for the emerging analysis), is below 0.10 / 0.05 / 0.01:
the 90 / 95 / 99% classes (``gi_bin`` +-1 / +-2 / +-3, as in ArcGIS).

Emerging Hot Spot Analysis (after ArcGIS Pro's definitions; ``freq`` bins, Gi* per time step,
Mann-Kendall trend test of each cell's Gi* z-scores over time, two-sided, alpha 0.05):

- **new**: hot in the final time step and never hot before.
- **consecutive**: a single uninterrupted run of at least two hot steps ending at the final step,
  never hot before that run, and fewer than 90% of all steps hot.
- **intensifying**: hot in at least 90% of the steps including the final one, and the
  intensity of clustering increases significantly (Mann-Kendall).
- **persistent**: hot in at least 90% of the steps including the final one, with no significant trend.
- **diminishing**: hot in at least 90% of the steps including the final one, and the intensity
  decreases significantly.
- **sporadic**: hot in the final step, on-and-off before, fewer than 90% of steps hot, and never cold.
- **oscillating**: hot in the final step, cold in at least one earlier step, fewer than 90% of steps hot.
- **historical**: not hot in the final step, but hot in at least 90% of the steps.

The same eight classes apply to cold spots ("new cold spot", ...). ArcGIS wants at least 10 time
steps; with fewer, the method sentence says so.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from harmmap.analysis._common import norm_freq, period_range, period_start, require, weights
from harmmap.analysis.findings import Finding, bh_qvalues
from harmmap.query import Filters

__all__ = ["getis_ord", "detect_hotspots", "emerging_hotspots", "mann_kendall", "study_area",
           "gi_star_z", "emerging_findings", "area_cells", "EHSA_PATTERNS"]

EHSA_PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
                 "oscillating", "historical")
_CONF = ((0.01, 3, "99%"), (0.05, 2, "95%"), (0.10, 1, "90%"))


def _hex(c: int) -> str:
    return h3.int_to_str(int(c) & 0xFFFFFFFFFFFFFFFF)


def _int(c: str) -> int:
    v = h3.str_to_int(c)
    return v - (1 << 64) if v >= (1 << 63) else v


def _cell_counts(df: pd.DataFrame, resolution: int, extra=()) -> pd.DataFrame:
    """Columns h3 (int64), incidents [, extra] from incidents or from hex counts."""
    if not 4 <= resolution <= 8:
        raise ValueError(f"resolution must be between 4 and 8, not {resolution}")
    if "h3" in df.columns and "date" not in df.columns:
        h = df["h3"]
        if h.dtype == object or pd.api.types.is_string_dtype(h):
            h = h.map(_int)
        cnt = pd.to_numeric(df.get("incidents", pd.Series(1, index=df.index)), errors="coerce").fillna(0)
        res = {h3.get_resolution(_hex(c)) for c in h.head(5)}
        if res and res != {resolution}:
            raise ValueError(f"hex counts are at resolution {sorted(res)}, not {resolution}")
        return pd.DataFrame({"h3": h.astype("int64").to_numpy(), "incidents": cnt.to_numpy()})
    col = f"h3_r{resolution}"
    if col in df.columns:
        cells = pd.to_numeric(df[col], errors="coerce").fillna(0).astype("int64").to_numpy()
    else:
        require(df, ["lon", "lat"], "getis_ord")
        from harmmap.schema import h3_cells

        cells = h3_cells(df["lat"], df["lon"])[col]
    out = pd.DataFrame({"h3": cells, "incidents": weights(df)})
    for c in extra:
        out[c] = df[c].to_numpy()
    return out[out["h3"] != 0]


def area_cells(bbox=None, resolution: int = 6, polygon=None) -> np.ndarray:
    """H3 cells (int64) whose centres fall in a bbox (lon_min, lat_min, lon_max, lat_max) or a
    shapely (Multi)Polygon in EPSG:4326: a study area for :func:`getis_ord`.

    >>> len(area_cells((30.0, 50.0, 31.0, 51.0), resolution=5)) > 20
    True
    """
    import shapely

    if polygon is None:
        if bbox is None:
            raise ValueError("give a bbox or a polygon")
        polygon = shapely.box(*bbox)
    shape = h3.geo_to_h3shape(polygon)
    return np.array(sorted(_int(c) for c in h3.h3shape_to_cells(shape, resolution)), dtype=np.int64)


def study_area(cells, area=None) -> tuple[np.ndarray, sp.csr_matrix]:
    """The cells plus their first ring (or, given ``area``, the area's cells plus the cells), and
    the binary Gi* weights (self included) as CSR.

    >>> import h3
    >>> c = h3.str_to_int(h3.latlng_to_cell(50.45, 30.52, 6))
    >>> ids, w = study_area([c])
    >>> len(ids), int(w.sum(axis=1).max())
    (7, 7)
    """
    seeds = pd.unique(np.asarray(cells, dtype=np.int64))
    ring = {c: [_int(x) for x in h3.grid_disk(_hex(c), 1)] for c in seeds.tolist()}
    if area is None:
        allc = np.unique(np.fromiter((x for v in ring.values() for x in v), dtype=np.int64))
    else:
        allc = np.union1d(_as_ints(area), seeds)
    # neighbours of every study cell (ring members too), restricted to the study area
    lists = [ring.get(c) or [_int(x) for x in h3.grid_disk(_hex(c), 1)] for c in allc.tolist()]
    lens = np.fromiter((len(v) for v in lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter((x for v in lists for x in v), dtype=np.int64, count=int(lens.sum()))
    r = np.repeat(np.arange(len(allc)), lens)
    k = pd.Index(allc).get_indexer(flat)
    r, k = r[k >= 0], k[k >= 0]
    w = sp.csr_matrix((np.ones(len(r)), (r, k)), shape=(len(allc), len(allc)))
    return allc, w


def _as_ints(cells) -> np.ndarray:
    vals = list(cells)
    if vals and isinstance(vals[0], str):
        return np.array([_int(c) for c in vals], dtype=np.int64)
    return np.asarray(vals, dtype=np.int64)


def gi_star_z(Y: np.ndarray, w: sp.csr_matrix) -> np.ndarray:
    """Analytic Gi* z-scores (binary weights incl. self) for each column of ``Y`` (cells x steps).

    Same statistic as ``esda.G_Local(y, w, transform='B', star=True).Zs``; NaN where a column is constant.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    n = Y.shape[0]
    card = np.asarray(w.sum(axis=1)).ravel()[:, None]
    mean = Y.mean(axis=0, keepdims=True)
    sd = Y.std(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        num = w @ Y - mean * card
        den = sd * np.sqrt((n * card - card ** 2) / (n - 1))
        z = num / den
    z[~np.isfinite(z)] = np.nan
    return z


def _classes(z, q):
    gi_bin = np.zeros(len(z), dtype=np.int64)
    label = np.full(len(z), "not significant", dtype=object)
    for thr, b, name in _CONF[::-1]:
        sig = (q < thr) & np.isfinite(z)
        gi_bin[sig & (z > 0)] = b
        gi_bin[sig & (z < 0)] = -b
        label[sig & (z > 0)] = f"hot spot {name}"
        label[sig & (z < 0)] = f"cold spot {name}"
    return gi_bin, label


def getis_ord(df: pd.DataFrame, resolution: int = 6, permutations: int = 0, seed: int = 0,
              area=None) -> pd.DataFrame:
    """Getis-Ord Gi* per H3 cell of the study area (esda.G_Local, binary weights, star).

    Parameters
    ----------
    df : DataFrame
        Incidents (``h3_r<resolution>`` or ``lon``/``lat``) or hex counts (``h3``, ``incidents``).
    resolution : int
        5 (~253 km²), 6 (~36 km²) or 7 (~5 km²).
    permutations : int
        0: analytic (normal) p-values; otherwise conditional-randomization pseudo p-values
        from esda (one-sided, folded, doubled for a two-sided test).
    area : iterable of H3 cells, optional
        The study area at ``resolution`` (e.g. ``area_cells(polygon=ukraine, resolution=6)``).
        Default: the cells with incidents and their first ring. Give it when the ring would reach
        places where no incident could be recorded (abroad, the sea): such structural zeros lower
        the mean and make busy cells look hot.

    Returns
    -------
    DataFrame: ``h3`` (int64), ``h3_hex``, ``incidents``, ``z``, ``p`` (two-sided), ``q`` (BH),
    ``gi_bin`` (-3..3) and ``class`` ('hot spot 99%', ..., 'not significant').

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> lon = np.r_[rng.uniform(30, 34, 3000), rng.normal(36.23, 0.05, 400)]
    >>> lat = np.r_[rng.uniform(48, 51, 3000), rng.normal(49.99, 0.03, 400)]
    >>> g = getis_ord(pd.DataFrame({"lon": lon, "lat": lat}), resolution=6)
    >>> hot = g[g.gi_bin == 3]
    >>> bool(len(hot)) and bool(((hot.lat_c - 49.99).abs() < 0.3).all())
    True
    """
    from esda import G_Local
    from libpysal.weights import WSP

    counts = _cell_counts(df, resolution).groupby("h3")["incidents"].sum()
    cols = ["h3", "h3_hex", "incidents", "z", "p", "q", "gi_bin", "class", "lat_c", "lon_c"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    cells, w = study_area(counts.index.to_numpy(), area)
    y = counts.reindex(cells, fill_value=0).to_numpy(dtype=float)
    if len(cells) < 3 or y.std() == 0:
        z = np.full(len(cells), np.nan)
        p = np.ones(len(cells))
    else:
        W = WSP(w).to_W(silence_warnings=True)
        g = G_Local(y, W, transform="B", star=True, permutations=permutations, seed=seed,
                    keep_simulations=False, n_jobs=1)
        z = np.asarray(g.Zs, dtype=float)
        p = (np.minimum(2 * np.asarray(g.p_sim, dtype=float), 1.0) if permutations
             else 2 * stats.norm.sf(np.abs(z)))
    p = np.where(np.isfinite(z), p, 1.0)
    q = bh_qvalues(p)
    gi_bin, label = _classes(z, q)
    hexes = [_hex(c) for c in cells]
    latlng = np.array([h3.cell_to_latlng(h) for h in hexes])
    return pd.DataFrame({"h3": cells, "h3_hex": hexes, "incidents": y.astype("int64"), "z": z, "p": p,
                         "q": q, "gi_bin": gi_bin, "class": label, "lat_c": latlng[:, 0],
                         "lon_c": latlng[:, 1]})[cols]


def _components(cells: np.ndarray) -> np.ndarray:
    """Connected components (first-ring adjacency) of a set of cells."""
    from scipy.sparse.csgraph import connected_components

    if len(cells) == 0:
        return np.zeros(0, dtype=np.int64)
    ids, w = study_area(cells)
    keep = pd.Index(ids).get_indexer(cells)
    sub = w[keep][:, keep]
    return connected_components(sub, directed=False)[1]


def detect_hotspots(df: pd.DataFrame, resolution: int = 6, confidence: float = 0.95, permutations: int = 0,
                    cold: bool = False, base: Filters | None = None, seed: int = 0, area=None) -> list[Finding]:
    """Clusters of adjacent hot (or cold) cells at ``confidence`` or more, largest first.

    Returns
    -------
    list of Finding (kind ``'hotspot'``); filters carry the cluster's H3 cells.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> lon = np.r_[rng.uniform(30, 34, 3000), rng.normal(36.23, 0.05, 400)]
    >>> lat = np.r_[rng.uniform(48, 51, 3000), rng.normal(49.99, 0.03, 400)]
    >>> f = detect_hotspots(pd.DataFrame({"lon": lon, "lat": lat}))
    >>> len(f), f[0].numbers["incidents"] >= 300
    (1, True)
    """
    need = {0.90: 1, 0.95: 2, 0.99: 3}.get(round(confidence, 2))
    if need is None:
        raise ValueError(f"confidence must be 0.90, 0.95 or 0.99, not {confidence}")
    g = getis_ord(df, resolution, permutations, seed, area)
    if g.empty:
        return []
    where = ("the study area's cells" if area is not None
             else "the cells with incidents and their first ring")
    pv = f"conditional randomization with {permutations} permutations" if permutations else "normal approximation"
    method = (f"Getis-Ord Gi* over H3 resolution-{resolution} cells ({where}, empty cells as zeros; binary first-ring weights including the cell), two-sided "
              f"p-values by {pv}, Benjamini-Hochberg FDR across the {len(g)} cells; clusters of adjacent "
              f"cells that are {'cold' if cold else 'hot'} spots at {confidence:.0%} confidence or more.")
    base = base or Filters()
    out = []
    for sign in ([-1] if cold else [1]):
        sel = g[g["gi_bin"] * sign >= need]
        if sel.empty:
            continue
        comp = _components(sel["h3"].to_numpy())
        for _, part in sel.groupby(comp):
            n_inc = int(part["incidents"].sum())
            kind = "Cold" if sign < 0 else "Hot"
            top = part.loc[part["z"].abs().idxmax()]
            title = (f"{kind} spot: {len(part)} cell(s) around {top.lat_c:.3f}, {top.lon_c:.3f} with "
                     f"{n_inc} incidents (max |z| = {abs(top.z):.1f}, q = {part['q'].min():.3g})")
            nums = {"cells": len(part), "incidents": n_inc, "z_max": float(part["z"].abs().max()),
                    "p": float(part["p"].min()), "q": float(part["q"].min()), "resolution": resolution,
                    "lat": float(top.lat_c), "lon": float(top.lon_c)}
            out.append(Finding("hotspot", title, method, nums,
                               base.replace(h3_cells=tuple(part["h3_hex"])), score=float(n_inc)))
    out.sort(key=lambda f: -f.score)
    return out


def mann_kendall(X: np.ndarray) -> pd.DataFrame:
    """Mann-Kendall trend test for each row of ``X`` (series x time), with the tie correction.

    Returns ``s``, ``tau`` (Kendall's tau-a), ``z`` (continuity-corrected) and ``p`` (two-sided).
    NaNs are treated as ties at the series' lowest value.

    >>> r = mann_kendall(np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10.0], [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]]))
    >>> r.p.round(4).tolist()[0] < 0.001, r.s.tolist()[0]
    (True, 45.0)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[None, :]
    X = np.where(np.isnan(X), np.nanmin(np.where(np.isnan(X), np.inf, X), axis=1, keepdims=True), X)
    X = np.where(np.isinf(X), 0.0, X)
    m, n = X.shape
    s = np.zeros(m)
    for k in range(1, n):
        s += np.sign(X[:, k:] - X[:, :-k]).sum(axis=1)
    srt = np.sort(X, axis=1)
    new = np.ones_like(srt, dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    run = np.cumsum(new, axis=1) - 1 + (np.arange(m) * n)[:, None]
    t = np.bincount(run.ravel(), minlength=m * n).reshape(m, n).astype(float)
    var = (n * (n - 1) * (2 * n + 5) - (t * (t - 1) * (2 * t + 5)).sum(axis=1)) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    z = np.where(var > 0, z, 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    tau = s / (n * (n - 1) / 2) if n > 1 else np.zeros(m)
    return pd.DataFrame({"s": s, "tau": tau, "z": z, "p": p})


def _ehsa(hot: np.ndarray, cold: np.ndarray, trend: np.ndarray) -> np.ndarray:
    """Pattern per row from boolean hot/cold (cells x steps) and the MK trend sign (+1/-1/0)."""
    m, T = hot.shape
    out = np.full(m, "", dtype=object)
    for is_hot, other, name in ((hot, cold, "hot spot"), (cold, hot, "cold spot")):
        final = is_hot[:, -1]
        frac = is_hot.mean(axis=1)
        ever_before = is_hot[:, :-1].any(axis=1)
        # length of the run of hot steps ending at the final step
        rev = is_hot[:, ::-1]
        run_len = np.where(rev.all(axis=1), T, np.argmin(rev, axis=1))
        hot_before_run = np.array([is_hot[i, :T - run_len[i]].any() for i in range(m)]) if m else np.zeros(0, bool)
        other_before = other[:, :-1].any(axis=1)
        tr = trend if name == "hot spot" else -trend
        lab = np.full(m, "", dtype=object)
        ninety = frac >= 0.9
        lab[~final & ninety] = "historical"
        lab[final & ninety & (tr > 0)] = "intensifying"
        lab[final & ninety & (tr < 0)] = "diminishing"
        lab[final & ninety & (tr == 0)] = "persistent"
        rest = final & ~ninety
        lab[rest & ~ever_before] = "new"
        lab[rest & ever_before & (run_len >= 2) & ~hot_before_run] = "consecutive"
        left = rest & (lab == "")
        lab[left & other_before] = "oscillating"
        lab[left & ~other_before] = "sporadic"
        has = (lab != "") & (out == "")
        out[has] = np.char.add(lab[has].astype(str), " " + name)
    out[out == ""] = "no pattern"
    return out


def emerging_hotspots(df: pd.DataFrame, resolution: int = 6, freq: str = "M", alpha: float = 0.05,
                      trend_alpha: float = 0.05, start=None, end=None, area=None) -> pd.DataFrame:
    """Emerging Hot Spot Analysis: Gi* per cell and time step, Mann-Kendall trend, ArcGIS classes.

    Parameters
    ----------
    df : DataFrame
        Incidents with ``date`` and ``h3_r<resolution>`` (or ``lon``/``lat``).
    freq : {'D', 'W', 'M'}
        Time-step length; empty steps inside the range count (as zeros).
    alpha : float
        Hot/cold in a step: two-sided Gi* p, Benjamini-Hochberg within the step, below ``alpha``.
    trend_alpha : float
        Level of the Mann-Kendall test on each cell's z-scores.
    area : iterable of H3 cells, optional
        The study area (see :func:`getis_ord`).

    Returns
    -------
    DataFrame per study cell: ``h3``, ``h3_hex``, ``incidents``, ``pattern`` (e.g. 'new hot spot',
    'no pattern'), ``steps_hot``, ``steps_cold``, ``final_z``, ``mk_tau``, ``mk_z``, ``mk_p``;
    ``attrs['method']`` holds the method sentence and ``attrs['steps']`` the time steps.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 6000
    >>> d = pd.to_datetime("2022-03-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    >>> df = pd.DataFrame({"date": d, "lon": rng.uniform(30, 34, n), "lat": rng.uniform(48, 51, n)})
    >>> late = pd.DataFrame({"date": pd.to_datetime("2023-02-10") + pd.to_timedelta(rng.integers(0, 17, 200), unit="D"),
    ...                      "lon": rng.normal(32.0, 0.03, 200), "lat": rng.normal(49.5, 0.02, 200)})
    >>> e = emerging_hotspots(pd.concat([df, late]), resolution=6)
    >>> sorted(set(e.pattern) - {"no pattern"})
    ['new hot spot']
    """
    freq = norm_freq(freq)
    cc = _cell_counts(df, resolution, extra=["date"] if "date" in df.columns else [])
    require(cc, ["date"], "emerging_hotspots")
    cc["step"] = period_start(pd.to_datetime(cc["date"]).dt.normalize(), freq)
    cc = cc[cc["step"].notna()]
    cols = ["h3", "h3_hex", "incidents", "pattern", "steps_hot", "steps_cold", "final_z", "mk_tau", "mk_z", "mk_p"]
    if cc.empty:
        return pd.DataFrame(columns=cols)
    steps = period_range(cc["step"].min() if start is None else period_start(pd.Series([pd.Timestamp(start)]), freq)[0],
                         cc["step"].max() if end is None else period_start(pd.Series([pd.Timestamp(end)]), freq)[0],
                         freq)
    cells, w = study_area(cc["h3"].unique(), area)
    tab = cc.groupby(["h3", "step"])["incidents"].sum().unstack("step", fill_value=0)
    Y = tab.reindex(index=cells, columns=steps, fill_value=0).to_numpy(dtype=float)
    Z = gi_star_z(Y, w)
    P = 2 * stats.norm.sf(np.abs(np.nan_to_num(Z)))
    P[np.isnan(Z)] = 1.0
    Q = np.column_stack([bh_qvalues(P[:, j]) for j in range(P.shape[1])])
    hot = (Q < alpha) & (Z > 0)
    cold = (Q < alpha) & (Z < 0)
    mk = mann_kendall(Z)
    trend = np.where(mk["p"] < trend_alpha, np.sign(mk["s"]), 0.0)
    pattern = _ehsa(hot, cold, trend)
    T = len(steps)
    note = " (fewer than the 10 time steps ArcGIS asks for: read trends with care)" if T < 10 else ""
    method = (f"Emerging Hot Spot Analysis after ArcGIS Pro: Getis-Ord Gi* per H3 resolution-{resolution} "
              f"cell in each of {T} {dict(D='daily', W='weekly', M='monthly')[freq]} time steps{note} "
              f"(first-ring neighbours, empty cells as zeros), hot/cold when the Benjamini-Hochberg adjusted "
              f"two-sided p < {alpha:g} within the step; the Mann-Kendall test (two-sided, {trend_alpha:g}) "
              f"on each cell's z-scores separates intensifying, persistent and diminishing spots.")
    out = pd.DataFrame({"h3": cells, "h3_hex": [_hex(c) for c in cells], "incidents": Y.sum(axis=1).astype("int64"),
                        "pattern": pattern, "steps_hot": hot.sum(axis=1), "steps_cold": cold.sum(axis=1),
                        "final_z": Z[:, -1], "mk_tau": mk["tau"].to_numpy(), "mk_z": mk["z"].to_numpy(),
                        "mk_p": mk["p"].to_numpy()})[cols]
    out.attrs["method"] = method
    out.attrs["steps"] = list(steps)
    return out


def emerging_findings(table: pd.DataFrame, base: Filters | None = None) -> list[Finding]:
    """One finding per emerging pattern present (cells of that class), most cells first.

    >>> emerging_findings(pd.DataFrame(columns=["pattern"]))
    []
    """
    base = base or Filters()
    out = []
    method = table.attrs.get("method", "Emerging Hot Spot Analysis.")
    for pat, part in table[table["pattern"] != "no pattern"].groupby("pattern"):
        n_inc = int(part["incidents"].sum())
        title = f"{pat.capitalize()}: {len(part)} cell(s), {n_inc} incidents"
        nums = {"pattern": pat, "cells": len(part), "incidents": n_inc,
                "mk_tau_median": float(part["mk_tau"].median())}
        out.append(Finding("emerging", title, method, nums, base.replace(h3_cells=tuple(part["h3_hex"])),
                           score=float(len(part))))
    out.sort(key=lambda f: -f.score)
    return out

