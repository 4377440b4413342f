"""The embedded engine: one DuckDB file (or ``:memory:``).

One connection per database file is shared by every :class:`DuckdbStore` of the process (the
dashboard opens the same file from several sessions); each call works on its own cursor, so
reads run in parallel. Writes are serialised per file by a lock and run in one transaction.

Example
-------
>>> from harmmap.stores.duckdb import DuckdbStore
>>> s = DuckdbStore(":memory:")
>>> s.count(Filters())
0
>>> s.close()
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

import duckdb
import geopandas as gpd
import pandas as pd
import pyarrow as pa

from harmmap.query import Filters
from harmmap.store import StoreError
from harmmap.stores import sql as S

__all__ = ["DuckdbStore", "Filters"]


@dataclass
class _Shared:
    con: duckdb.DuckDBPyConnection
    read_only: bool
    refs: int = 0
    write_lock: threading.RLock = field(default_factory=threading.RLock)
    cursor_lock: threading.Lock = field(default_factory=threading.Lock)
    #: bumped by every committed write: the text-search cache below is valid for one generation
    generation: int = 0
    #: (search text, generation) -> rowids of the incidents whose text matches (most recent last)
    text_cache: OrderedDict = field(default_factory=OrderedDict)
    #: (key, generation) -> an aggregate shared by several reads of a page (SqlStore._kept)
    memo: OrderedDict = field(default_factory=OrderedDict)

    def matching_rows(self, cur, text: str) -> pa.Table | None:
        """Rowids of the incidents whose description or location contains ``text``, from one scan
        per text and data generation (a page asks for several aggregates under the same filter);
        None when too many match to be worth keeping (the caller tests the text in SQL)."""
        key = (text, self.generation)
        with self.cursor_lock:
            hit = self.text_cache.get(key)
            if hit is not None:
                self.text_cache.move_to_end(key)
                return hit
        rows = cur.execute("SELECT rowid AS rid FROM incidents WHERE strpos(search, lower(?)) > 0",
                           [text]).fetch_arrow_table()
        if len(rows) > TEXT_CACHE_MAX_ROWS:
            return None
        with self.cursor_lock:
            for k in [k for k in self.text_cache if k[1] != self.generation]:
                del self.text_cache[k]
            self.text_cache[key] = rows
            while len(self.text_cache) > TEXT_CACHE_ENTRIES:
                self.text_cache.popitem(last=False)
        return rows


#: at most this many searches are kept, each of at most this many matching rows (8 bytes a row)
TEXT_CACHE_ENTRIES = 16
TEXT_CACHE_MAX_ROWS = 2_000_000

_SHARED: dict[str, _Shared] = {}
_SHARED_LOCK = threading.Lock()


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    if path != ":memory:" and read_only and not os.path.exists(path):
        raise StoreError(f"no HarmMap database at {path} (run `python -m harmmap demo` or ingest data first)")
    try:
        con = duckdb.connect(path, read_only=read_only)
        con.execute("SET enable_progress_bar = false")
        _apply_settings(con)
        return con
    except duckdb.IOException as exc:
        msg = str(exc)
        if "lock" in msg.lower():
            raise StoreError(f"the database {path} is in use by another program: {msg}") from None
        raise StoreError(f"{path} is not a DuckDB database or is damaged ({msg.splitlines()[0]}); "
                         "move it aside and rebuild it") from None
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the DuckDB database {path}: {str(exc).splitlines()[0]}") from None


#: Environment variables -> DuckDB settings (docs/DEPLOY.md): the worker threads (default: one per
#: core) and the cap on DuckDB's memory, its cache of the file included (default: 80% of RAM).
SETTINGS_ENV = {"HARMMAP_DUCKDB_THREADS": "threads", "HARMMAP_DUCKDB_MEMORY": "memory_limit"}


def _apply_settings(con: duckdb.DuckDBPyConnection) -> None:
    for env, name in SETTINGS_ENV.items():
        value = os.environ.get(env, "").strip()
        if value:
            try:
                con.execute(f"SET {name} = ?", [int(value) if name == "threads" else value])
            except (duckdb.Error, ValueError) as exc:
                raise StoreError(f"{env}={value!r} is not a valid DuckDB {name}: {exc}") from None


class DuckdbStore(S.SqlStore):
    """The :class:`harmmap.store.Store` interface on DuckDB.

    Parameters
    ----------
    path : str
        A file path (created if missing and ``read_only`` is false) or ``":memory:"``.
    read_only : bool
        Refuse writes. If the process already has the file open read-write, that connection
        is shared and only this store object refuses writes.

    Example
    -------
    >>> s = DuckdbStore(":memory:")
    >>> s.engine
    'duckdb'
    """

    engine = "duckdb"
    dialect = S.DUCKDB

    def __init__(self, path: str | os.PathLike = ":memory:", *, read_only: bool = False) -> None:
        path = str(path)
        self.url = path
        self.read_only = read_only
        self._key = path if path == ":memory:" else os.path.realpath(path)
        self._closed = False
        if self._key == ":memory:":
            self._shared = _Shared(_connect(path, False), read_only=False, refs=1)
        else:
            with _SHARED_LOCK:
                shared = _SHARED.get(self._key)
                if shared is not None and shared.read_only and not read_only:
                    raise StoreError(f"{path} is already open read-only in this process; "
                                     "open it read-write first")
                if shared is None:
                    shared = _Shared(_connect(path, read_only), read_only=read_only)
                    _SHARED[self._key] = shared
                shared.refs += 1
                self._shared = shared
        if not read_only:
            try:
                self._migrate()
            except StoreError:
                self.close()
                raise
        else:
            self._check_schema()

    # connection ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _cursor(self):
        if self._closed:
            raise StoreError("the store is closed")
        with self._shared.cursor_lock:
            cur = self._shared.con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextlib.contextmanager
    def _transaction(self):
        """One write transaction on its own cursor, serialised per database file."""
        if self.read_only:
            raise StoreError(f"{self.url} is open read-only")
        with self._shared.write_lock, self._cursor() as cur:
            cur.begin()
            try:
                yield cur
            except BaseException:
                cur.rollback()
                raise
            cur.commit()
            self._shared.generation += 1

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._key == ":memory:":
            self._shared.con.close()
            return
        with _SHARED_LOCK:
            self._shared.refs -= 1
            if self._shared.refs <= 0:
                self._shared.con.close()
                _SHARED.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # schema ----------------------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self._cursor() as cur:
            exists = cur.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = 'schema_version'").fetchone()[0]
            if not exists:
                return 0
            return int(cur.execute("SELECT COALESCE(max(version), 0) FROM schema_version").fetchone()[0])

    def _check_schema(self) -> None:
        try:
            v = self.schema_version()
        except duckdb.Error as exc:
            raise StoreError(f"{self.url} cannot be read: {exc}") from None
        if v < S.READABLE_VERSION["duckdb"]:
            raise StoreError(f"{self.url} has schema version {v}; open it read-write once to upgrade it")

    def _migrate(self, target: int | None = None) -> None:
        """Apply every numbered step above the stored version, each in one transaction."""
        target = S.LATEST_VERSION if target is None else target
        try:
            with self._shared.write_lock:
                with self._cursor() as cur:
                    cur.execute(S.SCHEMA_VERSION_DDL)
                current = self.schema_version()
                for version, _desc, steps in S.MIGRATIONS["duckdb"]:
                    if version <= current or version > target:
                        continue
                    with self._transaction() as cur:
                        for step in steps:
                            cur.execute(step)
                        cur.execute("INSERT INTO schema_version VALUES (?, ?)", [version, S.utcnow()])
        except duckdb.Error as exc:
            raise StoreError(f"cannot prepare the database {self.url}: {str(exc).splitlines()[0]}") from None

    # the engine hook for reads -------------------------------------------------------------------
    def _data_version(self):
        # one process writes a DuckDB file, through this shared connection, and every committed write
        # bumps the generation
        return self._shared.generation

    def _memo_box(self):
        return self._shared.memo, self._shared.cursor_lock

    def _fetch(self, sql: str, params: list, filters: Filters | None = None,
               bits: dict[str, int] | None = None) -> pd.DataFrame:
        with self._cursor() as cur:
            if filters is not None:
                cond, wparams = self._where(cur, filters, bits, table="FROM incidents v " in sql)
                sql = sql.replace("{where}", cond)
                params = wparams + list(params)
            try:
                tbl = cur.execute(sql, params).fetch_arrow_table()
            except duckdb.Error as exc:
                raise StoreError(f"query failed on {self.url}: {str(exc).splitlines()[0]}") from exc
        return _arrow_to_pandas(tbl)

    def _where(self, cur, filters: Filters, bits: dict[str, int] | None = None,
               table: bool = False) -> tuple[str, list]:
        """The condition for ``filters``; ``table``: the query reads ``incidents v`` (not the view),
        so a text search can be answered from the per-text cache of matching rowids."""
        text = filters.text.strip() if filters.text else ""
        if table and bits is not None and text and S.SEARCH_SEP not in text:
            rows = self._shared.matching_rows(cur, text)
            if rows is not None:
                cond, params = self._where(cur, filters.replace(text=""), bits)
                name = f"_hm_text_{uuid.uuid4().hex[:12]}"
                cur.register(name, rows)
                return f"{cond} AND v.rowid IN (SELECT rid FROM {name})", params
        cond, params = S.where(filters, self.dialect, spatial=False, bits=bits)
        if not filters.polygon_wkt:
            return cond, params
        # the polygon's bbox is in ``cond``: fetch the (bounded) candidates, test them exactly
        import shapely

        geom, _ = S.polygon_bounds(filters.polygon_wkt)
        src = "incidents v" if bits is not None else self._v()
        cand = cur.execute(f"SELECT v.incident_id, v.lon, v.lat FROM {src} WHERE {cond}",
                           params).fetch_arrow_table()
        lon = cand.column("lon").to_numpy(zero_copy_only=False)
        lat = cand.column("lat").to_numpy(zero_copy_only=False)
        shapely.prepare(geom)
        mask = shapely.intersects_xy(geom, lon, lat) if len(cand) else []
        name = f"_hm_poly_{uuid.uuid4().hex[:12]}"
        cur.register(name, cand.select(["incident_id"]).filter(pa.array(mask, type=pa.bool_())))
        return f"{cond} AND v.incident_id IN (SELECT incident_id FROM {name})", params

    # writing ------------------------------------------------------------------------------------------
    def write_incidents(self, gdf: gpd.GeoDataFrame, dataset: str, *, file: str | None = None,
                        replace: bool = False, synthetic: bool = False, sha256: str | None = None) -> int:
        """Insert canonical incidents atomically; upsert on incident_id; record the data set.

        Example
        -------
        >>> from harmmap import schema
        >>> s = DuckdbStore(":memory:")
        >>> gdf = schema.conform(pd.DataFrame({"incident_id": ["a1"], "source": ["demo"],
        ...     "date": ["2022-03-01"], "lon": [36.2], "lat": [49.9]}))
        >>> s.write_incidents(gdf, "demo", synthetic=True)
        1
        """
        try:
            tbl = S.to_arrow(gdf, dataset)
            S.check_ids(tbl)
        except (ValueError, pa.ArrowException) as exc:
            raise StoreError(f"cannot write data set {dataset!r}: {exc}") from None
        sha = sha256 or S.file_sha256(file)
        cols = ", ".join(S.STORE_COLUMNS)
        name = f"_hm_new_{uuid.uuid4().hex[:12]}"
        try:
            with self._transaction() as cur:
                cur.register(name, tbl)
                if replace:
                    cur.execute("DELETE FROM incidents WHERE dataset = ?", [dataset])
                cur.execute(f"DELETE FROM incidents WHERE incident_id IN (SELECT incident_id FROM {name})")
                cur.execute(S.register_categories_sql(f"SELECT unnest(categories) AS cat FROM {name}"))
                # in date order: each row group then spans a short period, and DuckDB's zone maps skip the
                # ones outside a date filter (a six-month filter at 1M: 0.19 s a page instead of 0.28 s)
                cur.execute(f"INSERT INTO incidents ({cols}, eff_mask, has_override, search) SELECT {cols}, "
                            f"{S.mask_expr(self.dialect, f'{name}.categories')}, FALSE, {S.search_expr()} "
                            f"FROM {name} ORDER BY {name}.date NULLS LAST")
                cur.execute(S.patch_overrides_sql(
                    self.dialect, f"incidents.incident_id IN (SELECT incident_id FROM {name})"))
                cur.execute("DELETE FROM datasets WHERE dataset = ?", [dataset])
                cur.execute("INSERT INTO datasets (dataset, file, loaded_at, rows, synthetic, sha256) "
                            "VALUES (?, ?, ?, 0, ?, ?)", [dataset, file, S.utcnow(), bool(synthetic), sha])
                cur.execute("UPDATE datasets SET rows = c.n FROM (SELECT dataset, count(*) AS n FROM incidents "
                            "GROUP BY dataset) c WHERE c.dataset = datasets.dataset")
                cur.unregister(name)
        except duckdb.Error as exc:
            raise StoreError(f"writing data set {dataset!r} failed, nothing was written: "
                             f"{str(exc).splitlines()[0]}") from None
        return len(tbl)

    def update_classification(self, df: pd.DataFrame) -> int:
        """Set categories, confidence and evidence by incident_id (overrides are kept apart)."""
        tbl = _classification_arrow(df)
        name = f"_hm_cls_{uuid.uuid4().hex[:12]}"
        try:
            with self._transaction() as cur:
                cur.register(name, tbl)
                n = cur.execute(f"SELECT count(*) FROM incidents i JOIN {name} c USING (incident_id)").fetchone()[0]
                cur.execute(S.register_categories_sql(f"SELECT unnest(categories) AS cat FROM {name}"))
                cur.execute(f"UPDATE incidents SET categories = c.categories, category_confidence = "
                            f"c.category_confidence, category_evidence = c.category_evidence, eff_mask = "
                            f"CASE WHEN incidents.has_override THEN incidents.eff_mask "
                            f"ELSE {S.mask_expr(self.dialect, 'c.categories')} END FROM {name} c "
                            f"WHERE c.incident_id = incidents.incident_id")
                cur.unregister(name)
        except duckdb.Error as exc:
            raise StoreError(f"updating the classification failed, nothing was changed: {exc}") from None
        return int(n)

    def set_override(self, incident_id: str, categories: list[str] | None, user: str, reason: str,
                     expected_version: int | None = None) -> int:
        """Store an analyst's categories; ``categories=None`` clears the override.

        Raises :class:`ConflictError` when ``expected_version`` is not the stored version.
        """
        try:
            cats = S.check_override(incident_id, categories, user)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        with self._transaction() as cur:
            if not cur.execute("SELECT count(*) FROM incidents WHERE incident_id = ?", [incident_id]).fetchone()[0]:
                raise StoreError(f"no incident {incident_id!r}")
            row = cur.execute('SELECT categories, "user", "at", version FROM overrides WHERE incident_id = ?',
                              [incident_id]).fetchone()
            old, version = S.next_override(incident_id, row, expected_version)
            now = S.utcnow()
            cur.execute("DELETE FROM overrides WHERE incident_id = ?", [incident_id])
            cur.execute('INSERT INTO overrides (incident_id, categories, "user", "at", reason, version) '
                        "VALUES (?, ?, ?, ?, ?, ?)", [incident_id, cats, user, now, reason, version])
            cur.execute('INSERT INTO override_audit (incident_id, old_categories, new_categories, "user", "at", '
                        "reason, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [incident_id, old, cats, user, now, reason, version])
            if cats is None:
                cur.execute(f"UPDATE incidents SET has_override = FALSE, eff_mask = "
                            f"{S.mask_expr(self.dialect, 'incidents.categories')} WHERE incident_id = ?",
                            [incident_id])
            else:
                cur.execute(S.register_categories_sql("SELECT unnest(CAST(? AS VARCHAR[])) AS cat"), [cats])
                cur.execute(S.patch_overrides_sql(self.dialect, "incidents.incident_id = ?"), [incident_id])
        return version

    def clear_override(self, incident_id: str, user: str, reason: str,
                       expected_version: int | None = None) -> int:
        """Remove the analyst's categories (the classifier's apply again); audited."""
        return self.set_override(incident_id, None, user, reason, expected_version)

    def delete_dataset(self, dataset: str, *, user: str | None = None, reason: str = "") -> dict:
        """Delete a data set, its incidents and their overrides (audited), in one transaction
        (:func:`harmmap.stores.manage.delete_dataset`)."""
        from harmmap.stores.manage import delete_dataset

        try:
            with self._transaction() as cur:
                return delete_dataset(self, cur, dataset, user=user, reason=reason)
        except duckdb.Error as exc:
            raise StoreError(f"deleting data set {dataset!r} failed, nothing was changed: "
                             f"{str(exc).splitlines()[0]}") from None


def _arrow_to_pandas(tbl: pa.Table) -> pd.DataFrame:
    lists = [f.name for f in tbl.schema if pa.types.is_list(f.type)]
    df = tbl.drop_columns(lists).to_pandas(date_as_object=False) if lists else tbl.to_pandas(
        date_as_object=False)
    for c in lists:
        df[c] = _pylists(tbl.column(c))
    return df[[f.name for f in tbl.schema]]


def _pylists(col) -> list:
    """A list<string> Arrow column as Python lists (None for null) whose equal strings are one object:
    a million incidents hold a handful of category names, not a million copies of them."""
    import numpy as np
    import pyarrow.compute as pc

    arr = col.combine_chunks() if hasattr(col, "combine_chunks") else col
    if len(arr) == 0:
        return []
    flat = pc.list_flatten(arr)
    enc = pc.dictionary_encode(flat).combine_chunks() if hasattr(flat, "num_chunks") else pc.dictionary_encode(flat)
    words = np.array(enc.dictionary.to_pylist() + [None], dtype=object)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    idx = np.where(pc.is_null(enc.indices).to_numpy(zero_copy_only=False), len(words) - 1, idx)
    values = words[idx.astype(np.int64)]
    vals = values.tolist()
    ends = np.cumsum(pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False)).tolist()
    valid = arr.is_valid().to_numpy(zero_copy_only=False).tolist()
    starts = [0, *ends[:-1]]
    return [vals[a:b] if ok else None for a, b, ok in zip(starts, ends, valid, strict=True)]


def _classification_arrow(df: pd.DataFrame) -> pa.Table:
    need = {"incident_id", "categories", "category_confidence", "category_evidence"}
    missing = need - set(df.columns)
    if missing:
        raise StoreError(f"update_classification needs columns {sorted(missing)}")
    from harmmap import schema

    return pa.table({
        "incident_id": pa.array(df["incident_id"].astype("string"), type=pa.string(), from_pandas=True),
        "categories": pa.array([schema._as_list(v) for v in df["categories"]], type=pa.list_(pa.string())),
        "category_confidence": pa.array(pd.to_numeric(df["category_confidence"], errors="coerce")
                                        .fillna(0.0).astype("float64"), type=pa.float64()),
        "category_evidence": pa.array(df["category_evidence"].astype("string"), type=pa.string(),
                                      from_pandas=True),
    })
