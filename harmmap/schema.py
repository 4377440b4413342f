"""The canonical incident table: columns, dtypes and validation.

Every reader in :mod:`harmmap.io` returns a GeoDataFrame with exactly these columns (in this
order), every store writes and reads them, and every page shows them. ``validate`` names each
problem per row so that a load report can say which rows are wrong and why.

Example
-------
>>> from harmmap import schema
>>> gdf = schema.empty()
>>> list(gdf.columns)[:3]
['incident_id', 'source', 'date']
>>> schema.validate(gdf)
[]
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

CRS = "EPSG:4326"
H3_RESOLUTIONS = (4, 5, 6, 7, 8)
DATE_PRECISIONS = ("day", "week", "month", "year")
GEO_PRECISIONS = ("exact", "town", "region")

#: column -> (pandas dtype or kind, nullable, description)
COLUMNS: dict[str, tuple[str, bool, str]] = {
    "incident_id": ("string", False, "stable id: source prefix + the source's own id, or a content hash"),
    "source": ("string", False, "data set name (acled, bellingcat, cir, demo, upload:<file>...)"),
    "date": ("datetime64[ns]", False, "day of the incident (midnight); see date_precision"),
    "date_precision": ("string", False, "day, week, month or year"),
    "time": ("string", True, "HH:MM local time when the source gives it"),
    "geometry": ("geometry", False, "Point, EPSG:4326 (a point on the surface for non-point inputs)"),
    "geo_precision": ("string", False, "exact, town or region"),
    "footprint_wkt": ("string", True, "the original non-point geometry as WKT, when there was one"),
    "admin1": ("string", True, "canonical oblast name from the gazetteer (e.g. 'Kharkiv')"),
    "admin2": ("string", True, "raion or city, as canonical as the gazetteer allows"),
    "admin1_raw": ("string", True, "the source's own spelling of the oblast"),
    "location": ("string", True, "place name as given"),
    "description": ("string", True, "the source's text, untouched (any language)"),
    "event_type": ("string", True, "the source's own type (e.g. ACLED sub_event_type), untouched"),
    "source_labels": ("list", False, "the source's own labels (TimeMap associations, ACLED tags)"),
    "categories": ("list", False, "target categories (TAXONOMY.md); empty = unclassified"),
    "category_confidence": ("float64", False, "0-1; the highest confidence among the categories"),
    "category_evidence": ("string", True, "why: one line per category, '; '-separated"),
    "fatalities": ("Int64", True, "null = not reported (not zero)"),
    "injuries": ("Int64", True, "null = not reported (not zero)"),
    "actor": ("string", True, "reported perpetrator"),
    "weapon": ("string", True, "weapon or munition as reported"),
    "source_urls": ("list", False, "links to the sources"),
    "duplicate_of": ("string", True, "incident_id of the primary record when this one reports the same event"),
    "h3_r4": ("int64", False, "H3 cell at resolution 4"),
    "h3_r5": ("int64", False, "H3 cell at resolution 5"),
    "h3_r6": ("int64", False, "H3 cell at resolution 6"),
    "h3_r7": ("int64", False, "H3 cell at resolution 7"),
    "h3_r8": ("int64", False, "H3 cell at resolution 8"),
}
COLUMN_NAMES = list(COLUMNS)
LIST_COLUMNS = [c for c, (k, _, _) in COLUMNS.items() if k == "list"]
STRING_COLUMNS = [c for c, (k, _, _) in COLUMNS.items() if k == "string"]
H3_COLUMNS = [f"h3_r{r}" for r in H3_RESOLUTIONS]

# Ukraine with a margin: the study area's bounding box (lon_min, lat_min, lon_max, lat_max).
STUDY_BBOX = (22.0, 44.2, 40.3, 52.5)


@dataclass(frozen=True)
class Problem:
    """One problem with one row: which row, which column, what is wrong."""

    row: int
    column: str
    message: str


def empty() -> gpd.GeoDataFrame:
    """Return an empty canonical incident table with the right dtypes."""
    data = {c: pd.Series([], dtype=_pandas_dtype(c)) for c in COLUMN_NAMES if c != "geometry"}
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=CRS))
    return gdf[COLUMN_NAMES]


def _pandas_dtype(col: str):
    kind = COLUMNS[col][0]
    if kind in ("list", "geometry"):
        return object
    return kind


#: a count above this is not a plausible number of people (a unit error or garbage): it is treated as not reported
MAX_COUNT = 10_000_000


def to_count(values) -> pd.Series:
    """Numbers of people as nullable Int64: rounded; text, NaN, infinite, negative sign kept for validate(),
    implausibly large (> :data:`MAX_COUNT`) -> <NA>.

    Example
    -------
    >>> to_count(pd.Series(["3", "2.6", "inf", "1e20", "x", None])).tolist()
    [3, 3, <NA>, <NA>, <NA>, <NA>]
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    v = v.where(np.isfinite(v) & (v.abs() <= MAX_COUNT))
    return v.round().astype("Int64")


def h3_parents(cells: np.ndarray, res: int) -> np.ndarray:
    """Parents at ``res`` of H3 cells (uint64/int64, finer than ``res``), by bit arithmetic (vectorised).

    An H3 index keeps its resolution in bits 52-55 and one 3-bit digit per resolution below the base
    cell; the parent has its resolution field set to ``res`` and the finer digits set to 7. 0 stays 0.

    Example
    -------
    >>> import h3
    >>> c = h3.str_to_int(h3.latlng_to_cell(50.45, 30.52, 8))
    >>> int(h3_parents(np.array([c], dtype=np.uint64), 5)[0]) == h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), 5))
    True
    """
    c = np.asarray(cells).astype(np.uint64)
    unused = np.uint64((1 << (3 * (15 - res))) - 1)          # digits res+1..15 -> all ones (7)
    res_mask = np.uint64(0xF << 52)
    out = (c & ~res_mask) | np.uint64(res << 52) | unused
    return np.where(c == 0, np.uint64(0), out)


def h3_cells(lat, lon) -> dict[str, np.ndarray]:
    """H3 cells (as int64) at every stored resolution for arrays of lat/lon.

    One H3 call per point (at the finest resolution); coarser cells are its parents (:func:`h3_parents`),
    so counts nest exactly across resolutions (a parent cell may differ from the coarse cell that contains
    the point itself for points within metres of a cell edge: H3 children do not tile their parent exactly).
    """
    from h3.api import basic_int as h3i

    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    finest = max(H3_RESOLUTIONS)
    fine = np.zeros(len(lat), dtype=np.uint64)
    idx = np.flatnonzero(ok)
    if len(idx):
        fine[idx] = np.fromiter((h3i.latlng_to_cell(a, o, finest) for a, o in zip(lat[idx], lon[idx], strict=True)),
                                dtype=np.uint64, count=len(idx))
    out = {}
    for r in H3_RESOLUTIONS:
        cells = fine if r == finest else h3_parents(fine, r)
        out[f"h3_r{r}"] = cells.astype(np.int64)
    return out


def conform(df: pd.DataFrame | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Coerce a frame to the canonical table: add missing columns, set dtypes, order columns.

    ``df`` may carry ``geometry`` or ``lon``/``lat`` columns. H3 cells are computed when missing.
    Extra columns are dropped. No row is dropped: use :func:`validate` to find bad ones.
    """
    df = df.copy()
    if "geometry" not in df.columns or df["geometry"].isna().all():
        if {"lon", "lat"} <= set(df.columns):
            geom = gpd.points_from_xy(pd.to_numeric(df["lon"], errors="coerce"),
                                      pd.to_numeric(df["lat"], errors="coerce"), crs=CRS)
        else:
            geom = gpd.GeoSeries([None] * len(df), crs=CRS)
        df = gpd.GeoDataFrame(df.drop(columns=["geometry"], errors="ignore"), geometry=geom, crs=CRS)
    elif not isinstance(df, gpd.GeoDataFrame):
        df = gpd.GeoDataFrame(df, geometry="geometry", crs=CRS)
    if df.crs is None:
        df = df.set_crs(CRS)
    elif df.crs.to_string() != CRS:
        df = df.to_crs(CRS)
    n = len(df)
    for col in COLUMN_NAMES:
        if col == "geometry":
            continue
        kind = COLUMNS[col][0]
        if col not in df.columns:
            if kind == "list":
                df[col] = [[] for _ in range(n)]
            elif col == "date_precision":
                df[col] = "day"
            elif col == "geo_precision":
                df[col] = "exact"
            elif col == "category_confidence":
                df[col] = 0.0
            elif col in H3_COLUMNS:
                continue
            else:
                df[col] = pd.Series([pd.NA] * n, index=df.index, dtype=_pandas_dtype(col))
        if kind == "list":
            df[col] = [_as_list(v) for v in df[col]]
        elif kind == "string":
            df[col] = df[col].astype("string")
        elif kind == "Int64":
            df[col] = to_count(df[col])
        elif kind == "float64":
            df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0.0).astype("float64")
        elif kind.startswith("datetime64"):
            df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[ns]").dt.normalize()
    missing_h3 = [c for c in H3_COLUMNS if c not in df.columns]
    if missing_h3 and n:
        pts = df.geometry
        cells = h3_cells(pts.y.to_numpy() if n else [], pts.x.to_numpy() if n else [])
        for c in missing_h3:
            df[c] = cells[c]
    for c in H3_COLUMNS:
        if c not in df.columns:
            df[c] = pd.Series([], dtype="int64")
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).astype("int64")
    return gpd.GeoDataFrame(df[COLUMN_NAMES], geometry="geometry", crs=CRS)


def _as_list(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, float) and math.isnan(v):
        return []
    if isinstance(v, str):
        return [v] if v else []
    if isinstance(v, (list, tuple, np.ndarray, pd.Series)):
        return [str(x) for x in v if x is not None and str(x) != ""]
    if v is pd.NA:
        return []
    return [str(v)]


def validate(gdf: gpd.GeoDataFrame, today: _dt.date | None = None) -> list[Problem]:
    """Check a canonical table; return one :class:`Problem` per row and column that is wrong.

    ``row`` is the positional row number (0-based). An empty list means the table is valid.
    """
    problems: list[Problem] = []
    missing = [c for c in COLUMN_NAMES if c not in gdf.columns]
    for c in missing:
        problems.append(Problem(-1, c, "column is missing"))
    if missing:
        return problems
    today = today or _dt.date.today()
    ids = gdf["incident_id"]
    dup = ids.duplicated(keep="first")
    geoms = gdf.geometry
    for i in range(len(gdf)):
        if pd.isna(ids.iat[i]) or str(ids.iat[i]) == "":
            problems.append(Problem(i, "incident_id", "missing id"))
        elif dup.iat[i]:
            problems.append(Problem(i, "incident_id", f"duplicate id {ids.iat[i]!r}"))
        if pd.isna(gdf["source"].iat[i]) or str(gdf["source"].iat[i]) == "":
            problems.append(Problem(i, "source", "missing source"))
        d = gdf["date"].iat[i]
        if pd.isna(d):
            problems.append(Problem(i, "date", "missing or unparseable date"))
        elif d.date() > today:
            problems.append(Problem(i, "date", f"date {d.date()} is in the future"))
        if gdf["date_precision"].iat[i] not in DATE_PRECISIONS:
            problems.append(Problem(i, "date_precision", f"must be one of {DATE_PRECISIONS}"))
        if gdf["geo_precision"].iat[i] not in GEO_PRECISIONS:
            problems.append(Problem(i, "geo_precision", f"must be one of {GEO_PRECISIONS}"))
        g = geoms.iat[i]
        if g is None or g.is_empty:
            problems.append(Problem(i, "geometry", "no coordinates"))
        elif g.geom_type != "Point":
            problems.append(Problem(i, "geometry", f"{g.geom_type} is not a Point"))
        elif not (-180 <= g.x <= 180 and -90 <= g.y <= 90):
            problems.append(Problem(i, "geometry", f"coordinates out of range ({g.y}, {g.x})"))
        conf = gdf["category_confidence"].iat[i]
        if not (0.0 <= conf <= 1.0):
            problems.append(Problem(i, "category_confidence", f"{conf} is not between 0 and 1"))
        for c in LIST_COLUMNS:
            if not isinstance(gdf[c].iat[i], list):
                problems.append(Problem(i, c, "must be a list of strings"))
        for c in ("fatalities", "injuries"):
            v = gdf[c].iat[i]
            if not pd.isna(v) and v < 0:
                problems.append(Problem(i, c, f"negative count {v}"))
    return problems
