"""The store, run against both engines (DuckDB file, PostgreSQL/PostGIS schema).

Every test gets a fresh empty store from the ``store`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import threading

import duckdb
import h3
import pandas as pd
import pytest

from harmmap import schema
from harmmap.query import Filters
from harmmap.store import ConflictError, StoreError, open_store
from harmmap.stores import sql as S

ALL = Filters(include_duplicates=True)


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {"source": "acled", "date": "2022-03-02", "lon": 36.23, "lat": 49.99, "admin1": "Kharkiv",
            "categories": [], "fatalities": None}
    return schema.conform(pd.DataFrame([{**base, **r} for r in rows]))


def sample():
    """Seven incidents covering what the filters and aggregates distinguish."""
    return frame([
        # Wed 2 Mar 2022 (week of Mon 28 Feb); school + homes: two groups
        dict(incident_id="a1", categories=["education", "residential"], fatalities=2, category_confidence=0.9,
             description="Школа No 134 destroyed", location="Kharkiv", source_urls=["https://x/1"]),
        # Sun 6 Mar 2022 still in the week of 28 Feb; energy + water: both in group utilities
        dict(incident_id="a2", date="2022-03-06", categories=["energy", "water"], fatalities=None,
             category_confidence=0.4, lon=35.05, lat=48.46, admin1="Dnipropetrovsk", location="Dnipro"),
        # Mon 7 Mar 2022: next week
        dict(incident_id="b1", source="bellingcat", date="2022-03-07", categories=["health"], fatalities=5,
             category_confidence=0.8, lon=37.55, lat=47.10, admin1="Donetsk", location="Mariupol",
             description="maternity HOSPITAL hit"),
        dict(incident_id="b2", source="bellingcat", date="2022-04-15", categories=[], lon=30.52, lat=50.45,
             admin1="Kyiv City", location="Kyiv"),
        dict(incident_id="b3", source="bellingcat", date="2022-04-16", categories=["unclassified"],
             lon=30.6, lat=50.4, admin1="Kyiv City"),
        # a duplicate of a1 reported by another source
        dict(incident_id="c1", source="cir", date="2022-03-02", categories=["education"], fatalities=2,
             category_confidence=0.9, duplicate_of="a1"),
        dict(incident_id="c2", source="cir", date="2022-05-01", categories=["food_agriculture"], fatalities=0,
             category_confidence=0.7, lon=30.73, lat=46.48, admin1="Odesa", location="Odesa port"),
    ])


@pytest.fixture
def loaded(store):
    assert store.write_incidents(sample(), "sample", synthetic=True) == 7
    return store


def ids(store, f: Filters) -> list[str]:
    return sorted(store.incidents(f, columns=["incident_id"])["incident_id"].tolist())


# --- writing and reading back -----------------------------------------------------------------

def test_empty_store_answers_everything(store):
    assert store.count(Filters()) == 0
    assert store.incidents(Filters()).empty
    assert list(store.timeseries(Filters()).columns) == ["period", "key", "incidents", "fatalities"]
    assert list(store.hex_counts(Filters(), 5).columns) == ["h3", "incidents", "fatalities", "top_category"]
    assert store.summary(Filters())["incidents"] == 0 and store.summary(Filters())["bbox"] is None
    assert store.options()["admin1"] == [] and store.options()["date_min"] is None and store.is_empty()
    assert store.datasets().empty and store.overrides_audit().empty
    assert store.incident("nope") is None


def test_roundtrip_keeps_values_and_types(loaded):
    assert not loaded.is_empty()
    df = loaded.incidents(ALL, order="incident_id")
    assert df["incident_id"].tolist() == ["a1", "a2", "b1", "b2", "b3", "c1", "c2"]
    assert "geometry" not in df.columns and {"lon", "lat", "classifier_categories", "overridden"} <= set(df.columns)
    a1 = df.iloc[0]
    assert a1["categories"] == ["education", "residential"] and isinstance(a1["categories"], list)
    assert a1["source_urls"] == ["https://x/1"] and df.iloc[1]["source_urls"] == []
    assert a1["description"] == "Школа No 134 destroyed"
    assert a1["lon"] == pytest.approx(36.23) and a1["lat"] == pytest.approx(49.99)
    assert df["date"].dtype == "datetime64[ns]" and a1["date"] == pd.Timestamp("2022-03-02")
    assert df["fatalities"].dtype == "Int64" and pd.isna(df.iloc[1]["fatalities"])  # not reported != 0
    assert df.iloc[6]["fatalities"] == 0
    src = sample().set_index("incident_id")
    assert df.set_index("incident_id")["h3_r7"].tolist() == src["h3_r7"].tolist()
    assert not df["overridden"].any()


def test_columns_limit_and_order(loaded):
    df = loaded.incidents(ALL, columns=["incident_id", "geometry"], limit=2, order="-date")
    assert list(df.columns) == ["incident_id", "lon", "lat"]
    assert df["incident_id"].tolist() == ["c2", "b3"]
    with pytest.raises(ValueError):
        loaded.incidents(ALL, columns=["incident_id; DROP TABLE incidents"])
    with pytest.raises(ValueError):
        loaded.incidents(ALL, order="nope")


def test_upsert_and_replace(loaded):
    again = frame([dict(incident_id="a1", categories=["health"], fatalities=3),
                   dict(incident_id="z9", date="2022-06-01")])
    assert loaded.write_incidents(again, "sample2") == 2
    assert loaded.count(ALL) == 8
    assert loaded.incident("a1")["fatalities"] == 3
    rows = dict(zip(*[loaded.datasets()[c] for c in ("dataset", "rows")], strict=True))
    assert rows == {"sample": 6, "sample2": 2}
    # replace drops the data set's previous rows first
    loaded.write_incidents(frame([dict(incident_id="z9", date="2022-06-02")]), "sample2", replace=True)
    assert ids(loaded, ALL) == ["a2", "b1", "b2", "b3", "c1", "c2", "z9"]
    ds = loaded.datasets().set_index("dataset")
    assert bool(ds.loc["sample", "synthetic"]) and not bool(ds.loc["sample2", "synthetic"])


def test_write_records_file_hash(store, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("id\n1\n")
    store.write_incidents(frame([dict(incident_id="x")]), "upload:in.csv", file=str(f))
    ds = store.datasets().iloc[0]
    assert ds["file"] == str(f) and len(ds["sha256"]) == 64 and ds["rows"] == 1


def test_write_is_all_or_nothing(loaded, monkeypatch):
    with pytest.raises(StoreError, match="repeated"):
        loaded.write_incidents(frame([dict(incident_id="n1"), dict(incident_id="n1")]), "bad")
    assert loaded.count(ALL) == 7

    def boom():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(S, "utcnow", boom)  # fails after the INSERT, inside the transaction
    with pytest.raises(RuntimeError):
        loaded.write_incidents(frame([dict(incident_id="n2"), dict(incident_id="a1", fatalities=99)]), "bad",
                               replace=True)
    monkeypatch.undo()
    assert loaded.count(ALL) == 7 and loaded.incident("a1")["fatalities"] == 2
    assert loaded.datasets()["dataset"].tolist() == ["sample"]


# --- filters -------------------------------------------------------------------------------------

def test_filters(loaded):
    assert ids(loaded, Filters()) == ["a1", "a2", "b1", "b2", "b3", "c2"]          # duplicates out
    assert ids(loaded, Filters(date_from=dt.date(2022, 3, 6), date_to=dt.date(2022, 4, 15))) == ["a2", "b1", "b2"]
    assert ids(loaded, Filters(categories=("education", "health"))) == ["a1", "b1"]
    assert ids(loaded, Filters(categories=("unclassified",))) == ["b2", "b3"]
    assert ids(loaded, Filters(categories=("unclassified", "water"))) == ["a2", "b2", "b3"]
    assert ids(loaded, Filters(admin1=("Kyiv City", "Odesa"))) == ["b2", "b3", "c2"]
    assert ids(loaded, Filters(sources=("bellingcat",))) == ["b1", "b2", "b3"]
    assert ids(loaded, Filters(text="школа")) == ["a1"]          # case-insensitive, Cyrillic
    assert ids(loaded, Filters(text="hospital")) == ["b1"]
    assert ids(loaded, Filters(text="odesa PORT")) == ["c2"]     # location too
    assert ids(loaded, Filters(text="100%_")) == []              # no wildcards
    assert ids(loaded, Filters(incident_ids=("a2", "c1"))) == ["a2"]
    assert ids(loaded, ALL.replace(incident_ids=("a2", "c1"))) == ["a2", "c1"]
    assert ids(loaded, Filters(min_confidence=0.75)) == ["a1", "b1"]
    assert loaded.count(Filters(admin1=("Kharkiv",))) == 1


def test_spatial_filters(loaded):
    assert ids(loaded, Filters(bbox=(30.0, 50.0, 31.0, 51.0))) == ["b2", "b3"]
    # a triangle whose bbox holds a1, a2, b1 but which contains only a1 and b1
    tri = "POLYGON((34.5 50.5, 38.5 50.5, 38.0 46.5, 34.5 50.5))"
    assert ids(loaded, Filters(polygon_wkt=tri)) == ["a1", "b1"]
    assert ids(loaded, ALL.replace(polygon_wkt=tri)) == ["a1", "b1", "c1"]
    with pytest.raises((ValueError, StoreError)):
        loaded.count(Filters(polygon_wkt="POLYGON((not wkt"))


def cell(lat: float, lon: float, res: int) -> str:
    """The stored cell of a point: its resolution-8 cell's parent (schema.h3_cells), so counts nest."""
    return h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 8), res)


def test_h3_cell_filters(loaded):
    r5 = cell(50.45, 30.52, 5)
    b2_r4, b3_r4 = cell(50.45, 30.52, 4), cell(50.4, 30.6, 4)
    assert ids(loaded, Filters(h3_cells=(r5,))) == ["b2"]
    assert ids(loaded, Filters(h3_cells=(b2_r4, b3_r4))) == ["b2", "b3"]
    if b2_r4 != b3_r4:
        assert ids(loaded, Filters(h3_cells=(b3_r4,))) == ["b3"]
    exact = [cell(50.45, 30.52, 8), cell(46.48, 30.73, 4)]
    assert ids(loaded, Filters(h3_cells=tuple(exact))) == ["b2", "c2"]
    with pytest.raises(ValueError):
        loaded.count(Filters(h3_cells=("zz",)))


# --- aggregates ------------------------------------------------------------------------------------

def test_timeseries_weeks_groups_and_multilabel(loaded):
    ts = loaded.timeseries(Filters(date_to=dt.date(2022, 3, 31)), freq="week", by="group")
    got = {(p.date().isoformat(), k): (n, f) for p, k, n, f in ts.itertuples(index=False)}
    assert got == {("2022-02-28", "education"): (1, 2), ("2022-02-28", "residential"): (1, 2),
                   ("2022-02-28", "utilities"): (1, 0),       # energy + water count once
                   ("2022-03-07", "health"): (1, 5)}
    assert all(p.weekday() == 0 for p in ts["period"])     # weeks start on Monday
    cat = loaded.timeseries(Filters(), freq="month", by="category")
    got = {(p.strftime("%Y-%m"), k): n for p, k, n, _ in cat.itertuples(index=False)}
    assert got[("2022-03", "energy")] == 1 and got[("2022-03", "water")] == 1
    assert got[("2022-04", "unclassified")] == 2
    total = loaded.timeseries(Filters(), freq="day", by=None)
    assert total["incidents"].sum() == 6 and total["key"].isna().all()
    assert loaded.timeseries(ALL, freq="month", by="source")["incidents"].sum() == 7
    with pytest.raises(ValueError):
        loaded.timeseries(Filters(), freq="year")


def test_counts_by(loaded):
    by_adm = loaded.counts_by(Filters(), "admin1")
    assert dict(zip(by_adm["key"], by_adm["incidents"], strict=True)) == {
        "Kyiv City": 2, "Dnipropetrovsk": 1, "Donetsk": 1, "Kharkiv": 1, "Odesa": 1}
    assert by_adm["key"].iloc[0] == "Kyiv City"          # most first
    grp = loaded.counts_by(Filters(), "group").set_index("key")
    assert grp.loc["utilities", "incidents"] == 1 and grp.loc["other", "incidents"] == 2
    assert grp.loc["health", "fatalities"] == 5
    src = loaded.counts_by(ALL, "source").set_index("key")["incidents"].to_dict()
    assert src == {"acled": 2, "bellingcat": 3, "cir": 2}


def test_hex_counts_and_top_category(loaded):
    hx = loaded.hex_counts(Filters(), 4)
    assert hx["incidents"].sum() == 6 and hx["h3"].dtype == "int64"
    kyiv = sorted({h3.str_to_int(cell(50.45, 30.52, 4)), h3.str_to_int(cell(50.4, 30.6, 4))})   # b2, b3
    rows = hx.set_index("h3").loc[kyiv]
    assert rows["incidents"].sum() == 2 and set(rows["top_category"]) == {"unclassified"}
    kharkiv = h3.str_to_int(cell(49.99, 36.23, 4))
    assert hx.set_index("h3").loc[kharkiv, "top_category"] == "education"   # alphabetical tie-break
    with pytest.raises(ValueError):
        loaded.hex_counts(Filters(), 9)
    # an incident without coordinates is counted, but in no hexagon
    loaded.write_incidents(frame([dict(incident_id="nogeo", lon=None, lat=None)]), "nogeo")
    assert loaded.count(Filters()) == 7 and loaded.hex_counts(Filters(), 4)["incidents"].sum() == 6
    assert 0 not in loaded.hex_counts(Filters(), 8)["h3"].tolist()


def test_summary_and_options(loaded):
    s = loaded.summary(Filters())
    assert s == {"incidents": 6, "fatalities": 7, "admin1_count": 5, "date_min": dt.date(2022, 3, 2),
                 "date_max": dt.date(2022, 5, 1), "bbox": pytest.approx((30.52, 46.48, 37.55, 50.45))}
    o = loaded.options()
    assert o["admin1"] == ["Dnipropetrovsk", "Donetsk", "Kharkiv", "Kyiv City", "Odesa"]
    assert o["sources"] == ["acled", "bellingcat", "cir"]
    assert o["categories"][:2] == ["education", "health"] and "unclassified" in o["categories"]
    assert o["date_min"] == dt.date(2022, 3, 2) and o["date_max"] == dt.date(2022, 5, 1)


def test_incident_links_duplicates(loaded):
    rec = loaded.incident("a1")
    assert rec["categories"] == ["education", "residential"] and rec["override"] is None
    assert [d["incident_id"] for d in rec["duplicates"]] == ["c1"]
    dup = loaded.incident("c1")
    assert [d["incident_id"] for d in dup["duplicates"]] == ["a1"]
    assert loaded.incident("b1")["duplicates"] == []


# --- overrides ---------------------------------------------------------------------------------------

def test_override_wins_is_audited_and_survives(loaded):
    v = loaded.set_override("b2", ["residential"], "olena", "photo shows a block of flats", expected_version=0)
    assert v == 1
    row = loaded.incidents(ALL.replace(incident_ids=("b2",))).iloc[0]
    assert row["categories"] == ["residential"] and row["classifier_categories"] == [] and row["overridden"]
    assert ids(loaded, Filters(categories=("unclassified",))) == ["b3"]
    assert ids(loaded, Filters(categories=("residential",))) == ["a1", "b2"]
    assert ids(loaded, Filters(min_confidence=0.75)) == ["a1", "b1", "b2"]  # an analyst's call is certain
    # the classifier runs again, and the data set is re-ingested: the override stays
    cls = pd.DataFrame({"incident_id": ["b2", "b3"], "categories": [["commercial"], ["water"]],
                        "category_confidence": [0.6, 0.5], "category_evidence": ["shop", "pipe"]})
    assert loaded.update_classification(cls) == 2
    loaded.write_incidents(sample(), "sample")
    rec = loaded.incident("b2")
    assert rec["categories"] == ["residential"] and rec["override"]["user"] == "olena"
    assert rec["override"]["version"] == 1
    # clearing brings back the classifier's categories (the re-ingested ones)
    assert loaded.clear_override("b2", "olena", "wrong incident", expected_version=1) == 2
    rec = loaded.incident("b2")
    assert rec["categories"] == [] and not rec["overridden"] and rec["override_version"] == 2
    audit = loaded.overrides_audit()
    assert audit["version"].tolist() == [2, 1]
    assert audit.iloc[0]["new_categories"] is None and audit.iloc[0]["old_categories"] == ["residential"]
    assert audit.iloc[1]["old_categories"] is None and audit.iloc[1]["reason"] == "photo shows a block of flats"
    with pytest.raises(StoreError):
        loaded.set_override("nope", ["health"], "olena", "x")
    with pytest.raises(StoreError, match="unknown category 'hospitals'"):
        loaded.set_override("b3", ["hospitals"], "olena", "typo")
    with pytest.raises(StoreError, match="name"):
        loaded.set_override("b3", ["health"], " ", "anonymous")
    assert len(loaded.overrides_audit()) == 2


def test_override_conflict_names_who_and_when(loaded):
    loaded.set_override("a2", ["energy"], "olena", "first", expected_version=0)
    with pytest.raises(ConflictError, match=r"olena at \d{4}-\d\d-\d\d \d\d:\d\d"):
        loaded.set_override("a2", ["water"], "taras", "second", expected_version=0)
    assert loaded.incident("a2")["categories"] == ["energy"]
    assert loaded.set_override("a2", ["water"], "taras", "second", expected_version=1) == 2


def test_two_concurrent_editors(store):
    """Both saw version 0 and save at once: one wins, the other gets ConflictError, nothing is lost."""
    store.write_incidents(sample(), "sample")
    other = open_store(store.url)           # a second session (its own connection on PostgreSQL)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def edit(s, user, cats):
        barrier.wait()
        try:
            results[user] = s.set_override("a1", cats, user, "edit", expected_version=0)
        except ConflictError as exc:
            results[user] = exc

    threads = [threading.Thread(target=edit, args=(store, "olena", ["health"])),
               threading.Thread(target=edit, args=(other, "taras", ["water"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    other.close()
    winners = [u for u, r in results.items() if r == 1]
    losers = [u for u, r in results.items() if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    assert winners[0] in str(results[losers[0]])
    rec = store.incident("a1")
    assert rec["override"]["user"] == winners[0] and rec["override_version"] == 1
    assert len(store.overrides_audit()) == 1
    # the loser reloads and saves on top: both edits are in the audit trail
    store.set_override("a1", ["water", "health"], losers[0], "merge", expected_version=1)
    assert store.overrides_audit()["user"].tolist() == [losers[0], winners[0]]


# --- engines: opening, errors, migrations -------------------------------------------------------------

def test_corrupt_duckdb_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a DuckDB database"):
        open_store(str(bad))


def test_unreachable_postgres_is_a_clear_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError, match=f"cannot reach the PostgreSQL server at 127.0.0.1:{port}"):
        open_store(f"postgresql://nobody@127.0.0.1:{port}/x?connect_timeout=2")


def test_duckdb_connection_is_shared_and_thread_safe(tmp_path):
    path = str(tmp_path / "shared.duckdb")
    a = open_store(path)
    b = open_store(path)
    ro = open_store(path, read_only=True)
    a.write_incidents(sample(), "sample")
    assert b.count(ALL) == 7 and ro.count(ALL) == 7
    with pytest.raises(StoreError):
        ro.write_incidents(sample(), "sample")
    errors = []

    def read():
        try:
            for _ in range(5):
                assert b.count(Filters()) == 6
                assert len(b.timeseries(Filters())) == 6
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    a.close()
    assert b.count(ALL) == 7             # the others keep working
    b.close()
    ro.close()
    again = open_store(path)
    assert again.count(ALL) == 7
    again.close()


def test_duckdb_store_of_an_earlier_version_opens_read_only_when_nothing_is_missing(tmp_path):
    """DuckDB's migration 4 is empty (the narrow copy is PostgreSQL's): a version-3 file opens read-only as it
    is; a version-2 file, which lacks the masks, says to open it read-write once."""
    path = str(tmp_path / "v3.duckdb")
    s = open_store(path)
    s.write_incidents(sample(), "sample")
    s.close()
    con = duckdb.connect(path)
    con.execute("DELETE FROM schema_version WHERE version >= 4")
    con.close()
    ro = open_store(path, read_only=True)
    assert ro.count(ALL) == 7 and ro.schema_version() == 3
    ro.close()
    con = duckdb.connect(path)
    con.execute("DELETE FROM schema_version WHERE version >= 3")
    con.close()
    with pytest.raises(StoreError, match="schema version 2; open it read-write once"):
        open_store(path, read_only=True)


def _apply_v1(execute) -> None:
    execute(S.SCHEMA_VERSION_DDL)
    for version, _d, steps in S.MIGRATIONS[engine_of(execute)]:
        if version == 1:
            for step in steps:
                execute(step)
    execute("INSERT INTO schema_version VALUES (1, NULL)")
    execute("INSERT INTO datasets (dataset, file, loaded_at, rows) VALUES ('old', 'old.csv', NULL, 1)")
    execute("INSERT INTO incidents (incident_id, source, date, lon, lat, categories, source_labels, "
            "source_urls, category_confidence, h3_r4, h3_r5, h3_r6, h3_r7, h3_r8, dataset) VALUES "
            "('old1', 'acled', DATE '2022-03-01', 36.2, 49.9, ARRAY['health'], ARRAY[]::TEXT[], "
            "ARRAY[]::TEXT[], 0.5, 1, 2, 3, 4, 5, 'old')")


def engine_of(execute) -> str:
    return getattr(execute, "engine", "duckdb")


@pytest.mark.parametrize("store_url", ["duckdb", "postgis"], indirect=True)
def test_upgrade_from_v1_to_latest(store_url):
    if store_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as con:
            def execute(q):
                con.execute(q)
            execute.engine = "postgis"
            _apply_v1(execute)
            if True:  # PostGIS: v1 has the geometry column; fill it as v1 would have
                con.execute("UPDATE incidents SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
    else:
        con = duckdb.connect(store_url)
        _apply_v1(con.execute)
        con.close()
    s = open_store(store_url)
    try:
        assert s.schema_version() == S.LATEST_VERSION
        assert s.count(ALL) == 1 and s.incidents(ALL).iloc[0]["categories"] == ["health"]
        ds = s.datasets()
        assert ds["dataset"].tolist() == ["old"] and not ds["synthetic"].iloc[0]
        s.write_incidents(frame([dict(incident_id="new1")]), "new", synthetic=True)
        assert s.count(Filters(bbox=(36.0, 49.0, 37.0, 50.5))) == 2
        assert s.datasets().set_index("dataset").loc["new", "synthetic"]
    finally:
        s.close()
    s = open_store(store_url)               # opening again changes nothing
    assert s.schema_version() == S.LATEST_VERSION and s.count(ALL) == 2
    s.close()


@pytest.mark.parametrize("store_url", ["postgis"], indirect=True)
def test_postgis_reconnects_after_a_dropped_connection(store_url, pg_url):
    import psycopg

    s = open_store(store_url)
    s.write_incidents(sample(), "sample")
    pid = s._con.info.backend_pid
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(StoreError):
        s.count(ALL)                       # the query in flight fails with a clear error...
    assert s.count(ALL) == 7               # ...and the next one reconnects
    s.close()


def test_awkward_text_survives_both_engines(store):
    text = 'He said "hi",\nthen \\N left; 100% {x} \'q\' ? $1'
    labels = ["a,b", 'c"d', "{x}", "", "NULL", "Київ"]
    store.write_incidents(frame([dict(incident_id="t'1", description=text, source_labels=labels,
                                      location="", actor=None)]), "awkward")
    rec = store.incident("t'1")
    assert rec["description"] == text
    assert rec["source_labels"] == ["a,b", 'c"d', "{x}", "NULL", "Київ"]   # conform drops empty labels
    assert rec["location"] == "" and rec["actor"] is None                   # empty is not missing
    assert store.count(Filters(text="100% {x}")) == 1 and store.count(Filters(text="$1")) == 1
    assert store.count(Filters(incident_ids=("t'1",))) == 1


# --- the stored bitmask path (migration 3) gives what the list path gives ------------------------------

def _everything(s) -> dict:
    """Every aggregate of the sample under filters that exercise categories, text and confidence."""
    fs = [Filters(), ALL, Filters(categories=("education", "water")), Filters(categories=("unclassified",)),
          Filters(categories=("unclassified", "health"), text="HOSPITAL"), Filters(text="odesa"),
          Filters(min_confidence=0.75), Filters(categories=("no_such_category",)),
          Filters(bbox=(30.0, 46.0, 37.0, 50.0), text="kharkiv")]
    out = {}
    for i, f in enumerate(fs):
        out[i, "count"] = s.count(f)
        out[i, "ids"] = ids(s, f)
        out[i, "summary"] = s.summary(f)
        out[i, "hex"] = s.hex_counts(f, 4).to_dict("list")
        for by in ("group", "category", "admin1", None):
            out[i, "ts", by] = s.timeseries(f, freq="week", by=by).to_dict("list")
        for by in ("group", "category", "admin1", "source"):
            out[i, "by", by] = s.counts_by(f, by).to_dict("list")
    out["options"] = s.options()
    return out


def test_bitmask_path_equals_list_path(loaded, monkeypatch):
    loaded.set_override("b2", ["residential"], "olena", "flats")
    loaded.set_override("a2", ["health"], "olena", "clinic")
    loaded.clear_override("a2", "olena", "no")
    loaded.update_classification(pd.DataFrame({"incident_id": ["c2"], "categories": [["water", "energy"]],
                                               "category_confidence": [0.9], "category_evidence": ["x"]}))
    assert loaded._bits() is not None
    fast = _everything(loaded)
    monkeypatch.setattr(type(loaded), "_bits", lambda self: None)     # the list columns and the view
    slow = _everything(loaded)
    assert fast == slow
    assert fast[3, "ids"] == ["b3"] and fast[2, "ids"] == ["a1", "a2", "c2"]


def test_categories_outside_the_taxonomy_get_bits_and_fall_back_past_63(store):
    store.write_incidents(frame([dict(incident_id="x1", categories=["zz_custom"]),
                                 dict(incident_id="x2", categories=["health"])]), "x")
    assert store.count(Filters(categories=("zz_custom",))) == 1
    assert store.counts_by(Filters(), "group").set_index("key").loc["other", "incidents"] == 1
    many = [f"cat{i:02d}" for i in range(70)]
    store.write_incidents(frame([dict(incident_id=f"m{i}", categories=[c]) for i, c in enumerate(many)]), "many")
    assert store._bits() is None                      # more than 63 categories: the list path answers
    assert store.count(Filters(categories=("cat69", "zz_custom"))) == 2
    assert "cat69" in store.options()["categories"]


@pytest.mark.parametrize("store_url", ["duckdb", "postgis"], indirect=True)
def test_upgrade_from_v2_fills_masks_with_overrides(store_url):
    """A store made before migration 3 (with an analyst's override) answers category filters right."""
    s = open_store(store_url)
    s.write_incidents(sample(), "sample")
    s.set_override("b2", ["residential"], "olena", "flats")
    s.close()
    drop = ["ALTER TABLE incidents DROP COLUMN eff_mask", "ALTER TABLE incidents DROP COLUMN has_override",
            "ALTER TABLE incidents DROP COLUMN search", "DROP TABLE category_bits",
            "DELETE FROM schema_version WHERE version >= 3"]
    if store_url.startswith("postgresql://"):
        import psycopg

        undo_v4 = [*(f"DROP TRIGGER incidents_facts_{w} ON incidents" for w in ("insert", "update", "delete", "truncate")),
                   *(f"DROP FUNCTION harmmap_facts_{w}()" for w in ("insert", "update", "delete", "truncate")),
                   "DROP TABLE incident_facts"]
        with psycopg.connect(store_url, autocommit=True) as con:
            for q in undo_v4 + drop:
                con.execute(q)
    else:
        con = duckdb.connect(store_url)
        for q in drop:
            con.execute(q)
        con.close()
    s = open_store(store_url)
    try:
        assert s.schema_version() == S.LATEST_VERSION and s._bits() is not None
        assert ids(s, Filters(categories=("residential",))) == ["a1", "b2"]
        assert ids(s, Filters(categories=("unclassified",))) == ["b3"]
        assert ids(s, Filters(min_confidence=0.75)) == ["a1", "b1", "b2"]
        assert ids(s, Filters(text="HOSPITAL")) == ["b1"]
        assert s.counts_by(Filters(), "group").set_index("key").loc["utilities", "incidents"] == 1
    finally:
        s.close()


def test_text_search_cache_follows_writes(tmp_path):
    s = open_store(str(tmp_path / "t.duckdb"))
    s.write_incidents(sample(), "sample")
    f = Filters(text="hospital")
    assert s.count(f) == 1 and s.summary(f)["incidents"] == 1      # the second answer comes from the cache
    s.write_incidents(frame([dict(incident_id="h2", description="Hospital No 2")]), "more")
    assert s.count(f) == 2 and s.hex_counts(f, 5)["incidents"].sum() == 2
    s.update_classification(pd.DataFrame({"incident_id": ["h2"], "categories": [["health"]],
                                          "category_confidence": [1.0], "category_evidence": ["x"]}))
    assert s.count(f.replace(categories=("health",))) == 2
    s.close()


def test_shared_per_oblast_answers_follow_every_write(loaded):
    """count, summary and counts_by admin1 share one scan per filter (kept by DuckDB until the data change):
    after an override, a reclassification, a new data set and a deletion each answers anew."""
    f = Filters(categories=("education",))

    def answers():
        by = loaded.counts_by(f, "admin1")
        return loaded.summary(f)["incidents"], loaded.count(f), dict(zip(by["key"], by["incidents"], strict=True))

    assert answers() == (1, 1, {"Kharkiv": 1})
    loaded.set_override("b1", ["education"], "olena", "a school, not a clinic", expected_version=0)
    assert answers() == (2, 2, {"Kharkiv": 1, "Donetsk": 1})
    loaded.update_classification(pd.DataFrame({"incident_id": ["c2"], "categories": [["education"]],
                                               "category_confidence": [1.0], "category_evidence": ["school"]}))
    assert answers() == (3, 3, {"Kharkiv": 1, "Donetsk": 1, "Odesa": 1})
    loaded.write_incidents(frame([dict(incident_id="n1", categories=["education"], admin1="Sumy")]), "more")
    assert answers() == (4, 4, {"Kharkiv": 1, "Donetsk": 1, "Odesa": 1, "Sumy": 1})
    loaded.delete_dataset("more", user="admin", reason="test")
    assert answers() == (3, 3, {"Kharkiv": 1, "Donetsk": 1, "Odesa": 1})
    s = loaded.summary(Filters(admin1=("Nowhere",)))
    assert s["incidents"] == 0 and s["bbox"] is None and s["date_min"] is None and s["admin1_count"] == 0


def test_a_page_scans_once_for_summary_oblasts_and_count(tmp_path, monkeypatch):
    """DuckDB: after summary(f), counts_by(f, 'admin1') and count(f) run no query (PostgreSQL keeps the scan
    too, while the server's WAL position stands still: not asserted here, autovacuum may move it)."""
    s = open_store(str(tmp_path / "m.duckdb"))
    s.write_incidents(sample(), "sample")
    f = Filters(categories=("education", "health"))
    s.summary(f)
    seen = []
    real = s._fetch
    monkeypatch.setattr(s, "_fetch", lambda sql, *a, **k: (seen.append(sql), real(sql, *a, **k))[1])
    by = s.counts_by(f, "admin1")
    assert s.count(f) == 2 and dict(zip(by["key"], by["incidents"], strict=True)) == {"Kharkiv": 1, "Donetsk": 1}
    assert [q for q in seen if "category_bits" not in q] == []
    s.close()


def test_duckdb_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_DUCKDB_THREADS", "1")
    monkeypatch.setenv("HARMMAP_DUCKDB_MEMORY", "300MB")
    s = open_store(str(tmp_path / "a.duckdb"))
    with s._cursor() as cur:
        threads, memory = cur.execute("SELECT current_setting('threads'), current_setting('memory_limit')").fetchone()
    s.close()
    assert int(threads) == 1 and memory.startswith("286")          # 300 MB = 286.1 MiB
    monkeypatch.setenv("HARMMAP_DUCKDB_MEMORY", "lots")
    with pytest.raises(StoreError, match="HARMMAP_DUCKDB_MEMORY"):
        open_store(str(tmp_path / "b.duckdb"))


def _facts_differ(url: str) -> int:
    """Rows in which PostgreSQL's incident_facts and the incidents table differ (0: the copy is exact)."""
    import psycopg

    cols = ", ".join(S.FACT_COLUMNS)
    with psycopg.connect(url, autocommit=True) as con:
        return con.execute(f"SELECT count(*) FROM ((SELECT {cols} FROM incidents EXCEPT ALL SELECT {cols} "
                           f"FROM incident_facts) UNION ALL (SELECT {cols} FROM incident_facts EXCEPT ALL "
                           f"SELECT {cols} FROM incidents)) x").fetchone()[0]


@pytest.mark.parametrize("store_url", ["postgis"], indirect=True)
def test_postgis_facts_stay_exact_under_concurrent_writers(store_url):
    """Two instances load overlapping data sets while a third saves corrections: the copy matches the table."""
    first = open_store(store_url)
    first.write_incidents(sample(), "sample")
    one = frame([dict(incident_id=f"x{i}", categories=["energy"], fatalities=1) for i in range(300)])
    two = frame([dict(incident_id=f"x{i}", categories=["water"], fatalities=2, admin1="Sumy") for i in range(150, 450)])
    stores = [open_store(store_url) for _ in range(3)]
    errors = []

    def run(fn):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def corrections():
        for i, cats in enumerate((["health"], ["water"], ["education"], ["residential"])):
            stores[2].set_override("a1", cats, "olena", "again", expected_version=i)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in (
        lambda: stores[0].write_incidents(one, "one"), lambda: stores[1].write_incidents(two, "two"), corrections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _facts_differ(store_url) == 0
    assert first.count(ALL) == 7 + 450 and first.count(Filters(categories=("residential",))) == 1
    for st in [first, *stores]:
        st.close()


@pytest.mark.parametrize("store_url", ["postgis"], indirect=True)
def test_postgis_facts_follow_every_write_and_answer_as_the_table(store_url, monkeypatch):
    """PostgreSQL's page aggregates read incident_facts, a narrow copy that triggers keep in step: after a load,
    a reload with changes, an override, a reclassification, a duplicate link and a deletion it holds exactly the
    table's columns, and every aggregate answers as it does from the table."""
    s = open_store(store_url)

    def differ() -> int:
        return _facts_differ(store_url)

    filters = [Filters(), ALL, Filters(categories=("education", "health")), Filters(categories=("unclassified",)),
               Filters(date_from=dt.date(2022, 3, 5), admin1=("Kyiv City", "Dnipropetrovsk")),
               Filters(sources=("bellingcat",), min_confidence=0.5), Filters(bbox=(30.0, 46.0, 36.0, 51.0))]

    def page():
        out = []
        for f in filters:
            out.append((s.count(f), s.summary(f), s.timeseries(f, freq="week", by="group").to_dict("list"),
                        s.counts_by(f, "admin1").to_dict("list"), s.counts_by(f, "category").to_dict("list"),
                        s.hex_counts(f, 5).to_dict("list")))
        return out

    def check():
        assert differ() == 0
        assert s._agg_src(Filters()) == "incident_facts v"
        from_facts = page()
        with monkeypatch.context() as m:
            m.setattr(s, "_agg_src", lambda f: "incidents v")
            m.setattr(s, "_data_version", lambda: None)           # nothing kept: every answer from the table
            assert page() == from_facts

    s.write_incidents(sample(), "sample")
    check()
    changed = sample()
    changed.loc[changed["incident_id"] == "b1", "fatalities"] = 6
    s.write_incidents(changed, "sample")
    s.write_incidents(frame([dict(incident_id="n1", categories=["education"], admin1="Sumy", lon=34.8, lat=50.9,
                                  duplicate_of="a2")]), "more")
    check()
    s.set_override("b2", ["residential"], "olena", "flats")
    s.update_classification(pd.DataFrame({"incident_id": ["c2"], "categories": [["education"]],
                                          "category_confidence": [1.0], "category_evidence": ["school"]}))
    check()
    s.delete_dataset("more", user="admin", reason="test")
    check()
    s.close()


@pytest.mark.parametrize("store_url", ["postgis"], indirect=True)
def test_postgis_reloading_unchanged_rows_makes_no_new_row_versions(store_url):
    import psycopg

    s = open_store(store_url)
    s.write_incidents(sample(), "sample")

    def xmins():
        with psycopg.connect(store_url, autocommit=True) as con:
            return dict(con.execute("SELECT incident_id, xmin::text FROM incidents").fetchall())

    before = xmins()
    changed = sample()
    changed.loc[changed["incident_id"] == "b1", "fatalities"] = 6
    s.write_incidents(changed, "sample")
    after = xmins()
    s.close()
    assert {k for k in before if before[k] != after[k]} == {"b1"}


def test_analysis_rows_and_counts_are_compact(loaded, monkeypatch):
    """The Patterns page's reads (issue 8): categories as the bit mask, oblasts as categoricals, counts per
    distinct value; the same answers on the list path."""
    from harmmap.analysis._common import cat_lists, in_categories

    loaded.set_override("b2", ["residential"], "olena", "flats")

    def read(s):
        rows = s.analysis_rows(Filters(), ["incident_id", "date", "admin1", "eff_mask"])
        rows = rows.sort_values("incident_id").reset_index(drop=True)
        assert rows["admin1"].dtype == "category"
        cats = dict(zip(rows["incident_id"], cat_lists(rows), strict=True))
        last = s.analysis_rows(ALL, ["incident_id", "lon"], exact_only=True, latest=2)
        every = s.analysis_rows(ALL, ["incident_id"], exact_only=True, latest=10)
        by_oblast = s.analysis_counts(Filters(), ["admin1"])
        weeks = s.analysis_counts(ALL, ["date"], freq="week").sort_values("date")
        months = s.analysis_counts(ALL, ["date"], freq="month").sort_values("date")
        keyed = s.analysis_counts(Filters(categories=("residential",)), ["admin1", "eff_mask"])
        only = s.analysis_counts(ALL, ["eff_mask"], only=("water", "health"))      # fewer distinct masks
        return {"cats": cats, "last": (last["incident_id"].tolist(), last.attrs["capped"]),
                "every": (len(every), every.attrs["capped"]),
                "oblasts": dict(zip(by_oblast["admin1"].astype(str), by_oblast["incidents"], strict=True)),
                "weeks": dict(zip(weeks["date"].dt.strftime("%Y-%m-%d"), weeks["incidents"], strict=True)),
                "months": dict(zip(months["date"].dt.strftime("%Y-%m-%d"), months["incidents"], strict=True)),
                "only": int(only["incidents"][in_categories(only, ("water", "health"))].sum()),
                "keyed": sorted((str(a), tuple(c), int(n)) for a, c, n in
                                zip(keyed["admin1"], cat_lists(keyed), keyed["incidents"], strict=True))}

    fast = read(loaded)
    assert fast["cats"] == {"a1": ["education", "residential"], "a2": ["energy", "water"], "b1": ["health"],
                            "b2": ["residential"], "b3": ["unclassified"], "c2": ["food_agriculture"]}
    assert fast["last"] == (["b3", "c2"], True) and fast["every"] == (7, False)
    assert fast["oblasts"] == {"Kharkiv": 1, "Dnipropetrovsk": 1, "Donetsk": 1, "Kyiv City": 2, "Odesa": 1}
    assert fast["weeks"] == {"2022-02-28": 3, "2022-03-07": 1, "2022-04-11": 2, "2022-04-25": 1}
    assert fast["months"] == {"2022-03-01": 4, "2022-04-01": 2, "2022-05-01": 1}
    assert fast["only"] == 2
    assert fast["keyed"] == [("Kharkiv", ("education", "residential"), 1), ("Kyiv City", ("residential",), 1)]
    with pytest.raises(ValueError, match="unknown column"):
        loaded.analysis_rows(Filters(), ["description"])
    monkeypatch.setattr(type(loaded), "_bits", lambda self: None)     # the list columns and the view
    assert read(loaded) == fast
