"""Data exports: CSV (spreadsheet formulas neutralised), GeoJSON, GeoPackage, GeoParquet; and the
evidence package (sources, classification evidence, overrides with their audit trail, data sets,
and a manifest of SHA-256 sums that :func:`verify` checks).

Every export starts from :func:`export_frame` (the filtered incidents with every canonical column)
and goes through :func:`write` (or :func:`to_bytes` for a download). List columns stay lists in
GeoJSON and GeoParquet and become ``a; b`` text in CSV and GeoPackage. H3 cells are 64-bit integers
in GeoPackage and GeoParquet and hex strings in CSV and GeoJSON (spreadsheets and JavaScript keep
only 15-16 digits of a number).

Example
-------
>>> import pandas as pd
>>> csv_bytes(pd.DataFrame({"a": ["=1+1", "ok"]})).decode("utf-8-sig").splitlines()
['a', "'=1+1", 'ok']
>>> from harmmap.demo import ensure_demo_store
>>> from harmmap.query import Filters
>>> store = ensure_demo_store(":memory:", n=2000)
>>> gdf = export_frame(store, Filters(admin1=("Sumy",)))
>>> len(gdf) == store.count(Filters(admin1=("Sumy",))), gdf.crs.to_epsg()
(True, 4326)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import mapping

from harmmap import schema
from harmmap.query import Filters

__all__ = ["FORMULA_START", "neutralise", "csv_bytes", "FORMATS", "EXTRA_COLUMNS", "export_frame", "write",
           "to_bytes", "format_from_path", "sha256_bytes", "sha256_file", "write_package", "evidence_package",
           "verify", "Verification", "MANIFEST", "SUMS", "utc_now", "fmt_utc"]

#: a cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: format -> (file suffix, MIME type)
FORMATS = {
    "csv": (".csv", "text/csv"),
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "parquet": (".parquet", "application/vnd.apache.parquet"),
}
#: exported after the canonical columns: what the analyst's overrides changed
EXTRA_COLUMNS = ["classifier_categories", "overridden", "override_version"]
LIST_COLUMNS = [*schema.LIST_COLUMNS, "classifier_categories"]
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
LIST_SEP = "; "


def neutralise(value):
    """Prefix a text cell that a spreadsheet would run as a formula with ``'`` (OWASP CSV injection)."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets detect the encoding) of ``df`` with every text cell neutralised.

    List cells become ``a; b`` text.
    """
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.StringDtype):          # only text or NA: vectorised
            text = out[col]
            risky = text.str.lstrip(" ").str[:1].isin(FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[col] = text.where(~risky, "'" + text)
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: neutralise("; ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray))
                                                         else v))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out.to_csv(index=False).encode("utf-8-sig")


# ------------------------------------------------------------------------------------------------
# the export frame and the four data formats
# ------------------------------------------------------------------------------------------------

def utc_now() -> dt.datetime:
    """Now in UTC, to the second (the ``generated`` time of exports)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def fmt_utc(t: dt.datetime) -> str:
    """'2026-12-01 05:31 UTC'."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    return f"{t:%Y-%m-%d %H:%M} UTC"


def export_frame(store, filters: Filters, *, coarsen_km: float = 0.0) -> gpd.GeoDataFrame:
    """The incidents matching ``filters`` (oldest first) with every canonical column plus
    ``classifier_categories``, ``overridden`` and ``override_version``, as a GeoDataFrame (EPSG:4326).

    ``categories`` are the effective ones (an analyst's override wins); ``classifier_categories``
    are what the classifier said. Incidents without coordinates have an empty geometry.
    ``coarsen_km`` > 0 snaps every record's coordinates to a grid of about that many km
    (:class:`harmmap.sensitive.CoarseStore`; ``geo_precision`` says so, H3 cells are no finer than the
    grid); a store that is already a ``CoarseStore`` coarsens its sensitive records by its own policy.
    """
    from harmmap.sensitive import coarse_store

    store = coarse_store(store, coarsen_km)
    cols = [*schema.COLUMN_NAMES, *EXTRA_COLUMNS]
    df = store.incidents(filters, columns=cols, order="date")
    lon = pd.to_numeric(df.pop("lon"), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(df.pop("lat"), errors="coerce").to_numpy(float)
    geom = gpd.points_from_xy(lon, lat, crs=schema.CRS)
    geom[~(np.isfinite(lon) & np.isfinite(lat))] = None
    gdf = gpd.GeoDataFrame(df, geometry=geom, crs=schema.CRS)
    for c in LIST_COLUMNS:
        if c in gdf.columns:
            gdf[c] = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in gdf[c]]
    return gdf[[c for c in cols if c in gdf.columns]].reset_index(drop=True)


def _h3_hex(s: pd.Series) -> pd.Series:
    vals = pd.to_numeric(s, errors="coerce").fillna(0).astype("int64").to_numpy().astype(np.uint64).tolist()
    return pd.Series([format(v, "x") if v else None for v in vals], index=s.index, dtype="string")


def _dates_text(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").dt.strftime("%Y-%m-%d").astype("string")


def table_frame(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A plain table for CSV: ``lon``/``lat`` instead of geometry, dates as YYYY-MM-DD, H3 as hex,
    lists as ``a; b`` text."""
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    pos = list(gdf.columns).index(gdf.geometry.name)
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    df.insert(pos, "lat", np.where(empty, np.nan, geom.y.where(~empty)))
    df.insert(pos, "lon", np.where(empty, np.nan, geom.x.where(~empty)))
    if "date" in df.columns:
        df["date"] = _dates_text(df["date"])
    for c in schema.H3_COLUMNS:
        if c in df.columns:
            df[c] = _h3_hex(df[c])
    for c in LIST_COLUMNS:
        if c in df.columns:
            df[c] = _lists_text(df[c])
    return df


def _lists_text(s: pd.Series) -> pd.Series:
    return pd.Series([LIST_SEP.join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v for v in s],
                     index=s.index, dtype="string")


def _json_value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_json_value(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def geojson_text(gdf: gpd.GeoDataFrame) -> str:
    """RFC 7946 GeoJSON (a FeatureCollection, WGS84): lists stay arrays, dates YYYY-MM-DD, H3 as hex."""
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if "date" in props.columns:
        props["date"] = _dates_text(props["date"])
    for c in schema.H3_COLUMNS:
        if c in props.columns:
            props[c] = _h3_hex(props[c])
    cols = list(props.columns)
    values = [_json_column(props[c]) for c in cols]
    geoms = gdf.geometry.to_crs(schema.CRS) if gdf.crs and gdf.crs.to_epsg() != 4326 else gdf.geometry
    points = (geoms.geom_type == "Point").to_numpy() & ~(geoms.isna() | geoms.is_empty).to_numpy()
    xs = np.where(points, geoms.x.where(points) if len(geoms) else 0, np.nan).tolist() if len(geoms) else []
    ys = np.where(points, geoms.y.where(points) if len(geoms) else 0, np.nan).tolist() if len(geoms) else []
    feats = []
    for i, g in enumerate(geoms):
        if points[i]:
            geometry = {"type": "Point", "coordinates": [xs[i], ys[i]]}
        else:
            geometry = None if g is None or g.is_empty else mapping(g)
        feats.append({"type": "Feature", "properties": {c: v[i] for c, v in zip(cols, values, strict=True)},
                      "geometry": geometry})
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def _json_column(s: pd.Series) -> list:
    """A column as JSON-ready Python values (None for missing), converted column-wise."""
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return s.astype(bool).tolist()
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s):
        obj = s.astype(object)
        return [None if (v is pd.NA or (isinstance(v, float) and not np.isfinite(v))) else v
                for v in obj.where(s.notna(), None).tolist()]
    if isinstance(s.dtype, pd.StringDtype):
        return s.astype(object).where(s.notna(), None).tolist()
    if s.name in LIST_COLUMNS:
        return [[str(x) for x in v] if isinstance(v, (list, tuple, np.ndarray)) else [] for v in s.tolist()]
    return [_json_value(v) for v in s.tolist()]


def format_from_path(path: str | os.PathLike) -> str:
    """'csv' | 'geojson' | 'gpkg' | 'parquet' from a file name (``.json`` is GeoJSON, ``.geoparquet`` Parquet)."""
    suffix = Path(path).suffix.lower()
    alias = {".json": "geojson", ".geoparquet": "parquet", ".pq": "parquet"}
    for fmt, (ext, _) in FORMATS.items():
        if suffix == ext:
            return fmt
    if suffix in alias:
        return alias[suffix]
    raise ValueError(f"cannot tell the format from {Path(path).name!r}; choose one of {', '.join(FORMATS)}")


def write(gdf: gpd.GeoDataFrame, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write ``gdf`` (from :func:`export_frame`) to ``path`` as csv | geojson | gpkg | parquet.

    ``fmt`` None: from the file's suffix. An existing file is replaced. Returns the path.

    Example
    -------
    >>> import tempfile, geopandas as gpd
    >>> from harmmap.demo import ensure_demo_store
    >>> gdf = export_frame(ensure_demo_store(":memory:", n=2000), Filters(admin1=("Sumy",)))
    >>> p = write(gdf, tempfile.mkdtemp() + "/sumy.gpkg")
    >>> len(gpd.read_file(p)) == len(gdf)
    True
    """
    path = Path(path)
    fmt = fmt or format_from_path(path)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        path.write_bytes(csv_bytes(table_frame(gdf)))
    elif fmt == "geojson":
        path.write_text(geojson_text(gdf), encoding="utf-8")
    elif fmt == "gpkg":
        out = gdf.copy()
        for c in LIST_COLUMNS:
            if c in out.columns:
                out[c] = _lists_text(out[c])
        for c in out.columns:
            if str(out[c].dtype) == "Int64":
                out[c] = out[c].astype("float64")        # GDAL has no nullable integers through pandas NA
        if path.exists():
            path.unlink()
        out.to_file(path, driver="GPKG", layer="incidents", engine="pyogrio")
    else:
        out = gdf.copy()
        for c in LIST_COLUMNS:
            if c in out.columns:
                out[c] = [list(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in out[c]]
        out.to_parquet(path, index=False, compression="zstd")
    return path


def to_bytes(gdf: gpd.GeoDataFrame, fmt: str) -> bytes:
    """The file :func:`write` would write, as bytes (for a download button)."""
    if fmt == "csv":
        return csv_bytes(table_frame(gdf))
    if fmt == "geojson":
        return geojson_text(gdf).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        p = write(gdf, Path(tmp) / f"incidents{FORMATS[fmt][0]}", fmt)
        return p.read_bytes()


# ------------------------------------------------------------------------------------------------
# packages with a manifest
# ------------------------------------------------------------------------------------------------

def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_package(out_zip: str | os.PathLike, files: dict[str, bytes], meta: dict) -> dict:
    """Write ``files`` (name -> bytes) into a zip with ``manifest.json`` (``meta`` plus the SHA-256 and
    size of every file) and ``SHA256SUMS`` (``sha256sum -c`` format, manifest included).

    Returns the manifest.
    """
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    for name in files:
        if name in (MANIFEST, SUMS) or name.startswith("/") or ".." in Path(name).parts:
            raise ValueError(f"invalid file name in a package: {name!r}")
    manifest = dict(meta)
    manifest["algorithm"] = "sha256"
    manifest["files"] = [{"path": n, "sha256": sha256_bytes(b), "bytes": len(b)} for n, b in files.items()]
    mbytes = (json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["files"])
    sums += f"{sha256_bytes(mbytes)}  {MANIFEST}\n"
    stamp = _zip_time(manifest.get("generated_at"))
    tmp = out_zip.with_name(out_zip.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in [*files.items(), (MANIFEST, mbytes), (SUMS, sums.encode("ascii"))]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    os.replace(tmp, out_zip)
    return manifest


def _zip_time(generated: str | None) -> tuple[int, int, int, int, int, int]:
    try:
        t = dt.datetime.fromisoformat(str(generated))
    except (TypeError, ValueError):
        t = utc_now()
    return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)


@dataclass
class Verification:
    """What :func:`verify` found: ``ok`` when every file is there, unchanged, and nothing was added."""

    ok: bool
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


def verify(zip_path: str | os.PathLike) -> Verification:
    """Recompute the SHA-256 of every file in a package and compare with its ``manifest.json``.

    A changed, missing or added file is a problem; so is a ``SHA256SUMS`` that disagrees.

    Example
    -------
    >>> import tempfile
    >>> p = tempfile.mkdtemp() + "/p.zip"
    >>> _ = write_package(p, {"a.txt": b"hello"}, {"generated_at": "2026-01-01T00:00:00+00:00"})
    >>> verify(p).ok
    True
    """
    problems: list[str] = []
    try:
        z = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        return Verification(False, 0, [f"not a readable zip: {exc}"])
    with z:
        names = z.namelist()
        if MANIFEST not in names:
            return Verification(False, 0, [f"{MANIFEST} is missing"])
        mbytes = z.read(MANIFEST)
        try:
            manifest = json.loads(mbytes)
            listed = {f["path"]: f for f in manifest["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            return Verification(False, 0, [f"{MANIFEST} is not a valid manifest: {exc}"])
        checked = 0
        for name, entry in listed.items():
            if name not in names:
                problems.append(f"{name}: missing")
                continue
            data = z.read(name)
            checked += 1
            if sha256_bytes(data) != entry.get("sha256"):
                problems.append(f"{name}: SHA-256 differs from the manifest (the file was changed)")
            elif "bytes" in entry and len(data) != entry["bytes"]:
                problems.append(f"{name}: size differs from the manifest")
        for name in names:
            if name not in listed and name not in (MANIFEST, SUMS):
                problems.append(f"{name}: not in the manifest (added after the package was made)")
        if SUMS in names:
            want = {f["path"]: f["sha256"] for f in listed.values()} | {MANIFEST: sha256_bytes(mbytes)}
            for line in z.read(SUMS).decode("ascii", "replace").splitlines():
                if not line.strip():
                    continue
                digest, _, name = line.partition("  ")
                if want.get(name) != digest:
                    problems.append(f"{SUMS}: the line for {name} disagrees with the files")
    return Verification(not problems, checked, problems)


def _frame_csv(df: pd.DataFrame) -> bytes:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = [x.isoformat() if pd.notna(x) else None for x in out[c]]
    return csv_bytes(out)


def datasets_frame(store) -> pd.DataFrame:
    """The loaded data sets: dataset, file, loaded_at (UTC), rows, synthetic, sha256 (of the file loaded)."""
    ds = store.datasets()
    cols = ["dataset", "file", "loaded_at", "rows", "synthetic", "sha256"]
    for c in cols:
        if c not in ds.columns:
            ds[c] = None
    return ds[cols]


def evidence_package(store, filters: Filters, out_zip: str | os.PathLike, *,
                     generated_at: dt.datetime | None = None, coarsen_km: float = 0.0) -> dict:
    """Write the evidence package for the incidents matching ``filters`` to ``out_zip``.

    The zip holds ``incidents.csv`` and ``incidents.geojson`` (every canonical column),
    ``sources.csv`` (one row per source URL), ``classification.csv`` (effective and classifier
    categories, confidence, evidence, the source's labels and event type, whether overridden),
    ``overrides_audit.csv`` (every change to these incidents' categories: old, new, who, when,
    why, version), ``datasets.csv`` (loaded when, rows, synthetic, SHA-256 of the loaded file),
    ``filters.json``, ``README.md``, and ``manifest.json`` + ``SHA256SUMS`` with the SHA-256 of
    every file (check with :func:`verify` or ``sha256sum -c SHA256SUMS``). Returns the manifest
    (with ``incidents``, the number of incidents).

    Coordinates are exact unless ``coarsen_km`` > 0 or ``store`` is a
    :class:`harmmap.sensitive.CoarseStore`; the README and the manifest (``coordinates``) say which.
    """
    from harmmap.sensitive import coarse_store, coordinates_note

    store = coarse_store(store, coarsen_km)
    coords = coordinates_note(store)
    t = generated_at or utc_now()
    gdf = export_frame(store, filters)
    ids = set(gdf["incident_id"].astype(str))
    tbl = table_frame(gdf)

    src_rows = [(r.incident_id, r.incident_id, r.source, d, r.location, url)
                for r, d in zip(gdf.itertuples(), _dates_text(gdf["date"]), strict=True)
                for url in (r.source_urls or [])]
    if not filters.include_duplicates:
        # the other reports of the same events (records linked as duplicates) are sources too
        dup = store.incidents(filters.replace(include_duplicates=True),
                              columns=["incident_id", "duplicate_of", "source", "date", "location", "source_urls"])
        dup = dup[dup["duplicate_of"].notna() & dup["duplicate_of"].astype(str).isin(ids)]
        src_rows += [(r.duplicate_of, r.incident_id, r.source, d, r.location, url)
                     for r, d in zip(dup.itertuples(), _dates_text(dup["date"]), strict=True)
                     for url in (r.source_urls or [])]
    sources = pd.DataFrame(src_rows, columns=["incident_id", "record_id", "source", "date", "location", "url"])

    cls_cols = ["incident_id", "categories", "classifier_categories", "category_confidence", "category_evidence",
                "overridden", "override_version", "source_labels", "event_type"]
    classification = tbl[[c for c in cls_cols if c in tbl.columns]]

    audit = store.overrides_audit()
    audit = audit[audit["incident_id"].astype(str).isin(ids)].copy()
    for c in ("old_categories", "new_categories"):
        audit[c] = [None if v is None else LIST_SEP.join(map(str, v)) for v in audit[c]]
    audit = audit.sort_values(["incident_id", "version"])
    datasets = datasets_frame(store)

    params = filters.to_params()
    filters_json = {"filters": params, "in_words": filters.describe(), "incidents": len(gdf),
                    "generated_at": t.isoformat()}
    overridden = int(gdf["overridden"].fillna(False).astype(bool).sum()) if "overridden" in gdf else 0
    synthetic = bool(len(datasets) and datasets["synthetic"].fillna(False).astype(bool).any())
    readme = _evidence_readme(filters, len(gdf), len(sources), overridden, len(audit), datasets, t, synthetic,
                              coords)
    files = {
        "README.md": readme.encode("utf-8"),
        "filters.json": (json.dumps(filters_json, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "incidents.csv": csv_bytes(tbl),
        "incidents.geojson": geojson_text(gdf).encode("utf-8"),
        "sources.csv": csv_bytes(sources),
        "classification.csv": csv_bytes(classification),
        "overrides_audit.csv": _frame_csv(audit),
        "datasets.csv": _frame_csv(datasets),
    }
    meta = {"package": "harmmap evidence", "generated_at": t.isoformat(), "filters": params,
            "filters_in_words": filters.describe(), "incidents": len(gdf), "source_urls": len(sources),
            "overridden_incidents": overridden, "override_changes": len(audit), "synthetic": synthetic,
            "coordinates": coords, "store_engine": getattr(store, "engine", None)}
    return write_package(out_zip, files, meta)


def _md_cell(v) -> str:
    s = "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT else str(v)
    return s.replace("|", "\\|").replace("\n", " ")


def datasets_markdown(datasets: pd.DataFrame) -> str:
    """The data sets as a Markdown table (text from the store escaped for table cells)."""
    lines = ["| data set | file | loaded (UTC) | rows | synthetic | SHA-256 of the file |", "|---|---|---|---|---|---|"]
    for r in datasets.itertuples():
        loaded = pd.Timestamp(r.loaded_at).strftime("%Y-%m-%d %H:%M") if pd.notna(r.loaded_at) else ""
        lines.append(f"| {_md_cell(r.dataset)} | {_md_cell(r.file)} | {loaded} | {_md_cell(r.rows)} | "
                     f"{'yes' if bool(r.synthetic) else 'no'} | {_md_cell(r.sha256) or 'not recorded'} |")
    return "\n".join(lines)


def _evidence_readme(filters: Filters, n: int, n_urls: int, overridden: int, n_audit: int,
                     datasets: pd.DataFrame, t: dt.datetime, synthetic: bool, coords: str = "exact") -> str:
    warn = ("\n**Synthetic demo data**: every incident in this package is invented (real town names, "
            "made-up events). Do not cite it.\n" if synthetic else "")
    if coords != "exact":
        warn += (f"\n**Coordinates {coords}**: sensitive records are placed at the centre of their grid cell "
                 "(`geo_precision` says so); ask an editor for the exact places.\n")
    return f"""# HarmMap evidence package
{warn}
Generated {fmt_utc(t)} for: {filters.describe()}.

- {n:,} incidents, {n_urls:,} source URLs
- {overridden:,} of these incidents carry an analyst's override; {n_audit:,} recorded changes

## Files
| file | what |
|---|---|
| incidents.csv | every canonical column, one row per incident (lists as `a; b`; cells that a spreadsheet would run as a formula start with `'`) |
| incidents.geojson | the same incidents as GeoJSON (WGS84) |
| sources.csv | one row per source URL: incident_id, record_id (the incident or another report of the same event linked to it as a duplicate), source, date, location, url |
| classification.csv | effective categories (an override wins), the classifier's categories, confidence, evidence (term matched, source label mapped, facility nearby), whether overridden |
| overrides_audit.csv | every change an analyst made to these incidents' categories: old, new, user, time (UTC), reason, version |
| datasets.csv | the data sets loaded: when, rows, synthetic or not, SHA-256 of the file loaded |
| filters.json | the filters that selected these incidents (as in the dashboard's URL) |
| manifest.json | SHA-256 and size of every file above |
| SHA256SUMS | the same sums (and the manifest's) for `sha256sum -c SHA256SUMS` |

## Verify
Unzip and run `sha256sum -c SHA256SUMS`, or `python -c "from harmmap.export import verify; print(verify('THIS.zip'))"`.
Every line must say OK; a changed file fails.

## Data sets
{datasets_markdown(datasets)}
"""
