"""Faults: an ingest killed halfway leaves the store as it was; the PostGIS server going away gives a clear
message and the store recovers when it returns; a corrupt store file is a clear message (test_store.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from harmmap.demo import generate
from harmmap.query import Filters
from harmmap.store import StoreError, open_store
from tests.conftest import ROOT, need


def _write_big_csv(path, n: int) -> None:
    df = generate(n=n, seed=5)
    out = df.drop(columns=[c for c in df.columns if c.startswith("h3_")] + ["geometry"], errors="ignore")
    out["latitude"], out["longitude"] = df.geometry.y.values, df.geometry.x.values
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, list)).any():
            out[c] = out[c].map(lambda v: ";".join(v) if isinstance(v, list) else v)
    out.to_csv(path, index=False)


@pytest.mark.slow
def test_an_ingest_killed_halfway_leaves_the_store_as_it_was(tmp_path):
    db = tmp_path / "store.duckdb"
    first = tmp_path / "first.csv"
    _write_big_csv(first, 300)
    env = dict(os.environ, HARMMAP_BOUNDARIES_DIR=str(tmp_path / "nob"))
    r = subprocess.run([sys.executable, "-m", "harmmap", "ingest", str(first), "--source", "first", "--db", str(db),
                        "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open_store(db) as s:
        before = (s.count(Filters(include_duplicates=True)), s.datasets()["dataset"].tolist())
    big = tmp_path / "big.csv"
    _write_big_csv(big, 60_000)
    killed_at = []
    for delay in (1.0, 3.0, 6.0, 10.0):            # kill at several points of the load (read, classify, write)
        p = subprocess.Popen([sys.executable, "-m", "harmmap", "ingest", str(big), "--source", "big", "--db", str(db)],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            killed_at.append(delay)
            with open_store(db) as s:
                after = (s.count(Filters(include_duplicates=True)), s.datasets()["dataset"].tolist())
            assert after == before, f"killed after {delay}s: the store changed from {before} to {after}"
            continue
        break                                       # it finished before the kill: nothing more to learn
    assert killed_at, "the ingest always finished before it could be killed"


@pytest.fixture
def own_pg():
    from tests import pg

    need(pg.available(), "PostgreSQL 15 + PostGIS")
    if os.environ.get("HARMMAP_TEST_POSTGRES_URL"):
        pytest.skip("the server is not ours to stop (HARMMAP_TEST_POSTGRES_URL)")
    url = pg.postgres_url()
    yield url, pg
    try:
        pg.resume()
    except Exception:  # noqa: BLE001 - already running
        pass


@pytest.mark.postgis
def test_the_server_going_away_is_a_clear_message_and_the_store_recovers(own_pg):
    from harmmap.demo import ensure_demo_store
    from tests.conftest import _drop_pg_schema, _fresh_pg_schema

    base, pg = own_pg
    url, schema_name = _fresh_pg_schema(base)      # its own schema: other tests share the server
    store = ensure_demo_store(url, n=200)
    n = store.count(Filters())
    pg.pause()
    with pytest.raises(StoreError) as exc:
        store.count(Filters())
    assert "PostgreSQL server" in str(exc.value) and "Traceback" not in str(exc.value)
    with pytest.raises(StoreError) as exc:
        open_store(url)
    assert "cannot reach the PostgreSQL server at 127.0.0.1" in str(exc.value)
    pg.resume()
    deadline = time.monotonic() + 30
    while True:                                   # the store reconnects by itself
        try:
            assert store.count(Filters()) == n
            break
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    store.close()
    _drop_pg_schema(base, schema_name)
