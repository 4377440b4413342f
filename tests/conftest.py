"""Shared fixtures. One fixture builder (``tests/fixtures.py``) feeds unit, app and browser tests.

Under ``CI=true`` nothing skips for want of a component (chromium, PostGIS, ../shared/datasets):
a missing one is a failure there. On a laptop such tests skip with the reason.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harmmap import paths  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tests never see facilities a developer configured on this machine (data/cache/facilities/).
if "HARMMAP_FACILITIES_DIR" not in os.environ:
    os.environ["HARMMAP_FACILITIES_DIR"] = tempfile.mkdtemp(prefix="harmmap-facilities-")
    atexit.register(shutil.rmtree, os.environ["HARMMAP_FACILITIES_DIR"], True)


def need(ok: bool, what: str) -> None:
    """Skip (laptop) or fail (CI) when a component the test needs is missing."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing, and under CI=true nothing skips for want of a component")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def datasets() -> Path:
    """../shared/datasets (read in place; never copied into the repository)."""
    need(paths.SHARED_DATASETS.is_dir(), f"the shared data sets at {paths.SHARED_DATASETS}")
    return paths.SHARED_DATASETS


# --- stores (both engines) --------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_url() -> str:
    """A PostgreSQL + PostGIS server: $HARMMAP_TEST_POSTGRES_URL, else a throwaway local cluster."""
    from tests import pg

    need(pg.available(), "PostgreSQL 15 + PostGIS (or HARMMAP_TEST_POSTGRES_URL)")
    try:
        url = pg.postgres_url()
    except RuntimeError as exc:
        need(False, f"a PostgreSQL server ({exc})")
    yield url
    pg.stop()


def _fresh_pg_schema(pg_url: str) -> tuple[str, str]:
    """A new empty schema on the test server; returns (url using it, schema name)."""
    import uuid
    from urllib.parse import quote

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in pg_url else "?"
    return f"{pg_url}{sep}options={quote(f'-csearch_path={name},public')}", name


def _drop_pg_schema(pg_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture
def store_url(request, tmp_path):
    """A URL of a fresh empty store for the engine named by ``request.param`` (duckdb|postgis)."""
    engine = getattr(request, "param", "duckdb")
    if engine == "duckdb":
        yield str(tmp_path / "store.duckdb")
        return
    pg_url = request.getfixturevalue("pg_url")
    url, name = _fresh_pg_schema(pg_url)
    yield url
    _drop_pg_schema(pg_url, name)


@pytest.fixture(params=["duckdb", "postgis"])
def store(request, tmp_path):
    """A fresh empty store, once per engine (DuckDB file in tmp_path; a new PostgreSQL schema)."""
    from harmmap.store import open_store

    if request.param == "duckdb":
        s = open_store(str(tmp_path / "store.duckdb"))
        yield s
        s.close()
        return
    pg_url = request.getfixturevalue("pg_url")
    url, name = _fresh_pg_schema(pg_url)
    s = open_store(url)
    yield s
    s.close()
    _drop_pg_schema(pg_url, name)
