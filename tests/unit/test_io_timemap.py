"""TimeMap reader: the Bellingcat export trio and an api.json."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from harmmap.io import detect_format, timemap

BC = "bellingcat_civharm_dev"


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "none"))


def test_real_export(datasets):
    r = timemap.read(datasets / BC)
    assert detect_format(datasets / BC) == "timemap"
    assert (r.report["read"], r.report["loaded"], r.report["rejected"]) == (701, 700, 1)
    # CIV1553 appears twice (two different strikes under one id): the second is kept in the rejects
    assert r.report["reasons"] == {"duplicate_id": 1}
    assert r.rejects["id"].tolist() == ["CIV1553"] and r.rejects["_row"].tolist() == [534]
    inc = r.incidents.set_index("incident_id")
    civ2 = inc.loc["bellingcat:CIV0002"]
    assert civ2["date"] == pd.Timestamp("2022-02-24") and pd.isna(civ2["time"])
    assert civ2["source_labels"] == ["Type of area affected/Commercial", "Weapon System/Air strike", "graphic"]
    assert civ2["weapon"] == "Air strike"
    assert len(civ2["source_urls"]) == 3 and all(u.startswith("http") for u in civ2["source_urls"])
    assert inc["date"].max() == pd.Timestamp("2023-05-22")
    assert sum("graphic" in x for x in inc["source_labels"]) == 86
    assert not any("HIDDEN" in u for x in inc["source_urls"] for u in x)


def test_api_json_and_hidden_sources(tmp_path):
    api = {"Events": [
        {"id": "E1", "date": "3/4/2022", "time": "14:30", "latitude": "49.99", "longitude": "36.23",
         "description": "x", "location": "Kharkiv", "associations": ["a1", "a2", "zzz"], "sources": ["s1", "s2"],
         "graphic": "FALSE"},
        {"id": "E2", "date": "02/30/2022", "time": "00:00", "latitude": "49.99", "longitude": "36.23",
         "associations": [], "sources": []}],
        "Associations": [{"id": "a1", "filter_paths": ["Type of area affected", "Healthcare"], "title": "Healthcare"},
                         {"id": "a2", "filter_paths": ["Weapon System", "Cluster munitions"], "title": "Cluster munitions"}],
        "Sources": {"s1": {"id": "s1", "paths": ["HIDDEN"]}, "s2": {"id": "s2", "paths": ["https://t.me/x/1"]}}}
    p = tmp_path / "api.json"
    p.write_text(json.dumps(api))
    assert detect_format(p) == "timemap"
    r = timemap.read(p)
    assert r.report["reasons"] == {"unparseable_date": 1}
    e1 = r.incidents.iloc[0]
    assert str(e1["date"].date()) == "2022-03-04" and e1["time"] == "14:30"
    assert e1["source_urls"] == ["https://t.me/x/1"] and e1["weapon"] == "Cluster munitions"
    assert e1["source_labels"] == ["Type of area affected/Healthcare", "Weapon System/Cluster munitions"]
    assert any("association" in w for w in r.report["warnings"])


def test_a_zipped_export_folder(datasets, tmp_path):
    import zipfile

    from harmmap.io import detect_format, timemap

    src = datasets / "bellingcat_civharm_dev"
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name in ("export_events.json", "export_associations.json", "export_sources.json"):
            zf.write(src / name, f"export/{name}")
    assert detect_format(z) == "timemap"
    r = timemap.read(z)
    direct = timemap.read(src)
    assert (r.report["read"], r.report["loaded"]) == (direct.report["read"], direct.report["loaded"])
    assert r.incidents["source_urls"].map(len).sum() == direct.incidents["source_urls"].map(len).sum() > 0
