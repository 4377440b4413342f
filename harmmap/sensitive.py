"""Sensitive records: a warning before graphic descriptions, and coarser coordinates in exports and shared views.

Coarsening, in three parts:

- :class:`Policy` (from :func:`policy_from`: ``HARMMAP_COARSEN_KM`` ... or ``[harmmap]`` in the secrets, see
  :data:`SETTINGS`): the grid size, which records are sensitive (every record, or those from some data sets or
  with some categories), and whom it applies to (roles; everyone in presentation mode);
- :class:`CoarseStore`: a store whose reads give sensitive records' coordinates snapped to the centre of their
  grid cell (:func:`coarsen_lonlat`), H3 cells and hexagon counts no finer than :func:`max_hex_resolution`, and
  whose spatial filters are grown to whole cells (:func:`snap_filters`), so that no answer depends on where in
  its cell a record lies. The dashboard gives it to every user the policy applies to (ui/store.py), and the
  exports take ``coarsen_km`` (:func:`coarse_store`);
- :func:`coarsen_frame`: the same snapping for a frame already exported.

Example
-------
>>> is_graphic("Rescuers recovered charred bodies from the school")
True
>>> is_graphic("A school was damaged")
False
>>> coarsen_point(50.4501, 30.5234, km=5)
(50.46, 30.5)
>>> policy_from({"HARMMAP_COARSEN_KM": "5"}, {}).applies("viewer")
True
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from harmmap import paths

__all__ = ["graphic_terms", "is_graphic", "coarsen_point", "coarsen_lonlat", "coarsen_frame", "SETTINGS", "Policy",
           "policy_from", "max_hex_resolution", "snap_bbox", "snap_polygon", "snap_filters", "CoarseStore",
           "coarse_store", "coordinates_note"]


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    stems = graphic_terms()
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(s) for s in stems) + ")", re.IGNORECASE)


def graphic_terms() -> list[str]:
    """The stems of data/graphic_terms.txt."""
    lines = (paths.DATA / "graphic_terms.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip().lower() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def is_graphic(text) -> bool:
    """Does the text describe bodies or injuries in a way a reader should be warned about?"""
    return isinstance(text, str) and bool(_pattern().search(text))


def _step_deg(km: float, lat: float = 49.0) -> tuple[float, float]:
    dlat = km / 111.32
    dlon = km / (111.32 * max(math.cos(math.radians(lat)), 0.1))
    return dlat, dlon


def coarsen_lonlat(lon, lat, km: float) -> tuple[np.ndarray, np.ndarray]:
    """Snap coordinates to the centres of a grid of about ``km`` (at Ukraine's latitude), so that an exported
    or shared point says the area, not the building. ``km <= 0`` leaves them as they are."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if not km or km <= 0:
        return lon, lat
    dlat, dlon = _step_deg(km)
    return (np.floor(lon / dlon) + 0.5) * dlon, (np.floor(lat / dlat) + 0.5) * dlat


def coarsen_point(lat: float, lon: float, km: float) -> tuple[float, float]:
    x, y = coarsen_lonlat([lon], [lat], km)
    return round(float(y[0]), 2), round(float(x[0]), 2)


def coarsen_frame(gdf, km: float):
    """A copy of a GeoDataFrame of points (or a frame with lon/lat) with coarsened coordinates and
    ``geo_precision`` set to say so."""
    import geopandas as gpd

    out = gdf.copy()
    if not km or km <= 0 or len(out) == 0:
        return out
    if isinstance(out, gpd.GeoDataFrame) and out.geometry is not None:
        x, y = coarsen_lonlat(out.geometry.x, out.geometry.y, km)
        out = out.set_geometry(gpd.points_from_xy(x, y, crs=out.crs))
    if "lon" in out.columns and "lat" in out.columns:
        out["lon"], out["lat"] = coarsen_lonlat(out["lon"], out["lat"], km)
    if "geo_precision" in out.columns:
        out["geo_precision"] = f"coarsened to ~{km:g} km"
    if "footprint_wkt" in out.columns:
        out["footprint_wkt"] = None         # the exact outline of a non-point feature
    for c in [c for c in out.columns if c.startswith("h3_r")]:
        out = out.drop(columns=c)           # finer cells would give the exact place away
    return out


# ------------------------------------------------------------------------------------------------
# the policy: who sees coarsened coordinates of which records
# ------------------------------------------------------------------------------------------------

#: environment variables, and the keys under ``[harmmap]`` in ``.streamlit/secrets.toml`` (the variable wins)
SETTINGS = {
    "coarsen_km": "HARMMAP_COARSEN_KM",
    "coarsen_roles": "HARMMAP_COARSEN_ROLES",
    "coarsen_presenting": "HARMMAP_COARSEN_PRESENTING",
    "sensitive_sources": "HARMMAP_SENSITIVE_SOURCES",
    "sensitive_categories": "HARMMAP_SENSITIVE_CATEGORIES",
}


@dataclass(frozen=True)
class Policy:
    """Coarser coordinates for sensitive records, for some users.

    ``km``: the grid (about ``km`` km a side; 0 = off). Sensitive records are those from one of
    ``sources`` or with one of ``categories`` (effective ones: an analyst's override counts); both empty =
    every record. ``roles``: who sees coarsened coordinates (default the viewers); ``presenting``: in
    presentation mode (a shared screen or link) everyone does.

    Example
    -------
    >>> p = Policy(km=5, categories=("health",))
    >>> p.applies("viewer"), p.applies("editor"), p.applies("admin", presenting=True)
    (True, False, True)
    >>> max_hex_resolution(5)
    5
    """

    km: float = 0.0
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("viewer",)
    presenting: bool = True

    @property
    def on(self) -> bool:
        return bool(self.km) and self.km > 0

    @property
    def every_record(self) -> bool:
        return not self.sources and not self.categories

    def applies(self, role: str | None, presenting: bool = False) -> bool:
        """Does a user with ``role`` see coarsened coordinates (now)? Unknown roles do."""
        if not self.on:
            return False
        return role in self.roles or role is None or role not in ("viewer", "editor", "admin") \
            or (presenting and self.presenting)

    def describe(self) -> str:
        """'coarsened to ~5 km (records from acled, or in health)'."""
        if not self.on:
            return "exact"
        which = []
        if self.sources:
            which.append("from " + ", ".join(self.sources))
        if self.categories:
            which.append("in " + ", ".join(self.categories))
        return f"coarsened to ~{self.km:g} km" + (f" (records {' or '.join(which)})" if which else "")

    def sensitive(self, sources, categories) -> np.ndarray:
        """Which rows (by their ``source`` and effective ``categories``) are sensitive."""
        n = len(sources)
        if self.every_record:
            return np.ones(n, dtype=bool)
        src = set(self.sources)
        cats = set(self.categories)
        return np.array([(s in src) or bool(cats.intersection(c if isinstance(c, (list, tuple, np.ndarray)) else []))
                         for s, c in zip(sources, categories, strict=True)], dtype=bool)

    def key(self) -> str:
        """A stable text (cache keys, :func:`Policy.from_key`)."""
        return json.dumps({"km": float(self.km), "sources": list(self.sources), "categories": list(self.categories),
                           "roles": list(self.roles), "presenting": self.presenting}, sort_keys=True)

    @classmethod
    def from_key(cls, key: str) -> Policy:
        d = json.loads(key)
        return cls(float(d["km"]), tuple(d["sources"]), tuple(d["categories"]), tuple(d["roles"]),
                   bool(d["presenting"]))


def _as_list(v) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        v = v.split(",")
    return tuple(dict.fromkeys(str(x).strip() for x in v if str(x).strip()))


def policy_from(env: Mapping | None = None, settings: Mapping | None = None) -> Policy:
    """The policy from environment variables (``HARMMAP_COARSEN_KM`` ...), else from ``settings`` (the
    ``[harmmap]`` table of the secrets: ``coarsen_km`` ...). See :data:`SETTINGS`.

    Example
    -------
    >>> policy_from({"HARMMAP_COARSEN_KM": "5", "HARMMAP_SENSITIVE_SOURCES": "cir, acled"}).describe()
    'coarsened to ~5 km (records from cir, acled)'
    >>> policy_from({}, {"coarsen_km": 2, "coarsen_roles": ["viewer", "editor"]}).roles
    ('viewer', 'editor')
    >>> policy_from({}, {}).on
    False
    """
    env = os.environ if env is None else env
    settings = settings or {}

    def get(name):
        v = env.get(SETTINGS[name])
        return v if v not in (None, "") else settings.get(name)

    try:
        km = float(get("coarsen_km") or 0)
    except (TypeError, ValueError):
        raise ValueError(f"{SETTINGS['coarsen_km']} / coarsen_km must be a number of km, "
                         f"not {get('coarsen_km')!r}") from None
    if not math.isfinite(km) or km < 0:
        raise ValueError(f"coarsen_km must be a positive number of km, not {km!r}")
    roles = _as_list(get("coarsen_roles")) or ("viewer",)
    bad = [r for r in roles if r not in ("viewer", "editor", "admin")]
    if bad:
        raise ValueError(f"coarsen_roles: unknown role(s) {', '.join(bad)} (roles: viewer, editor, admin)")
    pres = get("coarsen_presenting")
    presenting = True if pres is None else str(pres).strip().lower() not in ("0", "false", "no", "off")
    return Policy(km, _as_list(get("sensitive_sources")), _as_list(get("sensitive_categories")), roles, presenting)


def max_hex_resolution(km: float) -> int:
    """The finest H3 resolution whose hexagons (average edge) are at least ``km`` across: hexagons
    finer than that would say more than the coarsened points. 15 when ``km`` is 0."""
    if not km or km <= 0:
        return 15
    import h3

    for r in range(15, -1, -1):
        if h3.average_hexagon_edge_length(r, "km") >= km:
            return r
    return 0


# ------------------------------------------------------------------------------------------------
# spatial filters snapped to the grid (no answer may depend on where in its cell a record lies)
# ------------------------------------------------------------------------------------------------

def snap_bbox(bbox, km: float, outward: bool = True):
    """A lon/lat box grown to the edges of the coarsening grid's cells (``outward``)."""
    if bbox is None or not km or km <= 0:
        return bbox
    dlat, dlon = _step_deg(km)
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return (math.floor(x0 / dlon) * dlon, math.floor(y0 / dlat) * dlat,
            math.ceil(x1 / dlon) * dlon, math.ceil(y1 / dlat) * dlat)


MAX_POLYGON_CELLS = 4000


def snap_polygon(wkt: str, km: float) -> str:
    """The grid cells a drawn area touches, as one (multi)polygon WKT; a very large area becomes its
    grid-snapped bounding box. Raises ValueError for WKT that is not an area."""
    import shapely

    geom = shapely.from_wkt(wkt)
    if geom is None or geom.is_empty:
        raise ValueError("the drawn area is empty")
    x0, y0, x1, y1 = snap_bbox(geom.bounds, km)
    dlat, dlon = _step_deg(km)
    nx, ny = max(1, round((x1 - x0) / dlon)), max(1, round((y1 - y0) / dlat))
    if nx * ny > MAX_POLYGON_CELLS:
        return shapely.box(x0, y0, x1, y1).wkt
    xs, ys = np.meshgrid(x0 + np.arange(nx) * dlon, y0 + np.arange(ny) * dlat)
    cells = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + dlon, ys.ravel() + dlat)
    hit = cells[shapely.intersects(geom, cells)]
    return shapely.union_all(hit).wkt if len(hit) else shapely.box(x0, y0, x1, y1).wkt


def snap_filters(filters, km: float):
    """Filters whose spatial parts follow the coarsening grid: the box and a drawn area grown to whole
    cells, H3 cells finer than :func:`max_hex_resolution` replaced by their parents."""
    if not km or km <= 0:
        return filters
    changes = {}
    if filters.bbox:
        changes["bbox"] = snap_bbox(filters.bbox, km)
    if filters.polygon_wkt:
        try:
            changes["polygon_wkt"] = snap_polygon(filters.polygon_wkt, km)
        except Exception:  # noqa: BLE001 - malformed: the store says so in its own words
            pass
    if filters.h3_cells:
        import h3

        cap = max_hex_resolution(km)
        cells = []
        for c in filters.h3_cells:
            try:
                cells.append(h3.cell_to_parent(c, cap) if h3.get_resolution(c) > cap else c)
            except Exception:  # noqa: BLE001 - not a cell: left for the store to refuse
                cells.append(c)
        changes["h3_cells"] = tuple(dict.fromkeys(cells))
    return filters.replace(**changes) if changes else filters


# ------------------------------------------------------------------------------------------------
# a store that shows sensitive records coarsened
# ------------------------------------------------------------------------------------------------

_H3_RES = re.compile(r"^h3_r(\d+)$")


def _coarsen_rows(df, policy: Policy, mask: np.ndarray | None = None):
    """``df`` (rows from ``Store.incidents``) with its sensitive rows (``mask``, else from its ``source`` and
    ``categories``) coarsened in place of the exact ones."""
    import pandas as pd

    if not len(df):
        return df
    if mask is None:
        mask = policy.sensitive(df["source"].tolist(), df["categories"].tolist())
    if not mask.any():
        return df
    df = df.copy()
    dlat, dlon = _step_deg(policy.km)           # one grid for all latitudes: lon and lat snap apart
    for col, step in (("lon", dlon), ("lat", dlat)):
        if col in df.columns:
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
            df[col] = np.where(mask, np.round((np.floor(v / step) + 0.5) * step, 5), v)
    if "geo_precision" in df.columns:
        df["geo_precision"] = df["geo_precision"].astype("string").mask(mask, f"coarsened to ~{policy.km:g} km")
    if "footprint_wkt" in df.columns:
        df["footprint_wkt"] = df["footprint_wkt"].astype("string").mask(mask, pd.NA)
    cap = max_hex_resolution(policy.km)
    from harmmap.schema import h3_parents

    for c in df.columns:
        m = _H3_RES.match(c)
        if m and int(m.group(1)) > cap:
            na = df[c].isna().to_numpy()
            cells = pd.to_numeric(df[c]).fillna(0).to_numpy().astype(np.uint64)
            parents = h3_parents(cells, max(cap, 0)).astype(np.int64)
            new = np.where(mask & ~na, parents, cells.astype(np.int64))
            df[c] = pd.array(new, dtype="Int64") if na.any() else new
            if na.any():
                df.loc[na, c] = pd.NA
    return df


class CoarseStore:
    """A :class:`harmmap.store.Store` whose reads give sensitive records coarsened coordinates.

    Every read that returns places goes through here: ``incidents`` and ``incident`` (lon/lat snapped to
    the grid's cell centres, ``geo_precision`` says so, no footprint, H3 cells no finer than
    :func:`max_hex_resolution`), ``hex_counts`` (at most that resolution, whatever is asked), ``summary``
    (its bounding box grown to whole cells); and every filter's spatial parts are snapped
    (:func:`snap_filters`), so that no count depends on where in its cell a record lies. What cannot
    return a place (writes, data sets, the audit trail: :attr:`PASSED_ON`) is the wrapped store's; any
    other attribute raises AttributeError (a read added to the store later must be coarsened here first).

    Example
    -------
    >>> from harmmap.demo import ensure_demo_store
    >>> from harmmap.query import Filters
    >>> exact = ensure_demo_store(":memory:", n=300)
    >>> coarse = CoarseStore(exact, Policy(km=5))
    >>> row = coarse.incidents(Filters(), columns=["incident_id", "geo_precision"], limit=1)
    >>> row["geo_precision"].iloc[0]
    'coarsened to ~5 km'
    >>> coarse.count(Filters()) == exact.count(Filters())
    True
    """

    def __init__(self, store, policy: Policy):
        self._store = store
        self.policy = policy
        self.engine = store.engine
        self.url = store.url

    #: what is passed on to the wrapped store as it is: nothing here returns a place. Anything else (a read
    #: added to the store later) raises AttributeError until it is coarsened here: closed by default.
    PASSED_ON = frozenset({"is_empty", "options", "datasets", "overrides_audit", "schema_version", "close",
                           "write_incidents", "update_classification", "set_override", "clear_override",
                           "delete_dataset", "dialect", "read_only"})

    def __getattr__(self, name):
        if name in CoarseStore.PASSED_ON:
            return getattr(self._store, name)
        raise AttributeError(f"CoarseStore does not pass on {name!r}: a read that can return places must "
                             "coarsen them in harmmap/sensitive.py first")

    def _f(self, filters):
        return snap_filters(filters, self.policy.km)

    def count(self, filters) -> int:
        return self._store.count(self._f(filters))

    def incidents(self, filters, *, columns=None, limit=None, order="date"):
        cols = list(columns) if columns else None
        extra = []
        if cols is not None:
            extra = [c for c in ("source", "categories") if c not in cols]
            cols = cols + extra
        key = order.lstrip("-")
        if key in ("lon", "lat", "footprint_wkt") or _H3_RES.match(key):
            order = "date"          # the order of exact positions would say where in its cell a record is
        df = self._store.incidents(self._f(filters), columns=cols, limit=limit, order=order)
        df = _coarsen_rows(df, self.policy)
        return df.drop(columns=extra) if extra else df

    def incident(self, incident_id: str) -> dict | None:
        import pandas as pd

        rec = self._store.incident(incident_id)
        if rec is None:
            return None
        if not self.policy.sensitive([rec.get("source")], [rec.get("categories") or []])[0]:
            return rec
        cols = ["source", "categories", "lon", "lat", "geo_precision", "footprint_wkt",
                *[k for k in rec if _H3_RES.match(k)]]
        one = pd.DataFrame([{c: rec.get(c) for c in cols}])
        one["lon"] = pd.to_numeric(one["lon"], errors="coerce")
        one["lat"] = pd.to_numeric(one["lat"], errors="coerce")
        out = _coarsen_rows(one, self.policy).iloc[0].to_dict()
        rec = dict(rec)
        for c in cols[2:]:
            v = out.get(c)
            rec[c] = None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else \
                (int(v) if _H3_RES.match(c) else (float(v) if c in ("lon", "lat") else v))
        return rec

    def hex_counts(self, filters, resolution: int):
        import pandas as pd

        from harmmap.schema import H3_RESOLUTIONS, h3_parents

        cap = max_hex_resolution(self.policy.km)
        res = min(int(resolution), cap)
        if resolution not in H3_RESOLUTIONS:
            return self._store.hex_counts(filters, resolution)       # the store's own error
        f = self._f(filters)
        if res >= min(H3_RESOLUTIONS):
            return self._store.hex_counts(f, res)
        fine = self._store.hex_counts(f, min(H3_RESOLUTIONS))
        if not len(fine):
            return fine
        fine = fine.assign(parent=h3_parents(fine["h3"].to_numpy(), res).astype(np.int64))
        top = fine.sort_values(["incidents", "h3"], ascending=[False, True]).drop_duplicates("parent")
        agg = fine.groupby("parent", as_index=False)[["incidents", "fatalities"]].sum()
        agg = agg.merge(top[["parent", "top_category"]], on="parent", how="left")
        out = pd.DataFrame({"h3": agg["parent"].astype("int64"), "incidents": agg["incidents"].astype("int64"),
                            "fatalities": agg["fatalities"].astype("int64"),
                            "top_category": agg["top_category"].astype("string")})
        return out.sort_values(["incidents", "h3"], ascending=[False, True]).reset_index(drop=True)

    def summary(self, filters) -> dict:
        out = dict(self._store.summary(self._f(filters)))
        if out.get("bbox"):
            out["bbox"] = snap_bbox(out["bbox"], self.policy.km)
        return out

    def counts_by(self, filters, by: str):
        return self._store.counts_by(self._f(filters), by)

    # the Patterns page's compact reads (issue 8): the same coarsening, on counts and capped rows -----------
    def _sensitive_rows(self, df) -> np.ndarray:
        """Which rows of an analysis frame (with ``source`` and ``eff_mask`` or ``categories``) are sensitive."""
        if self.policy.every_record:
            return np.ones(len(df), dtype=bool)
        from harmmap.analysis._common import cat_lists

        return self.policy.sensitive(df["source"].astype(object).tolist(), cat_lists(df).tolist())

    def _extra(self, cols: list[str]) -> list[str]:
        """What the sensitivity of a row is read from, when not every record is sensitive."""
        return [] if self.policy.every_record else [c for c in ("source", "eff_mask") if c not in cols]

    @staticmethod
    def _drop(df, cols: list[str], extra: list[str]):
        gone = [c for c in extra if c in df.columns]
        if "eff_mask" in extra and "categories" in df.columns and "categories" not in cols:
            gone.append("categories")           # a store without masks gives the lists instead
        attrs = dict(df.attrs)
        df = df.drop(columns=gone)
        df.attrs.update(attrs)
        return df

    def analysis_counts(self, filters, by, *, freq: str | None = None, only=None):
        """``Store.analysis_counts`` with H3 cells no finer than the grid for sensitive records (counted by
        their parent cell, as :meth:`incidents` gives them); counts by exact coordinates are refused."""
        import pandas as pd

        from harmmap.schema import h3_parents

        by = list(dict.fromkeys(by))
        if {"lon", "lat", "time", "incident_id"} & set(by):
            raise ValueError("a coarsening store does not count by exact coordinates, times or ids")
        cap = max(max_hex_resolution(self.policy.km), 0)
        fine = [c for c in by if (m := _H3_RES.match(c)) and int(m.group(1)) > cap]
        f = self._f(filters)
        if not fine:
            return self._store.analysis_counts(f, by, freq=freq, only=only)
        extra = self._extra(by)
        df = self._store.analysis_counts(f, by + extra, freq=freq, only=None if extra else only)
        if not len(df):
            return self._drop(df, by, extra)
        sens = self._sensitive_rows(df)
        for c in fine:
            na = df[c].isna().to_numpy()
            cells = pd.to_numeric(df[c]).fillna(0).to_numpy().astype(np.uint64)
            df[c] = np.where(sens & ~na, h3_parents(cells, cap).astype(np.int64), cells.astype(np.int64))
        bits = df.attrs.get("category_bits")
        if extra and only is not None and "eff_mask" in by and bits and "unclassified" not in only:
            keep = sum(1 << bits[c] for c in set(only) if c in bits)
            df["eff_mask"] = df["eff_mask"] & keep
        df = self._drop(df, by, extra)
        attrs = dict(df.attrs)
        out = df.groupby(by, as_index=False, observed=True, dropna=False, sort=False)["incidents"].sum()
        out.attrs.update(attrs)
        return out

    def analysis_rows(self, filters, columns, *, exact_only: bool = False, latest: int | None = None):
        """``Store.analysis_rows`` with sensitive records coarsened; with ``exact_only`` they are left out
        (they are no longer precisely located for this user, as ``geo_precision`` would say)."""
        cols = list(dict.fromkeys(columns))
        extra = self._extra(cols)
        df = self._store.analysis_rows(self._f(filters), cols + extra, exact_only=exact_only, latest=latest)
        attrs = dict(df.attrs)
        sens = self._sensitive_rows(df)
        if exact_only:
            df = df[~sens].reset_index(drop=True)
        elif sens.any():
            df = _coarsen_rows(df, self.policy, sens)
            if "geo_precision" in df.columns:
                df["geo_precision"] = df["geo_precision"].astype("category")
        df = self._drop(df, cols, extra)
        df.attrs.update(attrs)
        return df

    def timeseries(self, filters, freq: str = "week", by: str | None = "group"):
        return self._store.timeseries(self._f(filters), freq=freq, by=by)


def coarse_store(store, km_or_policy):
    """``store`` as :class:`CoarseStore` under a policy (or ``Policy(km=km)``); the store itself when
    the policy is off. An already coarsened store keeps its own policy."""
    policy = km_or_policy if isinstance(km_or_policy, Policy) else Policy(km=float(km_or_policy or 0))
    if not policy.on or isinstance(store, CoarseStore):
        return store
    return CoarseStore(store, policy)


def coordinates_note(store) -> str:
    """'exact' or what :meth:`Policy.describe` says for a :class:`CoarseStore` (for READMEs and manifests)."""
    policy = getattr(store, "policy", None)
    return policy.describe() if isinstance(policy, Policy) else "exact"
