"""Shared helpers: category -> group, one row per (incident, key), period starts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harmmap.taxonomy import UNCLASSIFIED, load_taxonomy

FREQS = {"D": "D", "day": "D", "W": "W", "week": "W", "M": "M", "month": "M"}


def norm_freq(freq: str) -> str:
    try:
        return FREQS[freq]
    except KeyError:
        raise ValueError(f"freq must be one of D, W, M (or day, week, month), not {freq!r}") from None


def require(df: pd.DataFrame, cols, what: str) -> None:
    """Raise ValueError unless ``df`` has ``cols`` (``categories`` may be given as ``eff_mask``)."""
    missing = [c for c in cols if c not in df.columns and not (c == "categories" and has_mask(df))]
    if missing:
        raise ValueError(f"{what}: the incident table lacks column(s) {', '.join(missing)}; "
                         f"it has {', '.join(map(str, df.columns))}")


def dates(df: pd.DataFrame) -> pd.Series:
    """The ``date`` column as midnight datetime64 (strings and dates accepted)."""
    return pd.to_datetime(df["date"], errors="coerce").dt.normalize()


def period_start(d: pd.Series, freq: str) -> pd.Series:
    """Start of the day / ISO week (Monday) / month containing each date."""
    freq = norm_freq(freq)
    if freq == "D":
        return d
    if freq == "W":
        return d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    return d.dt.to_period("M").dt.to_timestamp()


def period_range(start, end, freq: str) -> pd.DatetimeIndex:
    freq = norm_freq(freq)
    alias = {"D": "D", "W": "W-MON", "M": "MS"}[freq]
    return pd.date_range(start, end, freq=alias)


def period_end(start: pd.Timestamp, freq: str) -> pd.Timestamp:
    freq = norm_freq(freq)
    if freq == "D":
        return start
    if freq == "W":
        return start + pd.Timedelta(days=6)
    return start + pd.offsets.MonthEnd(0)


def weights(df: pd.DataFrame) -> np.ndarray:
    """How many incidents each row stands for: the ``incidents`` column of grouped counts (see
    :meth:`harmmap.stores.sql.SqlStore.analysis_counts`), else 1 (a row per incident)."""
    if "incidents" in df.columns:
        return pd.to_numeric(df["incidents"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    return np.ones(len(df), dtype=np.int64)


def has_mask(df: pd.DataFrame) -> bool:
    """Whether ``df`` gives its categories as the store's bit mask (``eff_mask`` and
    ``attrs['category_bits']``, see :meth:`harmmap.stores.sql.SqlStore.analysis_rows`) instead of lists."""
    return "categories" not in df.columns and "eff_mask" in df.columns and bool(df.attrs.get("category_bits"))


def _mask_lists(df: pd.DataFrame) -> pd.Series:
    """The bit masks decoded: one shared list object per distinct mask (sorted category names)."""
    bits = df.attrs["category_bits"]
    m = pd.to_numeric(df["eff_mask"]).fillna(1).to_numpy(dtype=np.int64)
    uniq, inv = np.unique(m, return_inverse=True)
    lists = []
    for u in uniq.tolist():
        cats = sorted(c for c, b in bits.items() if c != UNCLASSIFIED and (u >> b) & 1)
        lists.append(cats or [UNCLASSIFIED])
    table = np.empty(len(lists), dtype=object)
    table[:] = lists
    return pd.Series(table[inv.reshape(-1)], index=df.index, dtype=object)


def in_categories(df: pd.DataFrame, cats) -> np.ndarray:
    """Boolean array: rows with at least one of ``cats`` (``unclassified``: rows without a category)."""
    catset = set(cats)
    if has_mask(df):
        bits = df.attrs["category_bits"]
        m = pd.to_numeric(df["eff_mask"]).fillna(1).to_numpy(dtype=np.int64)
        want = sum(1 << bits[c] for c in catset if c in bits and c != UNCLASSIFIED)
        out = (m & want) != 0
        if UNCLASSIFIED in catset:
            out |= (m & ~np.int64(1 << bits.get(UNCLASSIFIED, 0))) == 0
        return out
    return cat_lists(df).map(lambda lst: not catset.isdisjoint(lst)).to_numpy(dtype=bool)


def cat_lists(df: pd.DataFrame) -> pd.Series:
    """``categories`` with empty/missing lists as ``['unclassified']`` (decoded from ``eff_mask`` when the
    frame gives the bit mask instead, see :func:`has_mask`)."""
    if has_mask(df):
        return _mask_lists(df)
    if "categories" not in df.columns:
        return pd.Series([[UNCLASSIFIED]] * len(df), index=df.index, dtype=object)

    def fix(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return [UNCLASSIFIED]
        if isinstance(v, str):
            return [v] if v else [UNCLASSIFIED]
        v = list(v)
        return v if v else [UNCLASSIFIED]

    vals = [v if type(v) is list and v else fix(v) for v in df["categories"].tolist()]
    return pd.Series(vals, index=df.index, dtype=object)


def explode_keys(df: pd.DataFrame, by: str | None, *, keep=()) -> pd.DataFrame:
    """One row per (incident, key) for ``by`` in category|group|admin1|None.

    Multi-label incidents count once per key they belong to (once per group, even when two of
    their categories share the group). Returns ``_row`` (position in ``df``), ``key`` and ``keep``.
    """
    n = len(df)
    base = pd.DataFrame({"_row": np.arange(n)})
    for c in keep:
        base[c] = df[c].to_numpy()
    if by is None:
        base["key"] = "all"
        return base
    if by == "admin1":
        base["key"] = df["admin1"].astype("string").fillna("(unknown)").to_numpy()
        return base
    if by not in ("category", "group"):
        raise ValueError(f"by must be 'category', 'group', 'admin1' or None, not {by!r}")
    cats = cat_lists(df)
    lens = cats.map(len).to_numpy()
    flat = np.fromiter((c for lst in cats for c in lst), dtype=object, count=int(lens.sum()))
    rows = np.repeat(np.arange(n), lens)
    out = base.iloc[rows].reset_index(drop=True)
    if by == "group":
        tax = load_taxonomy()
        uniq = pd.unique(flat)
        gmap = {c: tax.group_of(c) for c in uniq}
        out["key"] = pd.Series(flat).map(gmap).to_numpy()
        out = out.drop_duplicates(["_row", "key"])
    else:
        out["key"] = flat
    return out.reset_index(drop=True)


def categories_for(key: str, by: str | None) -> tuple[str, ...]:
    """Filter categories that select a key: a group's categories, or the category itself."""
    if by == "group":
        return tuple(load_taxonomy().categories_in(key))
    if by == "category":
        return (key,)
    return ()


def group_or_category(name: str) -> tuple[str, tuple[str, ...]]:
    """('group'|'category', categories) for a name that is a group id or a category id."""
    tax = load_taxonomy()
    if name in tax.groups:
        return "group", tuple(tax.categories_in(name))
    if name in tax.categories:
        return "category", (name,)
    raise ValueError(f"{name!r} is neither a taxonomy group ({', '.join(tax.groups)}) "
                     f"nor a category ({', '.join(tax.categories)})")
