"""SQL shared by both engines: migrations, Filters -> WHERE, aggregates, frame conversion.

Every query is written once with ``?`` placeholders; the PostGIS engine turns them into
psycopg's ``%s`` (no SQL text here contains a literal ``?`` or ``%``). What differs between the
dialects (array functions, the spatial predicates) lives in :class:`Dialect`.

:class:`SqlStore` implements every read method of :class:`harmmap.store.Store` on top of three
engine hooks (``_fetch``, ``_where`` for the spatial part, and the writes), so that both engines
behave the same by construction.

Example
-------
>>> from harmmap.query import Filters
>>> sql, params = where(Filters(admin1=("Kharkiv",)), DUCKDB)
>>> sql
'v.duplicate_of IS NULL AND v.admin1 IN (?)'
>>> params
['Kharkiv']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harmmap import schema
from harmmap.query import Filters
from harmmap.taxonomy import UNCLASSIFIED, load_taxonomy

FREQS = ("day", "week", "month")
TIMESERIES_BY = ("group", "category", "admin1", "source", None)
COUNTS_BY = ("category", "group", "admin1", "source")

#: Columns of the incidents table, in order (the canonical ones minus geometry, plus lon/lat, dataset).
STORE_COLUMNS = ([c for c in schema.COLUMN_NAMES if c != "geometry"][:5] + ["lon", "lat"]
                 + [c for c in schema.COLUMN_NAMES if c != "geometry"][5:] + ["dataset"])
#: What ``incidents()`` returns by default.
READ_COLUMNS = [c for c in STORE_COLUMNS if c != "dataset"] + ["classifier_categories", "overridden"]
#: Everything a caller may ask for in ``columns=`` or ``order=``.
ALLOWED_COLUMNS = set(STORE_COLUMNS) | {"classifier_categories", "overridden", "override_version"}
#: Kept by the store for fast reads (migration 3), never returned: effective category bitmask,
#: whether an analyst's override applies, lower-cased description + location.
DERIVED_COLUMNS = ("eff_mask", "has_override", "search")
#: What ``analysis_rows()`` may return (compact: see there).
ANALYSIS_COLUMNS = {"incident_id", "source", "date", "date_precision", "time", "lon", "lat", "geo_precision",
                    "admin1", "eff_mask", "fatalities", *schema.H3_COLUMNS}
LIST_COLUMNS = schema.LIST_COLUMNS + ["classifier_categories"]
INT_COLUMNS = ["fatalities", "injuries"]


def _sql_type(col: str, pg: bool) -> str:
    if col in ("lon", "lat", "category_confidence"):
        return "DOUBLE PRECISION" if pg else "DOUBLE"
    if col == "date":
        return "DATE"
    if col in INT_COLUMNS:
        return "INTEGER"
    if col in schema.H3_COLUMNS:
        return "BIGINT"
    if col in schema.LIST_COLUMNS:
        return "TEXT[]" if pg else "VARCHAR[]"
    return "TEXT" if pg else "VARCHAR"


def _incidents_ddl(pg: bool) -> str:
    cols = []
    for c in STORE_COLUMNS:
        # DuckDB: no PRIMARY KEY (its ART index makes upserts ~10x slower); ids stay unique because
        # the only writer deletes the batch's ids before inserting them, in one transaction.
        key = " PRIMARY KEY" if pg else " NOT NULL"
        extra = key if c == "incident_id" else (" NOT NULL" if c == "source" else "")
        cols.append(f"{c} {_sql_type(c, pg)}{extra}")
    if pg:
        cols.append("geom geometry(Point, 4326)")
    return "CREATE TABLE incidents (\n  " + ",\n  ".join(cols) + "\n)"


def _migrations(pg: bool) -> list[tuple[int, str, list[str]]]:
    text = "TEXT" if pg else "VARCHAR"
    arr = "TEXT[]" if pg else "VARCHAR[]"
    v1 = [
        _incidents_ddl(pg),
        f"""CREATE TABLE overrides (incident_id {text} PRIMARY KEY, categories {arr},
            "user" {text} NOT NULL, "at" TIMESTAMP NOT NULL, reason {text}, version INTEGER NOT NULL)""",
        f"""CREATE TABLE override_audit (incident_id {text} NOT NULL, old_categories {arr},
            new_categories {arr}, "user" {text} NOT NULL, "at" TIMESTAMP NOT NULL, reason {text},
            version INTEGER NOT NULL)""",
        f"""CREATE TABLE datasets (dataset {text} PRIMARY KEY, file {text}, loaded_at TIMESTAMP,
            rows BIGINT)""",
    ]
    v2 = [
        "ALTER TABLE datasets ADD COLUMN synthetic BOOLEAN DEFAULT FALSE",
        f"ALTER TABLE datasets ADD COLUMN sha256 {text}",
    ]
    if pg:
        # DuckDB answers these filters from its zone maps; its ART indexes only slow the ingest.
        v2 += [f"CREATE INDEX incidents_{c}_idx ON incidents ({c})"
               for c in ["date", "admin1", "duplicate_of", *schema.H3_COLUMNS]]
        v2 += ["CREATE INDEX incidents_geom_idx ON incidents USING GIST (geom)",
               "CREATE INDEX override_audit_incident_idx ON override_audit (incident_id)"]
    d = POSTGIS if pg else DUCKDB
    v3 = [
        f"CREATE TABLE category_bits (category {text} PRIMARY KEY, bit INTEGER NOT NULL)",
        f"INSERT INTO category_bits (category, bit) VALUES ('{UNCLASSIFIED}', 0)",
        "ALTER TABLE incidents ADD COLUMN eff_mask BIGINT",
        "ALTER TABLE incidents ADD COLUMN has_override BOOLEAN DEFAULT FALSE",
        f"ALTER TABLE incidents ADD COLUMN search {text}",
        register_categories_sql("SELECT unnest(categories) AS cat FROM incidents"),
        register_categories_sql("SELECT unnest(categories) AS cat FROM overrides"),
        f"UPDATE incidents SET eff_mask = {mask_expr(d, 'incidents.categories')}, has_override = FALSE, "
        f"search = {search_expr('incidents.')}",
        patch_overrides_sql(d),
    ]
    v4 = facts_ddl() if pg else []    # DuckDB reads only the columns a query names: it needs no narrow copy
    return [(1, "incidents, overrides, override_audit, datasets", v1),
            (2, "datasets.synthetic and sha256; indexes", v2),
            (3, "category bitmask, override flag and lower-cased search text on incidents", v3),
            (4, "PostgreSQL: incident_facts, the aggregated columns kept in step by triggers", v4)]


#: The columns of ``incident_facts`` (PostgreSQL): what the page's aggregates and their usual filters read,
#: fixed-width ones first. A row of the incidents table carries its texts (about 0.8 KB with real
#: descriptions, evidence and links), which a scan reads and steps over; the narrow copy is read instead.
FACT_COLUMNS = ["date", "eff_mask", "fatalities", "lon", "lat", "category_confidence", "has_override",
                *schema.H3_COLUMNS, "admin1", "source", "duplicate_of", "incident_id"]


def facts_ddl() -> list[str]:
    """PostgreSQL: create ``incident_facts``, fill it from the incidents and keep it in step with one statement
    trigger per kind of write (inserted, updated and deleted rows come as transition tables, so a load of a
    million rows costs one INSERT ... SELECT, not a million trigger calls). The triggers run inside the writing
    transaction: a reader sees both tables at the same moment, whichever instance wrote."""
    cols = ", ".join(FACT_COLUMNS)
    ddl = ", ".join(f"{c} {'BOOLEAN' if c == 'has_override' else 'BIGINT' if c == 'eff_mask' else _sql_type(c, True)}"
                    for c in FACT_COLUMNS)

    def function(name: str, body: str) -> str:
        # the search path is fixed when the function is made: the schema of this store, whoever writes
        return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ "
                f"BEGIN {body} RETURN NULL; END $$")
    insert = f"INSERT INTO incident_facts ({cols}) SELECT {cols} FROM new_rows;"
    delete = "DELETE FROM incident_facts f USING old_rows o WHERE f.incident_id = o.incident_id;"
    return [
        f"CREATE TABLE incident_facts ({ddl})",
        f"INSERT INTO incident_facts ({cols}) SELECT {cols} FROM incidents",
        "ALTER TABLE incident_facts ADD PRIMARY KEY (incident_id)",
        "CREATE INDEX incident_facts_date_idx ON incident_facts (date)",
        function("harmmap_facts_insert", insert),
        function("harmmap_facts_update", delete + " " + insert),
        function("harmmap_facts_delete", delete),
        function("harmmap_facts_truncate", "TRUNCATE incident_facts;"),
        "CREATE TRIGGER incidents_facts_insert AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION harmmap_facts_insert()",
        "CREATE TRIGGER incidents_facts_update AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION harmmap_facts_update()",
        "CREATE TRIGGER incidents_facts_delete AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION harmmap_facts_delete()",
        "CREATE TRIGGER incidents_facts_truncate AFTER TRUNCATE ON incidents "
        "FOR EACH STATEMENT EXECUTE FUNCTION harmmap_facts_truncate()",
        "ANALYZE incident_facts",
    ]


@dataclass(frozen=True)
class Dialect:
    """What differs between DuckDB and PostgreSQL SQL."""

    name: str
    array: str          # array type name for casts
    length: str         # function giving an array's length

    def list_literal(self, *items: str) -> str:
        inner = ", ".join(f"'{x}'" for x in items)
        return f"[{inner}]" if self.name == "duckdb" else f"ARRAY[{inner}]::text[]"

    def empty_list(self) -> str:
        return "[]::VARCHAR[]" if self.name == "duckdb" else "ARRAY[]::text[]"

    def has_any(self, col: str) -> str:
        """``col`` shares an element with the one list parameter."""
        if self.name == "duckdb":
            return f"list_has_any({col}, ?::VARCHAR[])"
        return f"{col} && ?::text[]"

    def in_list(self, col: str, values: list) -> tuple[str, list]:
        if self.name == "duckdb":
            return f"{col} IN ({', '.join('?' * len(values))})", list(values)
        return f"{col} = ANY(?)", [list(values)]

    def unclassified(self, col: str) -> str:
        """The effective categories are empty or ['unclassified']."""
        return f"({self.length}({col}) = 0 OR {col} = {self.list_literal(UNCLASSIFIED)})"

    def unnest_categories(self, col: str) -> str:
        return (f"unnest(CASE WHEN {self.length}({col}) = 0 THEN {self.list_literal(UNCLASSIFIED)} "
                f"ELSE {col} END)")

    def bit_count(self, mask: str, bit: int) -> str:
        """An aggregate counting the rows whose ``mask`` has ``bit`` set. DuckDB's count_if over the
        test (15 categories over 10M rows, median of 7 interleaved runs: 0.44 s, against 0.55 s for
        ``count(*) FILTER`` and 0.57 s for summing the shifted bit); PostgreSQL has no count_if."""
        test = f"({mask} & CAST({1 << int(bit)} AS BIGINT)) <> 0"
        if self.name == "duckdb":
            return f"CAST(count_if({test}) AS BIGINT)"       # count_if is a HUGEINT: Decimal objects in pandas
        return f"count(*) FILTER (WHERE {test})"

    @staticmethod
    def total(expr: str) -> str:
        """``sum(expr)`` of integers as a BIGINT. Both engines widen an integer sum (DuckDB to HUGEINT,
        PostgreSQL to numeric), which arrive as Python Decimal objects: converting those took as long as the
        query itself (the hexagons at 1M on DuckDB: 4,700 cells x 19 columns, about 0.07 s for each)."""
        return f"CAST(sum({expr}) AS BIGINT)"

    def trunc(self, freq: str, col: str) -> str:
        if self.name == "duckdb":
            return f"CAST(date_trunc('{freq}', {col}) AS DATE)"
        if freq == "week":
            # the Monday on or before: integer arithmetic on the date (1900-01-01 was a Monday), a fifth
            # cheaper than date_trunc over a cast to timestamp for PostgreSQL
            return f"({col} - mod(mod({col} - DATE '1900-01-01', 7) + 7, 7))"
        return f"CAST(date_trunc('{freq}', CAST({col} AS timestamp)) AS DATE)"


DUCKDB = Dialect("duckdb", "VARCHAR[]", "len")
POSTGIS = Dialect("postgis", "text[]", "cardinality")

#: results kept per store for the filters of the last few pages (see SqlStore._kept)
MEMO_ENTRIES = 8
#: Bits 0..62 of a BIGINT hold categories (bit 0 is 'unclassified', the mask of an empty list).
MAX_BIT = 62
SEARCH_SEP = "\x1f"


def mask_expr(d: Dialect, col: str) -> str:
    """SQL for the category bitmask of the list ``col`` (the unclassified bit 1 when it is empty)."""
    has = f"list_contains({col}, b.category)" if d.name == "duckdb" else f"b.category = ANY({col})"
    return (f"COALESCE((SELECT bit_or(CAST(1 AS BIGINT) << b.bit) FROM category_bits b "
            f"WHERE b.bit <= {MAX_BIT} AND {has}), CAST(1 AS BIGINT))")


def search_expr(prefix: str = "") -> str:
    """The lower-cased text that ``Filters.text`` searches (description, separator, location)."""
    return (f"lower(COALESCE({prefix}description, '')) || chr(31) || "
            f"lower(COALESCE({prefix}location, ''))")


def register_categories_sql(source: str) -> str:
    """Give every category of ``source`` (a query with a ``cat`` column) that has no bit the next bits.

    Bits are only ever added, so a mask stays valid; writers serialise on it (DuckDB: one writer;
    PostgreSQL: an advisory lock taken by the engine before this statement).
    """
    return ("INSERT INTO category_bits (category, bit) "
            "SELECT x.cat, (SELECT max(bit) FROM category_bits) + row_number() OVER (ORDER BY x.cat) "
            f"FROM (SELECT DISTINCT s.cat FROM ({source}) s WHERE s.cat IS NOT NULL) x "
            "WHERE x.cat NOT IN (SELECT category FROM category_bits)")


def patch_overrides_sql(d: Dialect, only: str | None = None) -> str:
    """Set the effective mask and the override flag of overridden incidents (``only``: a SQL
    condition on ``incidents`` restricting which)."""
    extra = f" AND {only}" if only else ""
    return (f"UPDATE incidents SET eff_mask = {mask_expr(d, 'o.categories')}, has_override = TRUE "
            f"FROM overrides o WHERE o.incident_id = incidents.incident_id AND o.categories IS NOT NULL{extra}")


#: Numbered steps per engine; each is applied in one transaction, in order, and recorded in
#: ``schema_version``; opening an older store upgrades it in place. To change the schema, append a
#: step (never edit a released one) to ``_migrations`` for both engines and bump nothing else.
MIGRATIONS = {"duckdb": _migrations(False), "postgis": _migrations(True)}
LATEST_VERSION = max(v for v, _, _ in MIGRATIONS["duckdb"])
#: The oldest version a store can be read at without upgrading it (DuckDB's migration 4 changes nothing)
READABLE_VERSION = {engine: max(v for v, _, steps in m if steps) for engine, m in MIGRATIONS.items()}
SCHEMA_VERSION_DDL = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP)"


def effective_view(d: Dialect) -> str:
    """The incidents with effective categories: an analyst's override wins over the classifier."""
    cols = ", ".join(f"i.{c}" for c in STORE_COLUMNS if c != "categories")
    geom = ", i.geom" if d.name == "postgis" else ""
    return (f"(SELECT {cols}{geom}, COALESCE(o.categories, i.categories) AS categories, "
            f"i.categories AS classifier_categories, (o.categories IS NOT NULL) AS overridden, "
            f"o.version AS override_version, i.eff_mask, i.has_override, i.search "
            f"FROM incidents i LEFT JOIN overrides o ON o.incident_id = i.incident_id) AS v")


def polygon_bounds(wkt: str):
    """Parse ``Filters.polygon_wkt``; return (geometry, bounds) or raise ValueError."""
    import shapely

    try:
        geom = shapely.from_wkt(wkt)
    except Exception as exc:  # shapely raises GEOSException
        raise ValueError(f"the drawn area is not valid WKT: {exc}") from None
    if geom is None or geom.is_empty:
        raise ValueError("the drawn area is empty")
    return geom, geom.bounds


def where(f: Filters, d: Dialect, *, spatial: bool = True, bits: dict[str, int] | None = None,
          lonlat: bool = False) -> tuple[str, list]:
    """Filters -> a WHERE condition on ``v`` (the effective view, or the incidents table when
    ``bits`` is given) and its parameters.

    With ``spatial=False`` the polygon is left to the caller (DuckDB tests it with shapely);
    its bounding box is still applied here so that the caller gets only candidates.
    With ``bits`` (category -> bit, see :meth:`SqlStore._bits`) categories are tested on the stored
    effective bitmask and text on the stored lower-cased search column: no list, no join, no lower().
    With ``lonlat`` a box is tested on ``v.lon`` and ``v.lat`` on PostgreSQL too (``incident_facts`` has no
    geometry; for points the two tests are the same).
    """
    conds: list[str] = []
    params: list = []
    if not f.include_duplicates:
        conds.append("v.duplicate_of IS NULL")
    if f.date_from:
        conds.append("v.date >= ?")
        params.append(f.date_from)
    if f.date_to:
        conds.append("v.date <= ?")
        params.append(f.date_to)
    if f.categories and bits is not None:
        real = [c for c in f.categories if c != UNCLASSIFIED]
        parts = []
        if real:
            parts.append("(v.eff_mask & CAST(? AS BIGINT)) <> 0")
            params.append(sum(1 << bits[c] for c in set(real) if c in bits))
        if UNCLASSIFIED in f.categories:
            parts.append("v.eff_mask = 1")
        conds.append("(" + " OR ".join(parts) + ")")
    elif f.categories:
        real = [c for c in f.categories if c != UNCLASSIFIED]
        parts = []
        if real:
            parts.append(d.has_any("v.categories"))
            params.append(real)
        if UNCLASSIFIED in f.categories:
            parts.append(d.unclassified("v.categories"))
        conds.append("(" + " OR ".join(parts) + ")")
    for col, vals in (("v.admin1", f.admin1), ("v.source", f.sources), ("v.incident_id", f.incident_ids)):
        if vals:
            sql, p = d.in_list(col, list(vals))
            conds.append(sql)
            params += p
    if f.text and f.text.strip() and bits is not None and SEARCH_SEP not in f.text:
        conds.append("strpos(v.search, lower(?)) > 0")
        params.append(f.text.strip())
    elif f.text and f.text.strip():
        conds.append("(strpos(lower(COALESCE(v.description, '')), lower(?)) > 0 "
                     "OR strpos(lower(COALESCE(v.location, '')), lower(?)) > 0)")
        params += [f.text.strip(), f.text.strip()]
    if f.min_confidence:
        # an analyst's override is certain; the threshold applies to the classifier's output
        conds.append(f"(v.{'has_override' if bits is not None else 'overridden'} OR v.category_confidence >= ?)")
        params.append(float(f.min_confidence))
    if f.h3_cells:
        conds.append(_h3_condition(f.h3_cells, d, params))
    boxes = []
    if f.bbox:
        boxes.append(tuple(float(x) for x in f.bbox))
    if f.polygon_wkt:
        geom, bounds = polygon_bounds(f.polygon_wkt)
        if d.name == "postgis" and spatial:
            conds.append("ST_Intersects(v.geom, ST_GeomFromText(?, 4326))")
            params.append(geom.wkt)
        else:
            boxes.append(bounds)
    for b in boxes:
        if d.name == "postgis" and not lonlat:
            conds.append("v.geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)")
            params += list(b)
        else:
            conds.append("v.lon BETWEEN ? AND ? AND v.lat BETWEEN ? AND ?")
            params += [b[0], b[2], b[1], b[3]]
    return (" AND ".join(conds) or "TRUE"), params


def _h3_condition(cells: tuple[str, ...], d: Dialect, params: list) -> str:
    import h3

    by_res: dict[int, list[int]] = {}
    for cell in cells:
        try:
            res = h3.get_resolution(cell)
            value = h3.str_to_int(cell)
        except Exception:
            raise ValueError(f"{cell!r} is not an H3 cell") from None
        if res not in schema.H3_RESOLUTIONS:
            raise ValueError(f"H3 cell {cell!r} has resolution {res}; the store keeps "
                             f"{schema.H3_RESOLUTIONS[0]}..{schema.H3_RESOLUTIONS[-1]}")
        by_res.setdefault(res, []).append(value)
    parts = []
    for res, vals in sorted(by_res.items()):
        sql, p = d.in_list(f"v.h3_r{res}", vals)
        parts.append(sql)
        params += p
    return "(" + " OR ".join(parts) + ")"


def taxonomy_values() -> tuple[str, list]:
    """A ``(category, grp)`` VALUES relation from the taxonomy file, and its parameters."""
    tax = load_taxonomy()
    rows = [(cid, cat.group) for cid, cat in tax.categories.items()]
    sql = "(VALUES " + ", ".join("(CAST(? AS TEXT), CAST(? AS TEXT))" for _ in rows) + ") AS tax(category, grp)"
    return sql, [x for r in rows for x in r]


# ---------------------------------------------------------------------------------------------
# frames in and out


def to_arrow(gdf, dataset: str) -> pa.Table:
    """A canonical (Geo)DataFrame -> an Arrow table with the incidents table's columns.

    Vectorised: no Python loop over rows (list columns go through pyarrow's C++ converter).
    """
    import shapely

    missing = [c for c in schema.COLUMN_NAMES if c not in gdf.columns]
    if missing:
        raise ValueError(f"not a canonical incident table: missing columns {missing} "
                         "(use harmmap.schema.conform)")
    n = len(gdf)
    geoms = np.asarray(gdf.geometry.values, dtype=object) if n else np.array([], dtype=object)
    with np.errstate(invalid="ignore"):
        lon = shapely.get_x(geoms) if n else np.array([], dtype=float)
        lat = shapely.get_y(geoms) if n else np.array([], dtype=float)
    arrays = {}
    for c in STORE_COLUMNS:
        if c == "lon":
            arrays[c] = pa.array(lon, type=pa.float64(), from_pandas=True)
        elif c == "lat":
            arrays[c] = pa.array(lat, type=pa.float64(), from_pandas=True)
        elif c == "dataset":
            arrays[c] = pa.array([dataset] * n, type=pa.string())
        elif c == "date":
            days = pd.to_datetime(gdf[c], errors="coerce").astype("datetime64[ns]")
            arrays[c] = pa.array(days.to_numpy(), type=pa.timestamp("ns"), from_pandas=True).cast(pa.date32())
        elif c in schema.LIST_COLUMNS:
            try:  # conformed frames hold lists of str: one C++ conversion
                arrays[c] = pa.array(gdf[c].tolist(), type=pa.list_(pa.string()))
            except (pa.ArrowException, TypeError):
                arrays[c] = pa.array([schema._as_list(v) for v in gdf[c]], type=pa.list_(pa.string()))
        elif c in INT_COLUMNS:
            arrays[c] = pa.array(pd.to_numeric(gdf[c], errors="coerce").astype("Int64"), type=pa.int32(),
                                 from_pandas=True)
        elif c in schema.H3_COLUMNS:
            arrays[c] = pa.array(pd.to_numeric(gdf[c], errors="coerce").fillna(0).astype("int64"),
                                 type=pa.int64())
        elif c == "category_confidence":
            arrays[c] = pa.array(pd.to_numeric(gdf[c], errors="coerce").astype("float64"), type=pa.float64(),
                                 from_pandas=True)
        else:
            arrays[c] = pa.array(gdf[c].astype("string"), type=pa.string(), from_pandas=True)
    return pa.table(arrays)


def check_ids(tbl: pa.Table) -> None:
    """Refuse a batch with missing or repeated incident ids (nothing is dropped silently)."""
    ids = tbl.column("incident_id")
    if ids.null_count:
        raise ValueError(f"{ids.null_count} row(s) have no incident_id")
    if pc.count_distinct(ids).as_py() != len(ids):
        vc = pc.value_counts(ids)
        dup = [v["values"] for v in vc.to_pylist() if v["counts"] > 1][:5]
        raise ValueError(f"incident_id repeated within the batch: {', '.join(map(str, dup))}")
    src = tbl.column("source")
    if src.null_count:
        raise ValueError(f"{src.null_count} row(s) have no source")


def normalize(df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame read from either engine the canonical dtypes (lists as Python lists)."""
    for c in df.columns:
        if c in LIST_COLUMNS:
            df[c] = [v if type(v) is list else list(v) if v is not None and not (isinstance(v, float)
                                                                          and math.isnan(v)) else []
                     for v in df[c]]
        elif c == "date":
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        elif c in INT_COLUMNS:
            df[c] = pd.to_numeric(df[c]).astype("Int64")
        elif c in schema.H3_COLUMNS:
            df[c] = pd.to_numeric(df[c]).astype("int64")
        elif c in ("lon", "lat", "category_confidence"):
            df[c] = pd.to_numeric(df[c]).astype("float64")
        elif c == "overridden":
            df[c] = df[c].astype(bool)
        elif c == "override_version":
            df[c] = pd.to_numeric(df[c]).astype("Int64")
        elif c in STORE_COLUMNS:
            df[c] = df[c].astype("string")
    return df


def file_sha256(file: str | None) -> str | None:
    """SHA-256 of the loaded file ("archive.zip!member": of the archive), or None."""
    if file and not os.path.isfile(file) and "!" in file:
        file = file.split("!", 1)[0]
    if not file or not os.path.isfile(file):
        return None
    h = hashlib.sha256()
    with open(file, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def check_override(incident_id: str, categories, user: str) -> list[str] | None:
    """Validate an analyst's edit; return the categories as a list (None = clear the override)."""
    if not user or not str(user).strip():
        raise ValueError("an override needs the analyst's name")
    if categories is None:
        return None
    if isinstance(categories, str):
        categories = [categories]
    cats = list(dict.fromkeys(str(c) for c in categories))
    known = load_taxonomy().categories
    unknown = [c for c in cats if c not in known]
    if unknown:
        raise ValueError(f"incident {incident_id}: unknown categor{'y' if len(unknown) == 1 else 'ies'} "
                         f"{', '.join(map(repr, unknown))} (see data/taxonomy.toml)")
    return cats


def conflict_message(incident_id: str, row, expected: int | None) -> str:
    """Who saved in between and when (``row``: user, at, version of the current override)."""
    if row is None:
        return (f"incident {incident_id}: the override you edited (version {expected}) no longer exists; "
                "reload and try again")
    user, at, version = row
    when = at.strftime("%Y-%m-%d %H:%M UTC") if hasattr(at, "strftime") else str(at)
    return (f"incident {incident_id} was changed by {user} at {when} (version {version}; you edited "
            f"version {expected or 0}); reload it and apply your change again")


def next_override(incident_id: str, row, expected: int | None) -> tuple[list[str] | None, int]:
    """From the stored override ``row`` (categories, user, at, version; None when there is none): the
    categories it replaces and the new version. Raises :class:`ConflictError` when ``expected`` (the
    version the analyst saw; None skips the check) is not the stored one."""
    from harmmap.store import ConflictError

    current = int(row[3]) if row else 0
    if expected is not None and int(expected) != current:
        raise ConflictError(conflict_message(incident_id, row[1:] if row else None, expected))
    old = list(row[0]) if row and row[0] is not None else None
    return old, current + 1


# ---------------------------------------------------------------------------------------------
# the read side, shared


class SqlStore:
    """Read methods shared by both engines. Subclasses provide ``_fetch`` and ``_where``."""

    engine: str
    url: str
    dialect: Dialect

    # engine hooks ---------------------------------------------------------------------------
    def _fetch(self, sql: str, params: list, filters: Filters | None = None,
               bits: dict[str, int] | None = None) -> pd.DataFrame:
        """Run ``sql`` and return a frame.

        With ``filters``, ``{where}`` in ``sql`` is replaced by their condition (see :func:`where`;
        ``bits`` selects the bitmask form), whose parameters come before ``params`` (every query
        here has ``{where}`` before any other placeholder).
        """
        raise NotImplementedError

    def _data_version(self):
        """A token that changes whenever the stored data may have changed (read before a query whose result
        is kept: see :meth:`_kept`), or None when the engine cannot tell (then nothing is kept)."""
        return None

    def _memo_box(self) -> tuple[OrderedDict, threading.Lock]:
        """Where kept results live: per store object by default (DuckDB: per database file)."""
        box = self.__dict__.get("_memo_box_")
        if box is None:
            box = self.__dict__.setdefault("_memo_box_", (OrderedDict(), threading.Lock()))
        return box

    def _kept(self, key: tuple, version):
        """The result kept for ``key`` under data ``version`` (from :meth:`_data_version`), or None."""
        if version is None:
            return None
        memo, lock = self._memo_box()
        with lock:
            hit = memo.get((key, version))
            if hit is not None:
                memo.move_to_end((key, version))
            return hit

    def _keep(self, key: tuple, version, value) -> None:
        """Keep ``value`` for ``key``, computed after ``version`` was read; older versions' results go."""
        if version is None:
            return
        memo, lock = self._memo_box()
        with lock:
            for k in [k for k in memo if k[1] != version]:
                del memo[k]
            memo[(key, version)] = value
            while len(memo) > MEMO_ENTRIES:
                memo.popitem(last=False)

    # helpers ----------------------------------------------------------------------------------
    def _v(self) -> str:
        return effective_view(self.dialect)

    def _agg_src(self, filters: Filters) -> str:
        """The relation (as ``v``) that the page's aggregates scan under ``filters`` in their bitmask form:
        the incidents table here; PostgreSQL reads its narrow copy where the filters allow."""
        return "incidents v"

    def _bits(self) -> dict[str, int] | None:
        """Category -> bit of the stored masks; None when some category has no bit (more than
        63 categories), and the reads fall back to the list columns and the effective view."""
        df = self._fetch("SELECT category, bit FROM category_bits", [])
        bits = dict(zip(df["category"].astype(str), pd.to_numeric(df["bit"]).astype(int), strict=True))
        if not bits or max(bits.values()) > MAX_BIT:
            return None
        return bits

    # reading ------------------------------------------------------------------------------------
    def is_empty(self) -> bool:
        # asked on every rerun of every page (ui.store.ready_store): count(Filters()) was a scan of the table
        # (1.65 s on PostgreSQL at 10M)
        return bool(self._fetch("SELECT NOT EXISTS (SELECT 1 FROM incidents) AS e", [])["e"].iloc[0])

    def count(self, filters: Filters) -> int:
        bits = self._bits()
        if bits is not None:
            kept = self._kept(self._oblast_key(filters, bits), self._data_version())
            if kept is not None:
                return int(pd.to_numeric(kept["n"]).sum())
        src = self._agg_src(filters) if bits is not None else self._v()
        df = self._fetch(f"SELECT count(*) AS n FROM {src} WHERE {{where}}", [], filters, bits)
        return int(df["n"].iloc[0])

    def incidents(self, filters: Filters, *, columns: list[str] | None = None,
                  limit: int | None = None, order: str = "date") -> pd.DataFrame:
        """Rows matching ``filters``: ``lon``/``lat`` instead of geometry, effective categories.

        ``order`` is a column name, ``-name`` for descending; ties break on incident_id.
        """
        cols = list(columns) if columns else list(READ_COLUMNS)
        out: list[str] = []
        for c in cols:
            if c == "geometry":
                out += [x for x in ("lon", "lat") if x not in out]
            elif c not in ALLOWED_COLUMNS:
                raise ValueError(f"unknown column {c!r}; choose from {sorted(ALLOWED_COLUMNS)}")
            elif c not in out:
                out.append(c)
        desc = order.startswith("-")
        key = order.lstrip("-") or "date"
        if key not in ALLOWED_COLUMNS:
            raise ValueError(f"cannot order by {order!r}")
        direction = "DESC" if desc else "ASC"
        sql = (f"SELECT {', '.join('v.' + c for c in out)} FROM {self._v()} WHERE {{where}} "
               f"ORDER BY v.{key} {direction} NULLS LAST, v.incident_id")
        params: list = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return normalize(self._fetch(sql, params, filters, self._bits()))

    def _analysis_source(self, columns: list[str]) -> tuple[list[str], dict[str, int] | None, str]:
        """For :meth:`analysis_rows` and :meth:`analysis_counts`: the columns checked against
        :data:`ANALYSIS_COLUMNS` (once each, in order; ``eff_mask`` read as the ``categories`` lists when the
        masks cannot hold every category), the category bits, and the relation to read."""
        cols: list[str] = []
        for c in columns:
            if c not in ANALYSIS_COLUMNS:
                raise ValueError(f"unknown column {c!r}; choose from {sorted(ANALYSIS_COLUMNS)}")
            if c not in cols:
                cols.append(c)
        bits = self._bits()
        if bits is None:
            cols = ["categories" if c == "eff_mask" else c for c in cols]
        return cols, bits, ("incidents v" if bits is not None else self._v())

    def analysis_rows(self, filters: Filters, columns: list[str], *, exact_only: bool = False,
                      latest: int | None = None) -> pd.DataFrame:
        """Rows matching ``filters`` in a compact form for the analyses (issue 8: no page holds the whole
        table as Python objects).

        ``columns``: from :data:`ANALYSIS_COLUMNS`. ``eff_mask`` is the effective categories as the stored
        bit mask (``attrs["category_bits"]``: category -> bit; decoded by
        :func:`harmmap.analysis._common.cat_lists`); when the masks cannot hold every category it is
        replaced by the ``categories`` lists. ``admin1``, ``date_precision`` and ``geo_precision`` come
        back as pandas categoricals. Row order is unspecified, except with ``latest``: then at most the
        ``latest`` most recent rows, in (date, incident_id) order, and ``attrs["capped"]`` says whether
        rows were left out. ``exact_only``: only precisely located rows (``geo_precision`` 'exact') with a
        date and coordinates.
        """
        cols, bits, src = self._analysis_source(columns)
        cond = "{where}"
        if exact_only:
            cond += (" AND v.geo_precision = 'exact' AND v.date IS NOT NULL AND v.lon IS NOT NULL"
                     " AND v.lat IS NOT NULL")
        sql = f"SELECT {', '.join('v.' + c for c in cols)} FROM {src} WHERE {cond}"
        params: list = []
        capped = False
        if latest is not None:
            # the day of the (latest+1)-th most recent row, from the date column alone; then only the rows
            # from that day on are read in full (a top-N over every column holds far more)
            cut = self._fetch(f"SELECT v.date AS d FROM {src} WHERE {cond} ORDER BY v.date DESC NULLS LAST "
                              f"LIMIT 1 OFFSET ?", [int(latest)], filters, bits)
            if len(cut):
                capped = True
                d = cut["d"].iloc[0]
                if d is not None and not pd.isna(d):
                    sql += " AND v.date >= ?"
                    params.append(pd.Timestamp(d).date())
            sql += " ORDER BY v.date ASC NULLS FIRST, v.incident_id ASC"
        df = self._fetch(sql, params, filters, bits)
        if latest is not None and len(df) > int(latest):
            df = df.iloc[len(df) - int(latest):].reset_index(drop=True)
        df = _compact(df, bits)
        df.attrs["capped"] = bool(capped)
        return df

    def analysis_counts(self, filters: Filters, by: list[str], *, freq: str | None = None,
                        only: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Incidents matching ``filters`` counted per distinct combination of ``by`` (columns of
        :data:`ANALYSIS_COLUMNS`, compact as in :meth:`analysis_rows`): the ``by`` columns and
        ``incidents``, in no particular order. ``freq`` ('week' or 'month') counts per week (from Monday)
        or month start instead of per ``date``. ``only``: categories; the mask keeps only their bits (fewer
        distinct masks, for an analysis that asks only whether a row has one of them). The analyses take such a
        frame as incidents, each row standing for ``incidents`` of them: its size depends on the distinct values,
        not on the rows.
        """
        if freq not in (None, "week", "month"):
            raise ValueError(f"freq must be 'week', 'month' or None, not {freq!r}")
        cols, bits, src = self._analysis_source(by)
        keep = None
        if only is not None and bits is not None and UNCLASSIFIED not in only:
            keep = sum(1 << bits[c] for c in set(only) if c in bits)

        def expr(c: str) -> str:
            if c == "date" and freq:
                return f"{self.dialect.trunc(freq, 'v.date')} AS date"
            if c == "eff_mask" and keep is not None:
                return f"(v.eff_mask & CAST({int(keep)} AS BIGINT)) AS eff_mask"
            return f"v.{c}"

        exprs = [expr(c) for c in cols]
        keys = ", ".join(str(i + 1) for i in range(len(cols)))
        sql = (f"SELECT {', '.join(exprs)}, count(*) AS incidents FROM {src} WHERE {{where}}"
               + (f" GROUP BY {keys}" if cols else ""))
        df = _compact(self._fetch(sql, [], filters, bits), bits)
        df["incidents"] = pd.to_numeric(df["incidents"]).astype("int64")
        return df

    def incident(self, incident_id: str) -> dict | None:
        df = self._fetch(f"SELECT v.*, o.\"user\" AS override_user, o.\"at\" AS override_at, "
                         f"o.reason AS override_reason, o.categories AS override_categories "
                         f"FROM {self._v()} LEFT JOIN overrides o ON o.incident_id = v.incident_id "
                         f"WHERE v.incident_id = ?", [incident_id])
        if df.empty:
            return None
        df = df.drop(columns=[c for c in ("geom", *DERIVED_COLUMNS) if c in df.columns])
        df = normalize(df)
        rec = {k: (None if _isna(v) else v) for k, v in df.iloc[0].to_dict().items()}
        if rec["date"] is not None:
            rec["date"] = pd.Timestamp(rec["date"]).date()
        version = rec.pop("override_version")
        ov = {"categories": rec.pop("override_categories"), "user": rec.pop("override_user"),
              "at": rec.pop("override_at"), "reason": rec.pop("override_reason"),
              "version": int(version) if version is not None else 0}
        if isinstance(ov["categories"], np.ndarray):
            ov["categories"] = list(ov["categories"])
        rec["override"] = ov if version is not None else None
        rec["override_version"] = ov["version"] if version is not None else 0
        primary = rec["duplicate_of"] or incident_id
        # two lookups joined (an OR over both columns scans the table: 0.17 s at 1M, the union 4 ms)
        cols = "i.incident_id, i.source, i.date, i.location, i.description, i.source_urls, i.duplicate_of"
        linked = self._fetch(
            f"SELECT * FROM (SELECT {cols} FROM incidents i WHERE i.incident_id = ? UNION ALL "
            f"SELECT {cols} FROM incidents i WHERE i.duplicate_of = ? AND i.incident_id <> ?) AS v "
            f"WHERE v.incident_id <> ? ORDER BY v.date, v.incident_id", [primary, primary, primary, incident_id])
        linked = normalize(linked)
        linked["date"] = [None if _isna(d) else pd.Timestamp(d).date() for d in linked["date"]]
        rec["duplicates"] = [{k: (None if _isna(v) else v) for k, v in r.items()}
                             for r in linked.to_dict("records")]
        return rec

    def _series_source(self, freq: str | None, by: str | None) -> tuple[str, str, list]:
        """(inner select, key expression, params) for per-key aggregates."""
        d = self.dialect
        period = d.trunc(freq, "v.date") if freq else "NULL"
        if by in (None, "admin1", "source"):
            key = f"v.{by}" if by else "CAST(NULL AS TEXT)"
            inner = (f"SELECT v.incident_id, {period} AS period, {key} AS key, v.fatalities "
                     f"FROM {self._v()} WHERE {{where}}")
            return inner, "key", []
        cats = (f"SELECT v.incident_id, {period} AS period, {d.unnest_categories('v.categories')} AS cat, "
                f"v.fatalities FROM {self._v()} WHERE {{where}}")
        if by == "category":
            return f"SELECT DISTINCT c.incident_id, c.period, c.cat AS key, c.fatalities FROM ({cats}) c", \
                "key", []
        tax, tparams = taxonomy_values()
        inner = (f"SELECT DISTINCT c.incident_id, c.period, COALESCE(tax.grp, 'other') AS key, c.fatalities "
                 f"FROM ({cats}) c LEFT JOIN {tax} ON tax.category = c.cat")
        return inner, "key", tparams

    def timeseries(self, filters: Filters, freq: str = "week", by: str | None = "group") -> pd.DataFrame:
        """``period`` (datetime, weeks start Monday), ``key``, ``incidents``, ``fatalities``."""
        if freq not in FREQS:
            raise ValueError(f"freq must be one of {FREQS}, not {freq!r}")
        if by not in TIMESERIES_BY:
            raise ValueError(f"by must be one of {TIMESERIES_BY}, not {by!r}")
        bits = self._bits()
        if bits is not None:
            return self._keyed(filters, bits, freq, by)
        inner, key, params = self._series_source(freq, by)
        sql = (f"SELECT s.period, s.{key} AS key, count(*) AS incidents, "
               f"COALESCE(sum(s.fatalities), 0) AS fatalities FROM ({inner}) s "
               f"WHERE s.period IS NOT NULL GROUP BY s.period, s.{key} ORDER BY s.period, s.{key}")
        df = self._fetch(sql, params, filters)
        return _agg_frame(df, period=True)

    def _key_masks(self, bits: dict[str, int], by: str) -> list[tuple[str, int]]:
        """``(key, mask)`` in key order: one per category, or one per taxonomy group (the OR of its
        categories' bits; categories outside the taxonomy are in group 'other')."""
        if by == "category":
            return sorted((c, 1 << b) for c, b in bits.items())
        tax = load_taxonomy().categories
        groups: dict[str, int] = {}
        for c, b in bits.items():
            g = tax[c].group if c in tax else "other"
            groups[g] = groups.get(g, 0) | (1 << b)
        return sorted(groups.items())

    def _keyed(self, filters: Filters, bits: dict[str, int], freq: str | None, by: str | None) -> pd.DataFrame:
        """Per (period, key) incidents and fatalities from the incidents table, in one scan grouped
        by day (a few thousand groups at most), then rolled up to the period. For categories and
        groups each key is a conditional count over the stored masks: no list is unnested, no row
        joined, and an incident counts once per key it belongs to."""
        d = self.dialect
        src = self._agg_src(filters)
        if by in (None, "admin1", "source"):
            key = f"v.{by}" if by else "CAST(NULL AS TEXT)"
            if freq:
                sql = (f"SELECT {d.trunc(freq, 's.day')} AS period, s.key AS key, {d.total('s.n')} AS incidents, "
                       f"COALESCE({d.total('s.f')}, 0) AS fatalities FROM (SELECT v.date AS day, {key} AS key, "
                       f"count(*) AS n, sum(v.fatalities) AS f FROM {src} WHERE {{where}} "
                       f"GROUP BY v.date, {key}) s WHERE s.day IS NOT NULL "
                       f"GROUP BY {d.trunc(freq, 's.day')}, s.key ORDER BY period, key")
            else:
                sql = (f"SELECT {key} AS key, count(*) AS incidents, COALESCE({d.total('v.fatalities')}, 0) AS fatalities "
                       f"FROM {src} WHERE {{where}} GROUP BY {key} ORDER BY incidents DESC, key")
            return _agg_frame(self._fetch(sql, [], filters, bits), period=bool(freq))
        keys = self._key_masks(bits, by)
        # stage 1 groups by (period, mask): at most periods x distinct masks groups, however many rows;
        # stage 2 spreads each mask's counts over the keys it holds
        spread = ", ".join(f"{d.total(f'CASE WHEN (s.m & CAST({int(m)} AS BIGINT)) <> 0 THEN s.n END')} AS n{i}, "
                           f"{d.total(f'CASE WHEN (s.m & CAST({int(m)} AS BIGINT)) <> 0 THEN s.f END')} AS f{i}"
                           for i, (_k, m) in enumerate(keys))
        if freq:
            # stage 1 by (period, mask), not (day, mask): a seventh of the groups for weeks (0.28 s
            # instead of 0.66 s over 10M rows); the truncation per row costs less than the groups
            sql = (f"SELECT s.period AS period, {spread} FROM (SELECT {d.trunc(freq, 'v.date')} AS period, "
                   f"v.eff_mask AS m, count(*) AS n, sum(v.fatalities) AS f FROM {src} WHERE {{where}} "
                   f"AND v.date IS NOT NULL GROUP BY 1, 2) s GROUP BY s.period")
        else:
            sql = (f"SELECT {spread} FROM (SELECT v.eff_mask AS m, count(*) AS n, sum(v.fatalities) AS f "
                   f"FROM {src} WHERE {{where}} GROUP BY v.eff_mask) s")
        wide = self._fetch(sql, [], filters, bits)
        k, rows = len(keys), len(wide)

        def matrix(prefix: str) -> np.ndarray:
            if not rows:
                return np.zeros((0, k), dtype="int64")
            return np.column_stack([pd.to_numeric(wide[f"{prefix}{i}"]).fillna(0).to_numpy(dtype="int64")
                                    for i in range(k)])

        n, f = matrix("n").ravel(), matrix("f").ravel()       # row-major: row by row, keys in order
        keep = n > 0
        out = {"key": np.tile(np.array([x for x, _ in keys], dtype=object), rows)[keep],
               "incidents": n[keep], "fatalities": f[keep]}
        if freq:
            periods = pd.to_datetime(wide["period"]).astype("datetime64[ns]").to_numpy() if rows else \
                np.array([], dtype="datetime64[ns]")
            out = {"period": np.repeat(periods, k)[keep], **out}
        df = pd.DataFrame(out)
        if freq:
            df = df.sort_values(["period", "key"], kind="stable")
        else:
            df = df.sort_values(["incidents", "key"], ascending=[False, True], kind="stable")
        return _agg_frame(df.reset_index(drop=True), period=bool(freq))

    def _hex_fast(self, filters: Filters, bits: dict[str, int], h: str) -> pd.DataFrame:
        """Hexagon counts and top category from one scan grouped by cell, with one conditional
        count per category; the top category is then picked in numpy (rules as in SQL below)."""
        keys = self._key_masks(bits, "category")
        src = self._agg_src(filters)
        per = ", ".join(f"{self.dialect.bit_count('v.eff_mask', int(m).bit_length() - 1)} AS n{i}"
                        for i, (_k, m) in enumerate(keys))
        sql = (f"SELECT {h} AS h3, count(*) AS incidents, COALESCE({self.dialect.total('v.fatalities')}, 0) "
               f"AS fatalities, {per} "
               f"FROM {src} WHERE {{where}} AND {h} <> 0 GROUP BY {h}")
        wide = self._fetch(sql, [], filters, bits)
        names = np.array([k for k, _ in keys], dtype=object)
        counts = np.column_stack([pd.to_numeric(wide[f"n{i}"]).fillna(0).to_numpy(dtype="int64")
                                  for i in range(len(keys))]) if len(wide) else np.zeros((0, len(keys)), "int64")
        uncl = names == UNCLASSIFIED
        classified = np.where(uncl[None, :], -1, counts)
        best = classified.argmax(axis=1) if len(wide) else np.zeros(0, dtype=int)   # first max: alphabetical
        top = names[best] if len(wide) else np.array([], dtype=object)
        none_classified = classified.max(axis=1) <= 0 if len(wide) else np.zeros(0, dtype=bool)
        has_uncl = counts[:, uncl].sum(axis=1) > 0 if len(wide) else np.zeros(0, dtype=bool)
        top = np.where(none_classified, np.where(has_uncl, UNCLASSIFIED, None), top)
        out = pd.DataFrame({"h3": pd.to_numeric(wide["h3"]).astype("int64"),
                            "incidents": pd.to_numeric(wide["incidents"]).astype("int64"),
                            "fatalities": pd.to_numeric(wide["fatalities"]).astype("int64"),
                            "top_category": pd.array(top, dtype="string")})
        return out.sort_values(["incidents", "h3"], ascending=[False, True], kind="stable").reset_index(drop=True)

    def counts_by(self, filters: Filters, by: str) -> pd.DataFrame:
        """``key``, ``incidents``, ``fatalities``, most incidents first."""
        if by not in COUNTS_BY:
            raise ValueError(f"by must be one of {COUNTS_BY}, not {by!r}")
        bits = self._bits()
        if bits is not None and by == "admin1":
            per = self._per_oblast(filters, bits)
            df = pd.DataFrame({"key": per["a"], "incidents": pd.to_numeric(per["n"]),
                               "fatalities": pd.to_numeric(per["f"]).fillna(0)})
            df = df.sort_values(["incidents", "key"], ascending=[False, True], na_position="last", kind="stable")
            return _agg_frame(df.reset_index(drop=True), period=False)
        if bits is not None:
            return self._keyed(filters, bits, None, by)
        inner, key, params = self._series_source(None, by)
        sql = (f"SELECT s.{key} AS key, count(*) AS incidents, COALESCE(sum(s.fatalities), 0) AS fatalities "
               f"FROM ({inner}) s GROUP BY s.{key} ORDER BY incidents DESC, s.{key}")
        return _agg_frame(self._fetch(sql, params, filters), period=False)

    def hex_counts(self, filters: Filters, resolution: int) -> pd.DataFrame:
        """``h3`` (int64), ``incidents``, ``fatalities``, ``top_category`` (ties: alphabetical;
        'unclassified' only where nothing in the cell is classified). Incidents without
        coordinates (cell 0) are left out."""
        if resolution not in schema.H3_RESOLUTIONS:
            raise ValueError(f"resolution must be one of {schema.H3_RESOLUTIONS}")
        d = self.dialect
        h = f"v.h3_r{int(resolution)}"
        bits = self._bits()
        top = ("top AS (SELECT h3, cat, row_number() OVER (PARTITION BY h3 ORDER BY "
               "CASE WHEN cat = 'unclassified' THEN 1 ELSE 0 END, n DESC, cat) AS rk FROM cat) "
               "SELECT tot.h3, tot.incidents, tot.fatalities, top.cat AS top_category FROM tot "
               "LEFT JOIN top ON top.h3 = tot.h3 AND top.rk = 1 ORDER BY tot.incidents DESC, tot.h3")
        if bits is not None:
            return self._hex_fast(filters, bits, h)
        sql = (
            f"WITH base AS (SELECT {h} AS h3, v.fatalities, v.categories FROM {self._v()} "
            f"WHERE {{where}} AND {h} <> 0), "
            f"tot AS (SELECT h3, count(*) AS incidents, COALESCE(sum(fatalities), 0) AS fatalities "
            f"FROM base GROUP BY h3), "
            f"cat AS (SELECT h3, cat, count(*) AS n FROM (SELECT h3, {d.unnest_categories('categories')} "
            f"AS cat FROM base) x GROUP BY h3, cat), " + top)
        df = self._fetch(sql, [], filters)
        out = pd.DataFrame({
            "h3": pd.to_numeric(df["h3"]).astype("int64"),
            "incidents": pd.to_numeric(df["incidents"]).astype("int64"),
            "fatalities": pd.to_numeric(df["fatalities"]).astype("int64"),
            "top_category": df["top_category"].astype("string"),
        })
        return out

    _PER_OBLAST = ("SELECT v.admin1 AS a, count(*) AS n, sum(v.fatalities) AS f, min(v.date) AS d0, "
                   "max(v.date) AS d1, min(v.lon) AS x0, min(v.lat) AS y0, max(v.lon) AS x1, max(v.lat) AS y1 "
                   "FROM {src} WHERE {{where}} GROUP BY v.admin1")

    @staticmethod
    def _oblast_key(filters: Filters, bits: dict[str, int] | None) -> tuple:
        return ("per_oblast", filters, tuple(sorted(bits.items())) if bits is not None else None)

    def _per_oblast(self, filters: Filters, bits: dict[str, int] | None) -> pd.DataFrame:
        """Per admin1 (``a``) of the matching incidents: ``n``, fatalities ``f``, first and last date
        ``d0``/``d1``, bounding box ``x0 y0 x1 y1``. One scan that :meth:`summary`, ``counts_by(f, 'admin1')``
        and :meth:`count` share: a page asks for them under the same filters (kept by the engine while the data
        do not change: one scan of the table instead of three)."""
        key = self._oblast_key(filters, bits)
        version = self._data_version()
        kept = self._kept(key, version)
        if kept is not None:
            return kept
        src = self._agg_src(filters) if bits is not None else self._v()
        df = self._fetch(self._PER_OBLAST.format(src=src), [], filters, bits)
        self._keep(key, version, df)
        return df

    def summary(self, filters: Filters) -> dict:
        per = self._per_oblast(filters, self._bits())

        def agg(col: str, fn: str):
            vals = per[col].dropna()
            return getattr(vals, fn)() if len(vals) else None

        n = int(pd.to_numeric(per["n"]).sum())
        bbox = None
        if n and agg("x0", "min") is not None:
            bbox = (float(agg("x0", "min")), float(agg("y0", "min")), float(agg("x1", "max")), float(agg("y1", "max")))
        return {"incidents": n, "fatalities": int(pd.to_numeric(per["f"]).fillna(0).sum()),
                "admin1_count": int(per["a"].notna().sum()),
                "date_min": _as_date(agg("d0", "min")), "date_max": _as_date(agg("d1", "max")), "bbox": bbox}

    def options(self) -> dict:
        """Sidebar choices from the data: ``admin1``, ``sources``, ``categories`` (taxonomy order;
        'unclassified' when some incident has none), ``date_min``, ``date_max``."""
        d = self.dialect
        bits = self._bits()
        # one scan for oblasts, sources, dates and (with the masks) the categories present: a few groups
        # (oblast x source), not three scans of the table (6 s of a first Map page on PostgreSQL at 10M)
        grid = self._fetch("SELECT admin1, source, min(date) AS lo, max(date) AS hi"
                           + (", bit_or(eff_mask) AS m" if bits is not None else "")
                           + " FROM incidents GROUP BY admin1, source", [])
        if bits is not None:
            m = 0
            for x in grid["m"]:
                m |= 0 if _isna(x) else int(x)
            present = {c for c, b in bits.items() if m >> b & 1}
        else:
            cats = self._fetch(f"SELECT DISTINCT c FROM (SELECT {d.unnest_categories('v.categories')} AS c "
                               f"FROM {self._v()}) x", [])
            present = set(cats["c"].dropna().astype(str))
        order = list(load_taxonomy().categories)
        categories = [c for c in order if c in present] + sorted(present - set(order))
        lo, hi = grid["lo"].dropna(), grid["hi"].dropna()
        return {"admin1": sorted(set(grid["admin1"].dropna().astype(str))),
                "sources": sorted(set(grid["source"].dropna().astype(str))), "categories": categories,
                "date_min": _as_date(lo.min()) if len(lo) else None,
                "date_max": _as_date(hi.max()) if len(hi) else None}

    def datasets(self) -> pd.DataFrame:
        df = self._fetch("SELECT dataset, file, loaded_at, rows, synthetic, sha256 FROM datasets "
                         "ORDER BY loaded_at, dataset", [])
        df["rows"] = pd.to_numeric(df["rows"]).astype("int64")
        df["synthetic"] = df["synthetic"].fillna(False).astype(bool)
        for c in ("dataset", "file", "sha256"):
            df[c] = df[c].astype("string")
        df["loaded_at"] = pd.to_datetime(df["loaded_at"])
        return df

    def overrides_audit(self, limit: int | None = None) -> pd.DataFrame:
        """Newest first: incident_id, old_categories, new_categories (None = cleared), user, at,
        reason, version."""
        sql = ('SELECT incident_id, old_categories, new_categories, "user", "at", reason, version '
               "FROM override_audit ORDER BY \"at\" DESC, version DESC, incident_id")
        params: list = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        df = self._fetch(sql, params)
        for c in ("old_categories", "new_categories"):
            df[c] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else list(v) for v in df[c]]
        df["at"] = pd.to_datetime(df["at"])
        df["version"] = pd.to_numeric(df["version"]).astype("int64")
        for c in ("incident_id", "user", "reason"):
            df[c] = df[c].astype("string")
        return df


def _compact(df: pd.DataFrame, bits: dict[str, int] | None) -> pd.DataFrame:
    """Canonical dtypes, with admin1 / date_precision / geo_precision as categoricals and ``eff_mask`` as
    int64; ``attrs["category_bits"]`` the category -> bit map of the masks (None without masks)."""
    order = list(df.columns)
    small = {c: df.pop(c).astype("category") for c in order if c in ("admin1", "date_precision", "geo_precision")}
    if "eff_mask" in df.columns:
        df["eff_mask"] = pd.to_numeric(df["eff_mask"]).fillna(1).astype("int64")
    df = normalize(df)
    for c, v in small.items():
        df[c] = v
    df = df[order]
    df.attrs["category_bits"] = dict(bits) if bits is not None else None
    return df


def _agg_frame(df: pd.DataFrame, period: bool) -> pd.DataFrame:
    out = {}
    if period:
        out["period"] = pd.to_datetime(df["period"]).astype("datetime64[ns]")
    out["key"] = df["key"].astype("string") if len(df) else pd.Series([], dtype="string")
    out["incidents"] = pd.to_numeric(df["incidents"]).astype("int64")
    out["fatalities"] = pd.to_numeric(df["fatalities"]).astype("int64")
    return pd.DataFrame(out)


def _isna(v) -> bool:
    if isinstance(v, (list, np.ndarray, dict)):
        return False
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _as_date(v) -> dt.date | None:
    if _isna(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return pd.Timestamp(v).date()


def describe_path(p: str | Path) -> str:
    return str(Path(p).expanduser())
