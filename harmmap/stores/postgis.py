"""The team engine: PostgreSQL + PostGIS.

Same tables and behaviour as the DuckDB engine (the read side is shared in
:mod:`harmmap.stores.sql`), plus a ``geom geometry(Point, 4326)`` column with a GiST index that
the bbox (``&&``) and polygon (``ST_Intersects``) filters use. Writes go through ``COPY`` into a
temporary table and one ``INSERT ... ON CONFLICT`` in a single transaction; override edits lock
the incident row (``SELECT ... FOR UPDATE``), so two analysts cannot overwrite each other.

Example
-------
>>> s = PostgisStore("postgresql://user@db.example:5432/harmmap")    # doctest: +SKIP
>>> s.count(Filters())                                                # doctest: +SKIP
0
"""

from __future__ import annotations

import contextlib
import io
import threading

import geopandas as gpd
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from harmmap.query import Filters
from harmmap.store import StoreError
from harmmap.stores import sql as S

__all__ = ["PostgisStore", "Filters"]

_SEP = "\x1f"  # joins list elements on the way through COPY (stripped from the data first)


def _q(sql: str) -> str:
    """Our SQL uses ``?`` placeholders (and no literal ``?`` or ``%``); psycopg wants ``%s``."""
    return sql.replace("?", "%s")


class PostgisStore(S.SqlStore):
    """The :class:`harmmap.store.Store` interface on PostgreSQL + PostGIS.

    Parameters
    ----------
    url : str
        A libpq URL, e.g. ``postgresql://user:pass@host:5432/db``; a schema may be chosen with
        ``?options=-csearch_path%3Dmyschema,public``.

    Example
    -------
    >>> PostgisStore("postgresql://nobody@127.0.0.1:1/x")   # doctest: +SKIP
    Traceback (most recent call last):
    StoreError: cannot reach the PostgreSQL server at 127.0.0.1:1: ...
    """

    engine = "postgis"
    dialect = S.POSTGIS

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._closed = False
        try:
            info = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise StoreError(f"not a valid PostgreSQL URL: {exc}") from None
        self._where_at = f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}"
        self._connect_timeout = connect_timeout
        self._con = self._connect()
        try:
            self._migrate()
        except BaseException:
            self._con.close()
            raise

    def _connect(self) -> psycopg.Connection:
        try:
            con = psycopg.connect(self.url, autocommit=True, connect_timeout=self._connect_timeout)
            # JIT compiles every wide aggregate again (hundreds of ms each) for no gain at these sizes;
            # the (day, mask) and hexagon groupings spill to disk under the 4 MB default work_mem
            con.execute("SET jit = off")
            con.execute("SET work_mem = '64MB'")
            return con
        except psycopg.Error as exc:
            msg = " ".join(str(exc).split())
            raise StoreError(f"cannot reach the PostgreSQL server at {self._where_at}: {msg}") from None

    def _ensure(self) -> None:
        """Reconnect once if the server dropped the connection (restart, idle timeout)."""
        if self._closed:
            raise StoreError("the store is closed")
        if self._con.closed or self._con.broken:
            self._con = self._connect()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def _transaction(self):
        with self._lock:
            self._ensure()
            try:
                with self._con.transaction():
                    yield self._con.cursor()
            except psycopg.OperationalError as exc:
                raise StoreError(f"lost the PostgreSQL server at {self._where_at}: {exc}") from None

    # schema -------------------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self._lock:
            row = self._con.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
            if not row[0]:
                return 0
            return int(self._con.execute("SELECT COALESCE(max(version), 0) FROM schema_version").fetchone()[0])

    def _migrate(self, target: int | None = None) -> None:
        target = S.LATEST_VERSION if target is None else target
        try:
            with self._lock:
                if self.schema_version() >= target:
                    return
                with self._transaction() as cur:
                    # one migrator at a time across processes
                    cur.execute("SELECT pg_advisory_xact_lock(7262731)")
                    cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                    cur.execute(S.SCHEMA_VERSION_DDL)
                current = self.schema_version()
                for version, _desc, steps in S.MIGRATIONS["postgis"]:
                    if version <= current or version > target:
                        continue
                    with self._transaction() as cur:
                        cur.execute("SELECT pg_advisory_xact_lock(7262731)")
                        done = cur.execute("SELECT count(*) FROM schema_version WHERE version = %s",
                                           [version]).fetchone()[0]
                        if done:
                            continue
                        for step in steps:
                            cur.execute(step)
                        cur.execute("INSERT INTO schema_version VALUES (%s, %s)", [version, S.utcnow()])
        except psycopg.Error as exc:
            raise StoreError(f"cannot prepare the database at {self._where_at} "
                             f"(is PostGIS installed? do you have the rights?): {exc}") from None

    # reads ----------------------------------------------------------------------------------------
    def _agg_src(self, filters: Filters) -> str:
        """``incident_facts`` (the aggregated columns, kept in step by triggers: 150 MB against 791 MB per million
        incidents with real texts) unless a filter needs what only the incidents table has (the search text,
        the geometry for a drawn polygon) or is narrow enough for its indexes (hexagons, chosen incidents). A
        box is tested on lon/lat there."""
        f = filters
        if f.text.strip() or f.polygon_wkt or f.h3_cells or f.incident_ids:
            return "incidents v"
        return "incident_facts v"

    def _data_version(self):
        """The server's WAL position: every committed change to the data moves it, whichever instance
        made it (other activity moves it too; then a kept result is merely computed again)."""
        try:
            df = self._fetch("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                             "ELSE pg_current_wal_insert_lsn() END::text AS lsn", [])
        except StoreError:
            return None
        v = df["lsn"].iloc[0] if len(df) else None
        return None if v is None else str(v)

    def _fetch(self, sql: str, params: list, filters: Filters | None = None,
               bits: dict[str, int] | None = None) -> pd.DataFrame:
        if filters is not None:
            cond, wparams = S.where(filters, self.dialect, bits=bits, lonlat="FROM incident_facts v " in sql)
            sql = sql.replace("{where}", cond)
            params = wparams + list(params)
        with self._lock:
            self._ensure()
            try:
                cur = self._con.execute(_q(sql), params)
                names = [c.name for c in cur.description]
                rows = cur.fetchall()
            except psycopg.OperationalError as exc:
                raise StoreError(f"lost the PostgreSQL server at {self._where_at}: {exc}") from None
            except psycopg.Error as exc:
                raise StoreError(f"query failed on {self._where_at}: {exc}") from exc
        return pd.DataFrame.from_records(rows, columns=names)

    # writes ----------------------------------------------------------------------------------------
    def _copy_in(self, cur, name: str, tbl: pa.Table) -> None:
        """COPY an Arrow table into a new temporary table ``name`` (lists as joined text)."""
        cols = []
        arrays = []
        for f in tbl.schema:
            arr = tbl.column(f.name)
            if pa.types.is_list(f.type):
                la = arr.combine_chunks()
                vals = pc.replace_substring(pc.replace_substring(la.values, _SEP, " "), "\x00", "")
                arr = pa.ListArray.from_arrays(la.offsets, vals)
                arrays.append(pc.binary_join(arr, _SEP))
                cols.append(f"{f.name} TEXT")
            elif pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
                arrays.append(pc.replace_substring(arr, "\x00", ""))
                cols.append(f"{f.name} TEXT")
            else:
                arrays.append(arr)
                cols.append(f"{f.name} {_pg_type(f.type)}")
        out = pa.table(arrays, names=tbl.column_names)
        buf = io.BytesIO()
        pacsv.write_csv(out, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
        cur.execute(f"CREATE TEMP TABLE {name} ({', '.join(cols)}) ON COMMIT DROP")
        with cur.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as cp:
            view = buf.getbuffer()
            for i in range(0, len(view), 1 << 20):
                cp.write(view[i:i + (1 << 20)])

    def write_incidents(self, gdf: gpd.GeoDataFrame, dataset: str, *, file: str | None = None,
                        replace: bool = False, synthetic: bool = False, sha256: str | None = None) -> int:
        """Insert canonical incidents atomically (COPY + one upsert); record the data set."""
        try:
            tbl = S.to_arrow(gdf, dataset)
            S.check_ids(tbl)
        except (ValueError, pa.ArrowException) as exc:
            raise StoreError(f"cannot write data set {dataset!r}: {exc}") from None
        sha = sha256 or S.file_sha256(file)
        sel = []
        for c in S.STORE_COLUMNS:
            sel.append(f"string_to_array(n.{c}, chr(31))" if c in S.schema.LIST_COLUMNS else f"n.{c}")
        cols = ", ".join(S.STORE_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in S.STORE_COLUMNS[1:] + ["geom", *S.DERIVED_COLUMNS])
        new_cats = "string_to_array(n.categories, chr(31))"
        # a row loaded again unchanged is left alone: no new row version (no table bloat, no index churn)
        changed = (f"({', '.join(f'incidents.{c}' for c in S.STORE_COLUMNS[1:])}) IS DISTINCT FROM "
                   f"({', '.join(f'EXCLUDED.{c}' for c in S.STORE_COLUMNS[1:])})")
        try:
            with self._transaction() as cur:
                self._copy_in(cur, "_hm_new", tbl)
                if replace:
                    cur.execute("DELETE FROM incidents WHERE dataset = %s", [dataset])
                self._register_categories(cur, f"SELECT unnest({new_cats}) AS cat FROM _hm_new n")
                cur.execute(
                    f"INSERT INTO incidents ({cols}, geom, eff_mask, has_override, search) SELECT {', '.join(sel)}, "
                    f"CASE WHEN n.lon IS NULL OR n.lat IS NULL THEN NULL "
                    f"ELSE ST_SetSRID(ST_MakePoint(n.lon, n.lat), 4326) END, "
                    f"{S.mask_expr(self.dialect, new_cats)}, FALSE, {S.search_expr('n.')} "
                    f"FROM _hm_new n ORDER BY n.date "
                    f"ON CONFLICT (incident_id) DO UPDATE SET {updates} WHERE {changed}")
                cur.execute(S.patch_overrides_sql(
                    self.dialect, "incidents.incident_id IN (SELECT incident_id FROM _hm_new)"))
                cur.execute("DELETE FROM datasets WHERE dataset = %s", [dataset])
                cur.execute("INSERT INTO datasets (dataset, file, loaded_at, rows, synthetic, sha256) "
                            "VALUES (%s, %s, %s, 0, %s, %s)", [dataset, file, S.utcnow(), bool(synthetic), sha])
                cur.execute("UPDATE datasets SET rows = c.n FROM (SELECT dataset, count(*) AS n FROM incidents "
                            "GROUP BY dataset) c WHERE c.dataset = datasets.dataset")
        except psycopg.OperationalError as exc:
            raise StoreError(f"lost the PostgreSQL server at {self._where_at}, nothing was written: {exc}") from None
        except psycopg.Error as exc:
            raise StoreError(f"writing data set {dataset!r} failed, nothing was written: {exc}") from None
        self._analyze()
        return len(tbl)

    def _analyze(self) -> None:
        """Fresh planner statistics after a bulk write (without them a join plan can take minutes)."""
        try:
            with self._lock:
                self._con.execute("ANALYZE incidents, incident_facts")
        except psycopg.Error:
            pass  # only a performance matter (e.g. no rights to ANALYZE)

    def update_classification(self, df: pd.DataFrame) -> int:
        """Set categories, confidence and evidence by incident_id (overrides are kept apart)."""
        from harmmap.stores.duckdb import _classification_arrow

        tbl = _classification_arrow(df)
        try:
            with self._transaction() as cur:
                self._copy_in(cur, "_hm_cls", tbl)
                new_cats = "string_to_array(c.categories, chr(31))"
                self._register_categories(cur, f"SELECT unnest({new_cats}) AS cat FROM _hm_cls c")
                cur.execute(f"UPDATE incidents SET categories = {new_cats}, "
                            "category_confidence = c.category_confidence, category_evidence = c.category_evidence, "
                            "eff_mask = CASE WHEN incidents.has_override THEN incidents.eff_mask "
                            f"ELSE {S.mask_expr(self.dialect, new_cats)} END "
                            "FROM _hm_cls c WHERE c.incident_id = incidents.incident_id")
                n = cur.rowcount
        except psycopg.Error as exc:
            raise StoreError(f"updating the classification failed, nothing was changed: {exc}") from None
        return int(n)

    def set_override(self, incident_id: str, categories: list[str] | None, user: str, reason: str,
                     expected_version: int | None = None) -> int:
        """Store an analyst's categories (``None`` clears); ConflictError on a stale version."""
        try:
            cats = S.check_override(incident_id, categories, user)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        with self._transaction() as cur:
            # lock the incident row: concurrent editors of one incident queue here
            if cur.execute("SELECT 1 FROM incidents WHERE incident_id = %s FOR UPDATE",
                           [incident_id]).fetchone() is None:
                raise StoreError(f"no incident {incident_id!r}")
            row = cur.execute('SELECT categories, "user", "at", version FROM overrides WHERE incident_id = %s',
                              [incident_id]).fetchone()
            old, version = S.next_override(incident_id, row, expected_version)
            now = S.utcnow()
            cur.execute('INSERT INTO overrides (incident_id, categories, "user", "at", reason, version) '
                        "VALUES (%s, %s::text[], %s, %s, %s, %s) ON CONFLICT (incident_id) DO UPDATE SET "
                        'categories = EXCLUDED.categories, "user" = EXCLUDED."user", "at" = EXCLUDED."at", '
                        "reason = EXCLUDED.reason, version = EXCLUDED.version",
                        [incident_id, cats, user, now, reason, version])
            cur.execute('INSERT INTO override_audit (incident_id, old_categories, new_categories, "user", "at", '
                        "reason, version) VALUES (%s, %s::text[], %s::text[], %s, %s, %s, %s)",
                        [incident_id, old, cats, user, now, reason, version])
            if cats is None:
                cur.execute(f"UPDATE incidents SET has_override = FALSE, eff_mask = "
                            f"{S.mask_expr(self.dialect, 'incidents.categories')} WHERE incident_id = %s",
                            [incident_id])
            else:
                self._register_categories(cur, "SELECT unnest(CAST(? AS text[])) AS cat", [cats])
                cur.execute(_q(S.patch_overrides_sql(self.dialect, "incidents.incident_id = ?")), [incident_id])
        return version

    def _register_categories(self, cur, source: str, params: list | None = None) -> None:
        """Give new categories their bits. Only a writer that brings a category without a bit takes the
        lock that keeps bits from colliding (held to its commit), so edits and loads of known categories
        never wait on each other here."""
        new = cur.execute(_q(f"SELECT count(*) FROM ({source}) s WHERE s.cat IS NOT NULL AND s.cat NOT IN "
                             f"(SELECT category FROM category_bits)"), params or []).fetchone()[0]
        if new:
            cur.execute("SELECT pg_advisory_xact_lock(7262732)")
            cur.execute(_q(S.register_categories_sql(source)), params or [])

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
                cur.execute("LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE")   # no load in between
                out = delete_dataset(self, cur, dataset, user=user, reason=reason)
        except psycopg.Error as exc:
            raise StoreError(f"deleting data set {dataset!r} failed, nothing was changed: {exc}") from None
        self._analyze()
        return out


def _pg_type(t: pa.DataType) -> str:
    if pa.types.is_floating(t):
        return "DOUBLE PRECISION"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    return "TEXT"
