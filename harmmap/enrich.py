"""Enrich canonical incidents: region (gazetteer names and point-in-polygon), target categories
(:func:`harmmap.classify.classify_frame`), H3 cells; and link the same event reported by several
sources (:func:`link_duplicates`).

Example
-------
>>> import pandas as pd
>>> from harmmap import schema
>>> gdf = schema.conform(pd.DataFrame({"incident_id": ["x:1"], "source": ["x"], "date": ["2022-03-01"],
...                                    "lon": [36.23], "lat": [49.99], "admin1_raw": ["Харківська область"]}))
>>> enrich(gdf, boundaries=False).loc[0, "admin1"]
'Kharkiv'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harmmap import gazetteer, schema

#: how close two reports must be to be the same event
DUPLICATE_KM = 1.0
DUPLICATE_DAYS = 1


def enrich(gdf, *, boundaries=None, classify: bool = True, facilities=None):
    """Set ``admin1`` (and ``admin2``), categories and H3 cells; return a new canonical frame.

    Parameters
    ----------
    gdf : canonical incidents (from a reader).
    boundaries : None = use the configured boundaries when there are some (``python -m harmmap
        boundaries load``); False = names only; or a level-1 GeoDataFrame with ``admin1``.
    classify : run :func:`harmmap.classify.classify_frame`.
    facilities : None = the configured facilities (``python -m harmmap facilities load``) as proximity
        evidence when there are some; False = none; or a :class:`harmmap.classify.FacilityIndex`.

    The located oblast wins over the named one; rows where they disagree are listed in
    ``out.attrs["enrich"]["admin1_disagreements"]`` (incident_id, named, located) and counted.
    """
    out = schema.conform(gdf).copy()
    n = len(out)
    named = gazetteer.normalize_admin1_series(out["admin1_raw"]) if n else pd.Series([], dtype="string")
    named = named.where(named.notna(), out["admin1"].map(
        lambda v: v if isinstance(v, str) and v in gazetteer.OBLASTS else None).astype("string"))
    admin1 = named.copy()
    info: dict = {"admin1_named": int(named.notna().sum()), "admin1_located": 0,
                  "admin1_disagreements_count": 0, "admin1_disagreements": []}
    b1 = None if boundaries is False else (gazetteer.boundaries(1) if boundaries is None else boundaries)
    if n and b1 is not None:
        lon = out.geometry.x.to_numpy()
        lat = out.geometry.y.to_numpy()
        loc = gazetteer.locate(lon, lat, 1, bounds=b1)["admin1"]
        loc.index = out.index
        info["admin1_located"] = int(loc.notna().sum())
        dis = loc.notna() & named.notna() & (loc != named)
        info["admin1_disagreements_count"] = int(dis.sum())
        info["admin1_disagreements"] = [
            {"incident_id": str(i), "named": str(a), "located": str(b), "admin1_raw": str(r)}
            for i, a, b, r in zip(out.loc[dis, "incident_id"], named[dis], loc[dis], out.loc[dis, "admin1_raw"], strict=False)][:200]
        admin1 = loc.where(loc.notna(), named)
        b2 = gazetteer.boundaries(2) if boundaries is None else None
        if b2 is not None:
            loc2 = gazetteer.locate(lon, lat, 2, bounds=b2)["admin2"]
            loc2.index = out.index
            out["admin2"] = loc2.where(loc2.notna(), out["admin2"]).astype("string")
    out["admin1"] = admin1.astype("string")
    info["admin1_missing"] = int(admin1.isna().sum())
    info["boundaries_configured"] = b1 is not None
    if classify and n:
        from harmmap.classify import classify_frame

        if facilities is None:
            from harmmap import facilities as _fac

            facilities = _fac.configured()
        cls = classify_frame(out, facilities=facilities or None)
        for c in ("categories", "category_confidence", "category_evidence"):
            if c in cls.columns:
                out[c] = cls[c].values
    out = schema.conform(out)
    out.attrs["enrich"] = info
    return out


def link_duplicates(new, existing: pd.DataFrame | None = None, *, km: float = DUPLICATE_KM,
                    days: int = DUPLICATE_DAYS) -> pd.Series:
    """For each new incident, the incident_id of an earlier report of the same event, or NA.

    The same event: within ``km`` kilometres, dates at most ``days`` apart, a different source,
    and compatible categories (they share one, or either side is unclassified). The primary is a
    row of ``existing`` (the store) when there is one, else an earlier row of ``new`` from another
    source; a primary that is itself a duplicate passes on its own primary. Nothing is deleted.

    ``existing`` has ``incident_id``, ``source``, ``date``, ``lon``, ``lat``, ``categories`` and
    optionally ``duplicate_of`` (what ``store.incidents`` returns).

    Example
    -------
    >>> import pandas as pd
    >>> new = pd.DataFrame({"incident_id": ["b:1"], "source": ["b"], "date": pd.to_datetime(["2022-03-02"]),
    ...                     "lon": [36.2301], "lat": [49.9901], "categories": [[]]})
    >>> old = pd.DataFrame({"incident_id": ["a:9"], "source": ["a"], "date": pd.to_datetime(["2022-03-01"]),
    ...                     "lon": [36.23], "lat": [49.99], "categories": [["health"]]})
    >>> link_duplicates(new, old).tolist()
    ['a:9']
    """
    from scipy.spatial import cKDTree

    new_df = _points(new)
    n_new = len(new_df)
    result = pd.Series([pd.NA] * n_new, dtype="string")
    if n_new == 0:
        return result
    old_df = _points(existing) if existing is not None and len(existing) else _points(new.iloc[:0])
    old_df = old_df[~old_df["incident_id"].isin(new_df["incident_id"])]
    allp = pd.concat([old_df.assign(_old=True), new_df.assign(_old=False)], ignore_index=True)
    lat0 = np.deg2rad(np.nanmean(allp["lat"])) if len(allp) else 0.0
    xy = np.column_stack([allp["lon"].to_numpy() * 111.32 * np.cos(lat0), allp["lat"].to_numpy() * 110.57])
    n_old = len(old_df)
    dates = allp["date"].to_numpy(dtype="datetime64[D]")
    # the tree holds place and day together (days scaled so that `days` apart counts like `km` apart): a
    # city with thousands of incidents over the years gives pairs only among reports days apart, not all
    # pairs within a kilometre (an ingest of 200,000 rows peaked at 1.1 GB instead of 2.5 GB); the exact tests follow
    okxy = np.isfinite(xy).all(axis=1) & ~np.isnat(dates)
    idx_map = np.flatnonzero(okxy)
    day = dates.astype("int64").astype(float)
    xyz = np.column_stack([xy, day * (km / days if days > 0 else km * 1e3)])
    srcs = allp["source"].astype("str").to_numpy()
    cats = allp["categories"].tolist()
    dup_of = allp["duplicate_of"].astype("object").where(allp["duplicate_of"].notna(), None).tolist() \
        if "duplicate_of" in allp.columns else [None] * len(allp)
    ids = allp["incident_id"].astype("str").to_numpy()
    pairs = cKDTree(xyz[okxy]).query_pairs(r=km * (1 + 1e-9), p=np.inf, output_type="ndarray") \
        if okxy.sum() > 1 else np.empty((0, 2), dtype=np.int64)
    if not len(pairs):
        return result
    i = idx_map[pairs[:, 0]]
    j = idx_map[pairs[:, 1]]
    lo_, hi_ = np.minimum(i, j), np.maximum(i, j)      # lo_ is earlier: the store, or earlier in the batch
    keep = (hi_ >= n_old) & (srcs[lo_] != srcs[hi_])
    lo_, hi_ = lo_[keep], hi_[keep]
    dd = np.abs((dates[lo_] - dates[hi_]).astype("int64"))
    keep = ~np.isnat(dates[lo_]) & ~np.isnat(dates[hi_]) & (dd <= days)
    lo_, hi_, dd = lo_[keep], hi_[keep], dd[keep]
    compat = np.array([not (cats[a] and cats[b] and not (set(cats[a]) & set(cats[b])))
                       for a, b in zip(lo_, hi_, strict=False)], dtype=bool)
    lo_, hi_, dd = lo_[compat], hi_[compat], dd[compat]
    if not len(lo_):
        return result
    dist = np.hypot(*(xy[lo_] - xy[hi_]).T)
    near = dist <= km
    lo_, hi_, dd, dist = lo_[near], hi_[near], dd[near], dist[near]
    order = np.lexsort((lo_, dist, dd, (lo_ >= n_old).astype(int), hi_))
    assigned: dict[int, str] = {}
    seen: set[int] = set()
    src_of = dict(zip(ids, srcs, strict=False))
    for k in order:
        a, b = int(lo_[k]), int(hi_[k])
        if b in seen:
            continue
        primary = dup_of[a] if dup_of[a] else assigned.get(a, ids[a])
        if src_of.get(primary) == srcs[b]:
            continue  # never link a source's report to another report of the same source
        seen.add(b)
        assigned[b] = primary
        result.iat[b - n_old] = primary
    return result


def _points(df) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame(columns=["incident_id", "source", "date", "lon", "lat", "categories"])
    d = pd.DataFrame(df).copy()
    if "lon" not in d.columns and "geometry" in d.columns:
        geo = d["geometry"]
        d["lon"] = [g.x if g is not None and not g.is_empty else np.nan for g in geo]
        d["lat"] = [g.y if g is not None and not g.is_empty else np.nan for g in geo]
    d["date"] = pd.to_datetime(d["date"], errors="coerce").astype("datetime64[ns]")
    if "categories" not in d.columns:
        d["categories"] = [[] for _ in range(len(d))]
    d["categories"] = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in d["categories"]]
    keep = ["incident_id", "source", "date", "lon", "lat", "categories"] + (
        ["duplicate_of"] if "duplicate_of" in d.columns else [])
    d = d[keep].reset_index(drop=True)
    d["lon"] = pd.to_numeric(d["lon"], errors="coerce").astype(float)
    d["lat"] = pd.to_numeric(d["lat"], errors="coerce").astype(float)
    return d
