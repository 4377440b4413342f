"""One store interface, two engines: DuckDB (embedded default) and PostgreSQL/PostGIS (team server).

Pages and the CLI talk only to :class:`Store`. The engine filters and aggregates; only results
come back. Analyst overrides live in their own table with an audit trail and always win over the
classifier's output (the *effective* categories are ``coalesce(override, classifier)``).

Example
-------
>>> from harmmap.store import open_store
>>> store = open_store(":memory:")          # DuckDB in memory
>>> store.count(Filters())
0
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import pandas as pd

from harmmap import paths
from harmmap.query import Filters

__all__ = ["Store", "StoreError", "ConflictError", "open_store", "resolve_url", "Filters"]


class StoreError(RuntimeError):
    """A store problem with a message fit for a user (unreachable server, corrupt file...)."""


class ConflictError(StoreError):
    """An override was saved against a version of the incident that someone else changed."""


class Store(Protocol):
    engine: str          # "duckdb" or "postgis"
    url: str

    # writing ----------------------------------------------------------------------------------
    def write_incidents(self, gdf: gpd.GeoDataFrame, dataset: str, *, file: str | None = None,
                        replace: bool = False, synthetic: bool = False, sha256: str | None = None) -> int:
        """Insert canonical incidents atomically (all or nothing); upsert on incident_id.

        Records the data set (name, file, loaded_at, rows, synthetic, sha256 of ``file`` when it
        exists) in the datasets table. ``replace`` first removes the data set's previous rows
        (same transaction). Returns rows written. A batch with a missing or repeated
        incident_id is refused whole (:class:`StoreError` naming the ids). Overrides are kept.
        """

    def update_classification(self, df: pd.DataFrame) -> int:
        """Set ``categories, category_confidence, category_evidence`` by ``incident_id``.

        One transaction; returns the number of incidents updated. Overrides are untouched.
        """

    def set_override(self, incident_id: str, categories: list[str], user: str, reason: str,
                     expected_version: int | None = None) -> int:
        """Store an analyst's categories (wins over the classifier); append to the audit log.

        ``expected_version`` is the override version the analyst saw (``incident()["override_version"]``,
        0 = none); if someone saved in between, raise :class:`ConflictError` whose message says
        who saved and when. ``None`` skips the check. Returns the new version.
        """

    def clear_override(self, incident_id: str, user: str, reason: str,
                       expected_version: int | None = None) -> int:
        """Drop the analyst's categories (the classifier's apply again); audited; versions go on."""

    # reading ----------------------------------------------------------------------------------
    # Every read takes the *effective* categories. A malformed filter (bad WKT, not an H3 cell)
    # raises ValueError; an engine failure raises StoreError.
    def count(self, filters: Filters) -> int: ...

    def is_empty(self) -> bool:
        """No incident at all (duplicates included): one row looked at, whatever the size."""

    def incidents(self, filters: Filters, *, columns: list[str] | None = None,
                  limit: int | None = None, order: str = "date") -> pd.DataFrame:
        """Rows (with ``lon``, ``lat`` instead of geometry; effective categories; ``overridden``).

        ``columns``: a subset (``geometry`` means lon/lat; also ``classifier_categories``,
        ``overridden``, ``override_version``). ``order``: a column, ``-col`` for descending.
        List columns come back as Python lists; dtypes as in :mod:`harmmap.schema`.
        """

    def incident(self, incident_id: str) -> dict | None:
        """One incident with everything: effective and classifier categories, evidence, override
        (categories, user, at, reason, version), the other sources that report the same event.

        Keys: the canonical columns (``date`` a ``datetime.date``; lon/lat), ``classifier_categories``,
        ``overridden``, ``override`` (dict or None), ``override_version`` (0 = never overridden),
        ``duplicates`` (list of dicts: records with ``duplicate_of == incident_id``, or the primary
        and its other duplicates when this one is a duplicate).
        """

    def timeseries(self, filters: Filters, freq: str = "week", by: str | None = "group") -> pd.DataFrame:
        """Columns ``period`` (date), ``key`` (group/category/admin1/None), ``incidents``, ``fatalities``.

        ``freq`` in day|week|month; ``by`` in group|category|admin1|source|None. Multi-label
        incidents count once per key they belong to.
        """

    def counts_by(self, filters: Filters, by: str) -> pd.DataFrame:
        """Columns ``key``, ``incidents``, ``fatalities`` for by in category|group|admin1|source."""

    def hex_counts(self, filters: Filters, resolution: int) -> pd.DataFrame:
        """Columns ``h3`` (int64), ``incidents``, ``fatalities``, ``top_category``."""

    def summary(self, filters: Filters) -> dict:
        """``incidents``, ``fatalities``, ``admin1_count``, ``date_min``, ``date_max``, ``bbox``."""

    def options(self) -> dict:
        """What the sidebar offers: ``admin1``, ``sources``, ``categories`` lists and ``date_min``/``date_max``."""

    def datasets(self) -> pd.DataFrame:
        """Loaded data sets: ``dataset``, ``file``, ``loaded_at``, ``rows``, ``synthetic``."""

    def delete_dataset(self, dataset: str, *, user: str | None = None, reason: str = "") -> dict:
        """Delete a loaded data set in one transaction: its incidents, its ``datasets`` row and the
        overrides of its incidents (each removal recorded in the audit trail, which keeps its history);
        other data sets' duplicates of its incidents are relinked. Returns ``{"dataset", "incidents",
        "overrides", "relinked"}``; :class:`StoreError` when there is no such data set. (Admin only in
        the dashboard; see :mod:`harmmap.stores.manage`.)"""

    def overrides_audit(self, limit: int | None = None) -> pd.DataFrame:
        """Every override change: incident_id, old, new, user, at, reason, version."""

    def schema_version(self) -> int:
        """The applied migration number (see ``harmmap.stores.sql.MIGRATIONS``)."""

    def close(self) -> None: ...


def resolve_url(url: str | os.PathLike | None = None) -> str:
    """``--db`` value, else ``HARMMAP_DATABASE_URL``, else the embedded DuckDB file under data/."""
    if url:
        return str(url)
    env = os.environ.get("HARMMAP_DATABASE_URL")
    if env:
        return env
    return str(paths.DEFAULT_DB)


def open_store(url: str | os.PathLike | None = None, *, read_only: bool = False) -> Store:
    """Open the store named by ``url`` (a DuckDB file path, ``:memory:``, or ``postgresql://...``).

    The schema is created or upgraded in place. DuckDB files are opened read-write unless
    ``read_only``; every store on the same file in one process shares one connection (one cursor
    per call, thread-safe). Problems (corrupt file, unreachable server) raise :class:`StoreError`.
    """
    url = resolve_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        from harmmap.stores.postgis import PostgisStore

        return PostgisStore(url)
    from harmmap.stores.duckdb import DuckdbStore

    if url != ":memory:":
        Path(url).parent.mkdir(parents=True, exist_ok=True)
    return DuckdbStore(url, read_only=read_only)
