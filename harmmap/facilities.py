"""Known facilities (schools, hospitals, power plants... from any points file), configured once and used as
proximity evidence by the classifier at ingest and by ``classify --all``, and drawn by the map's facilities layer.

``python -m harmmap facilities load FILE[:CATEGORY]`` stores the points (lon, lat, category, name) under
``$HARMMAP_FACILITIES_DIR`` (default data/cache/facilities/); the original file is not copied.

Example
-------
>>> import tempfile, os
>>> os.environ["HARMMAP_FACILITIES_DIR"] = tempfile.mkdtemp()
>>> configured() is None
True
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pandas as pd

from harmmap import paths

__all__ = ["facilities_dir", "load", "table", "configured", "remove"]


def facilities_dir() -> Path:
    """``$HARMMAP_FACILITIES_DIR`` or data/cache/facilities/."""
    env = os.environ.get("HARMMAP_FACILITIES_DIR")
    return Path(env) if env else paths.DATA / "cache" / "facilities"


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", s).strip("-")[:80] or "facilities"


def load(path: str | Path, category: str | None = None) -> dict:
    """Read a points file (category for all, else per feature from a ``category`` column or OSM tags)
    and store it; returns ``{"file", "stored", "points", "by_category", "skipped"}``.

    Raises ValueError (unknown category, no coordinates) or FileNotFoundError, with the file named.
    """
    from harmmap.classify import _osm_categories, _read_points, get_classifier

    path = Path(path)
    clf = get_classifier()
    df = _read_points(path)
    if category is not None:
        if category not in clf.order:
            raise ValueError(f"{path}: unknown category {category!r}; categories are {list(clf.order)}")
        cats = pd.Series([category] * len(df), index=df.index, dtype=object)
    elif "category" in df.columns:
        cats = df["category"].astype(object)
    else:
        cats = _osm_categories(df, clf.osm)
    names = df["name"] if "name" in df.columns else pd.Series([None] * len(df), index=df.index)
    out = pd.DataFrame({"lon": df["_lon"].astype(float), "lat": df["_lat"].astype(float),
                        "category": cats.astype("string"), "name": names.astype("string")})
    ok = out["lon"].between(-180, 180) & out["lat"].between(-90, 90) & out["category"].notna()
    skipped = int((~ok).sum())
    out = out[ok].reset_index(drop=True)
    if out.empty:
        raise ValueError(f"{path}: no usable facility points (need coordinates and a category)")
    d = facilities_dir()
    d.mkdir(parents=True, exist_ok=True)
    dest = d / f"{_slug(path.stem)}{'-' + category if category else ''}.parquet"
    tmp = dest.with_suffix(".tmp")
    out.assign(file=str(path.name)).to_parquet(tmp, index=False)
    tmp.replace(dest)
    return {"file": str(path), "stored": str(dest), "points": len(out), "skipped": skipped,
            "by_category": {str(k): int(v) for k, v in out["category"].value_counts().items()}}


def _key() -> tuple[tuple[str, float], ...]:
    d = facilities_dir()
    if not d.is_dir():
        return ()
    return tuple(sorted((str(p), p.stat().st_mtime) for p in d.glob("*.parquet")))


def table() -> pd.DataFrame:
    """Every configured facility: lon, lat, category, name, file (empty when none)."""
    return _table(_key())


@functools.lru_cache(maxsize=2)
def _table(key) -> pd.DataFrame:
    if not key:
        return pd.DataFrame(columns=["lon", "lat", "category", "name", "file"])
    return pd.concat([pd.read_parquet(p) for p, _ in key], ignore_index=True)


def configured():
    """A :class:`harmmap.classify.FacilityIndex` of the configured facilities, or None when there are none."""
    return _index(_key())


@functools.lru_cache(maxsize=2)
def _index(key):
    if not key:
        return None
    from harmmap.classify import FacilityIndex

    t = _table(key)
    return FacilityIndex(t["lon"].to_numpy(float), t["lat"].to_numpy(float), t["category"].to_numpy(object),
                         t["name"].to_numpy(object))


def remove(name: str) -> bool:
    """Remove a configured facilities file by its stored name (as ``list`` shows it)."""
    p = facilities_dir() / name
    if p.suffix != ".parquet" or not p.is_file():
        return False
    p.unlink()
    return True
