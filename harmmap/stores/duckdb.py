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


_SHARED: dict[str, _Shared] = {}
_SHARED_LOCK = threading.Lock()


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    if path != ":memory:" and read_only and not os.path.exists(path):
        raise StoreError(f"no HarmMap database at {path} (run `python -m harmmap demo` or ingest data first)")
    try:
        con = duckdb.connect(path, read_only=read_only)
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.IOException as exc:
        msg = str(exc)
        if "lock" in msg.lower():
            raise StoreError(f"the database {path} is in use by another program: {msg}") from None
        raise StoreError(f"{path} is not a DuckDB database or is damaged ({msg.splitlines()[0]}); "
                         "move it aside and rebuild it") from None
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the DuckDB database {path}: {str(exc).splitlines()[0]}") from None


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
        if v < S.LATEST_VERSION:
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
    def _fetch(self, sql: str, params: list, filters: Filters | None = None) -> pd.DataFrame:
        with self._cursor() as cur:
            if filters is not None:
                cond, wparams = self._where(cur, filters)
                sql = sql.replace("{where}", cond)
                params = wparams + list(params)
            try:
                tbl = cur.execute(sql, params).fetch_arrow_table()
            except duckdb.Error as exc:
                raise StoreError(f"query failed on {self.url}: {str(exc).splitlines()[0]}") from exc
        return _arrow_to_pandas(tbl)

    def _where(self, cur, filters: Filters) -> tuple[str, list]:
        cond, params = S.where(filters, self.dialect, spatial=False)
        if not filters.polygon_wkt:
            return cond, params
        # the polygon's bbox is in ``cond``: fetch the (bounded) candidates, test them exactly
        import shapely

        geom, _ = S.polygon_bounds(filters.polygon_wkt)
        cand = cur.execute(f"SELECT v.incident_id, v.lon, v.lat FROM {self._v()} WHERE {cond}",
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
                cur.execute(f"INSERT INTO incidents ({cols}) SELECT {cols} FROM {name}")
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
                cur.execute(f"UPDATE incidents SET categories = c.categories, category_confidence = "
                            f"c.category_confidence, category_evidence = c.category_evidence FROM {name} c "
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
        return version

    def clear_override(self, incident_id: str, user: str, reason: str,
                       expected_version: int | None = None) -> int:
        """Remove the analyst's categories (the classifier's apply again); audited."""
        return self.set_override(incident_id, None, user, reason, expected_version)


def _arrow_to_pandas(tbl: pa.Table) -> pd.DataFrame:
    lists = [f.name for f in tbl.schema if pa.types.is_list(f.type)]
    df = tbl.drop_columns(lists).to_pandas(date_as_object=False) if lists else tbl.to_pandas(
        date_as_object=False)
    for c in lists:
        df[c] = tbl.column(c).to_pylist()
    return df[[f.name for f in tbl.schema]]


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
