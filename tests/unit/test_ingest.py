"""The ingest pipeline and CLI: read -> enrich (regions by polygon) -> link duplicates -> store."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from harmmap import gazetteer, paths
from harmmap.enrich import enrich, link_duplicates
from harmmap.ingest import ingest_files
from harmmap.store import open_store

ACLED = "acled_sample/acled_ukraine_sample1000_2018-2024.csv"


@pytest.fixture()
def bounds(datasets, tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "b"))
    gazetteer.load_boundaries(datasets / "boundaries/geoBoundaries-UKR-ADM1_simplified.geojson", 1)
    return tmp_path / "b"


def _csv(path, rows):
    pd.DataFrame(rows, columns=["id", "date", "lat", "lon", "oblast", "description"]).to_csv(path, index=False)
    return path


def test_real_files_into_memory_store(datasets, bounds, tmp_path):
    store = open_store(":memory:")
    reps = ingest_files([datasets / ACLED, datasets / "bellingcat_civharm_dev"], store, rejects_dir=tmp_path / "rej")
    a, b = reps
    assert (a["read"], a["loaded"], a["rejected"]) == (1000, 999, 1)
    assert (b["read"], b["loaded"], b["rejected"]) == (701, 694, 7)
    assert b["reasons"] == {"duplicate_id": 1, "outside_study_area": 6}
    assert store.count(store_filters(include_duplicates=True)) == 999 + 694
    assert b["linked_duplicates"] == 2 and store.count(store_filters()) == 999 + 694 - 2
    assert pd.read_csv(b["rejects_file"])["_reason"].value_counts()["outside_study_area"] == 6
    # ACLED names "Kyiv"... ; the located oblast wins and disagreements are counted
    assert a["admin1_disagreements_count"] == len(a["admin1_disagreements"]) == 1
    inc = store.incidents(store_filters(include_duplicates=True), columns=["incident_id", "admin1"])
    assert inc["admin1"].notna().mean() > 0.99


def store_filters(**kw):
    from harmmap.query import Filters

    return Filters(**kw)


def test_duplicates_across_sources_are_linked_not_deleted(bounds, tmp_path):
    a = _csv(tmp_path / "alpha.csv", [[1, "2022-03-01", 49.9900, 36.2300, "Kharkiv", "school hit"],
                                      [2, "2022-03-05", 50.4500, 30.5200, "Kyiv City", "clinic"]])
    b = _csv(tmp_path / "beta.csv", [[7, "2022-03-02", 49.9950, 36.2330, "Харківська", "school shelled"],
                                     [8, "2022-03-09", 50.4500, 30.5200, "Kyiv", "later: not the same"],
                                     [9, "2022-03-01", 49.9900, 36.2300, "Kharkiv", "same source? no"]])
    store = open_store(":memory:")
    ra, rb = ingest_files([a, b], store, rejects_dir=tmp_path / "rej")
    assert ra["linked_duplicates"] == 0 and rb["linked_duplicates"] == 2
    df = store.incidents(store_filters(include_duplicates=True), columns=["incident_id", "duplicate_of"])
    dup = dict(zip(df["incident_id"], df["duplicate_of"], strict=False))
    assert dup["beta:7"] == "alpha:1" and dup["beta:9"] == "alpha:1" and pd.isna(dup["beta:8"])
    assert len(df) == 5


def test_link_duplicates_categories_and_same_source():
    old = pd.DataFrame({"incident_id": ["a:1", "a:2"], "source": ["a", "a"],
                        "date": pd.to_datetime(["2022-03-01", "2022-03-01"]), "lon": [36.23, 30.52],
                        "lat": [49.99, 50.45], "categories": [["health"], []]})
    new = pd.DataFrame({"incident_id": ["b:1", "b:2", "a:3"], "source": ["b", "b", "a"],
                        "date": pd.to_datetime(["2022-03-01", "2022-03-02", "2022-03-01"]),
                        "lon": [36.23, 30.52, 30.52], "lat": [49.99, 50.45, 50.45],
                        "categories": [["education"], ["energy"], []]})
    got = link_duplicates(new, old)
    assert got.isna().tolist() == [True, False, True] and got.iloc[1] == "a:2"


def test_enrich_names_without_boundaries(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "none"))
    from harmmap import schema

    gdf = schema.conform(pd.DataFrame({"incident_id": ["x:1", "x:2"], "source": "x", "date": ["2022-03-01"] * 2,
                                       "lon": [36.2, 35.1], "lat": [49.9, 47.8],
                                       "admin1_raw": ["Харьковская обл.", "Zaporizhia"]}))
    out = enrich(gdf)
    assert out["admin1"].tolist() == ["Kharkiv", "Zaporizhzhia"]
    assert out["admin1_raw"].tolist() == ["Харьковская обл.", "Zaporizhia"]
    assert out.attrs["enrich"]["admin1_located"] == 0


def test_cli_json_contract(datasets, bounds, tmp_path):
    db = tmp_path / "t.duckdb"
    env = {"HARMMAP_BOUNDARIES_DIR": str(bounds), "PATH": "/usr/bin:/bin", "HARMMAP_DATABASE_URL": ""}
    cmd = [sys.executable, "-m", "harmmap", "ingest", str(datasets / "bellingcat_civharm_dev"),
           str(datasets / "cir_monitor/events.csv"), "--db", str(db), "--json", "--rejects", str(tmp_path / "rej")]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=paths.ROOT)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert list(doc) == ["files"] and len(doc["files"]) == 2
    for f in doc["files"]:
        assert {"path", "format", "read", "loaded", "rejected", "linked_duplicates", "reasons"} <= set(f)
        assert f["read"] == f["loaded"] + f["rejected"]
    bc, cir = doc["files"]
    assert (bc["format"], bc["loaded"]) == ("timemap", 694)
    assert (cir["format"], cir["read"], cir["loaded"], cir["reasons"]) == (
        "table", 6650, 5941, {"duplicate_id": 4, "no_date": 4, "outside_study_area": 701})
    assert cir["linked_duplicates"] > 0


def test_cli_errors_name_the_file(tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02" * 100)
    env = {"HARMMAP_BOUNDARIES_DIR": str(tmp_path / "none"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "harmmap", "ingest", str(junk), "--db", str(tmp_path / "t.duckdb")],
                         capture_output=True, text=True, env=env, cwd=paths.ROOT)
    assert out.returncode == 2 and "junk.csv" in out.stderr and "Traceback" not in out.stderr


def test_a_file_without_oblasts_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "none"))
    p = tmp_path / "points.csv"
    pd.DataFrame({"date": ["2022-03-01", "2022-03-02"], "lat": [49.99, 50.45], "lon": [36.23, 30.52],
                  "oblast": ["Kharkiv", ""], "description": ["school hit", "clinic hit"]}).to_csv(p, index=False)
    (rep,) = ingest_files([p], open_store(":memory:"), rejects_dir=tmp_path / "rej")
    assert rep["loaded"] == 2
    assert any("1 of 2 incidents have no oblast" in w and "boundaries load" in w for w in rep["warnings"])
