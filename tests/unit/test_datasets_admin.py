"""Deleting a data set (Store.delete_dataset, both engines; ``python -m harmmap datasets``): its incidents
and their overrides go in one transaction, the audit trail keeps their history, other data sets' duplicates
are relinked, and a failure changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from harmmap import schema
from harmmap.query import Filters
from harmmap.store import StoreError
from harmmap.stores import manage
from tests.conftest import ROOT

ALL = Filters(include_duplicates=True)


def frame(rows):
    base = {"source": "acled", "date": "2022-03-02", "lon": 36.23, "lat": 49.99, "admin1": "Kharkiv",
            "categories": ["residential"]}
    return schema.conform(pd.DataFrame([{**base, **r} for r in rows]))


@pytest.fixture
def two(store):
    store.write_incidents(frame([dict(incident_id="a1"), dict(incident_id="a2", categories=["health"]),
                                 dict(incident_id="a3")]), "acled")
    store.write_incidents(frame([dict(incident_id="c1", source="cir", duplicate_of="a1"),
                                 dict(incident_id="c2", source="cir", duplicate_of="a1"),
                                 dict(incident_id="c3", source="cir", duplicate_of="a2"),
                                 dict(incident_id="c4", source="cir")]), "cir")
    store.set_override("a2", ["education"], "olena", "video shows the school", 0)
    store.set_override("c4", ["water"], "ivan", "pumping station", 0)
    return store


def snapshot(store):
    return (store.incidents(ALL, order="incident_id").to_json(), store.datasets().to_json(),
            store.overrides_audit().to_json(), store.incident("a2")["override"])


def test_delete_removes_the_data_set_and_keeps_the_audit_trail(two):
    before = len(two.overrides_audit())
    out = two.delete_dataset("acled", user="ada", reason="wrong export")
    assert out == {"dataset": "acled", "incidents": 3, "overrides": 1, "relinked": 3}
    assert two.datasets()["dataset"].tolist() == ["cir"]
    assert two.incident("a1") is None and two.count(ALL) == 4
    audit = two.overrides_audit()
    assert len(audit) == before + 1                              # nothing removed from the trail, one row added
    last = audit[audit["incident_id"] == "a2"].sort_values("version").iloc[-1]
    assert last["old_categories"] == ["education"] and last["new_categories"] is None
    assert last["user"] == "ada" and last["reason"] == "data set 'acled' deleted: wrong export"
    assert last["version"] == 2
    assert two.incident("c4")["override"]["categories"] == ["water"]      # other data sets' overrides stay


def test_duplicates_of_deleted_incidents_are_relinked(two):
    assert two.count(Filters()) == 4                              # a1 a2 a3 c4 (c1 c2 c3 are duplicates)
    two.delete_dataset("acled", user="ada")
    df = two.incidents(ALL, columns=["incident_id", "duplicate_of"], order="incident_id")
    assert dict(zip(df["incident_id"], df["duplicate_of"].astype(object).where(df["duplicate_of"].notna(), None),
                    strict=True)) == {"c1": None, "c2": "c1", "c3": None, "c4": None}
    assert two.count(Filters()) == 3                              # each event still counted once
    assert [d["incident_id"] for d in two.incident("c1")["duplicates"]] == ["c2"]


def test_an_unknown_data_set_changes_nothing(two):
    before = snapshot(two)
    with pytest.raises(StoreError, match="no data set named 'nope'"):
        two.delete_dataset("nope", user="ada")
    assert snapshot(two) == before


def test_a_failure_halfway_changes_nothing(two, monkeypatch):
    before = snapshot(two)
    real = manage.delete_dataset

    def then_fail(*a, **k):
        real(*a, **k)                                             # every statement ran inside the transaction
        raise RuntimeError("killed before commit")

    monkeypatch.setattr(manage, "delete_dataset", then_fail)
    with pytest.raises(RuntimeError):
        two.delete_dataset("acled", user="ada")
    assert snapshot(two) == before


def test_datasets_command(tmp_path):
    db = tmp_path / "s.duckdb"

    def run(*a, check=True):
        return subprocess.run([sys.executable, "-m", "harmmap", *a], cwd=ROOT, capture_output=True, text=True,
                              check=check, stdin=subprocess.DEVNULL)

    run("demo", "--n", "150", "--db", str(db))
    listed = json.loads(run("datasets", "list", "--db", str(db), "--json").stdout)
    assert [(d["dataset"], d["rows"], d["synthetic"]) for d in listed] == [("demo", 150, True)]
    assert "demo\t150 rows" in run("datasets", "list", "--db", str(db)).stdout
    bad = run("datasets", "delete", "nope", "--db", str(db), "--yes", check=False)
    assert bad.returncode == 2 and "no data set named 'nope'" in bad.stderr
    ask = run("datasets", "delete", "demo", "--db", str(db), check=False)
    assert ask.returncode == 2 and "--yes" in ask.stderr
    out = json.loads(run("datasets", "delete", "demo", "--db", str(db), "--yes", "--json", "--user", "ada").stdout)
    assert out == {"dataset": "demo", "incidents": 150, "overrides": 0, "relinked": 0}
    assert json.loads(run("datasets", "list", "--db", str(db), "--json").stdout) == []
