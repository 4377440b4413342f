"""Configured facilities give proximity evidence at ingest and in `classify --all`, from the real files."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from harmmap import facilities, schema
from harmmap.enrich import enrich
from tests.conftest import ROOT


@pytest.fixture
def fac_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_FACILITIES_DIR", str(tmp_path / "fac"))
    return tmp_path / "fac"


def test_load_the_real_power_plants_and_health_points(datasets, fac_dir):
    infra = datasets / "infrastructure"
    r = facilities.load(infra / "global_power_plant_database_ukraine.csv", "energy")
    assert r["points"] == 64 and r["by_category"] == {"energy": 64}    # 64 rows (its SOURCE.md says 63)
    h = facilities.load(infra / "hotosm_ukr_health_facilities_points_geometry_only.geojson", "health")
    assert h["points"] == 15_936
    assert len(facilities.table()) == 64 + 15_936
    idx = facilities.configured()
    # Burshtyn power station (49.2104, 24.6665) per the file
    assert "within" in idx.nearby([24.6667], [49.2105])[0]["energy"]


def test_ingest_adds_proximity_evidence_from_configured_facilities(datasets, fac_dir):
    facilities.load(datasets / "infrastructure" / "global_power_plant_database_ukraine.csv", "energy")
    df = schema.conform(pd.DataFrame({
        "incident_id": ["t:1", "t:2"], "source": ["t", "t"], "date": ["2023-01-01"] * 2,
        "lon": [24.6667, 30.0], "lat": [49.2105, 46.0],
        "description": ["A strike was reported at the power station.", "Shelling reported."]}))
    out = enrich(df, boundaries=False)
    assert "energy" in out.loc[0, "categories"]
    assert "Burshtyn power station" in out.loc[0, "category_evidence"]
    assert "facility" not in (out.loc[1, "category_evidence"] or "")
    bare = enrich(df, boundaries=False, facilities=False)
    assert "Burshtyn" not in (bare.loc[0, "category_evidence"] or "")


def test_cli_load_json_and_a_bad_file(datasets, fac_dir, tmp_path):
    env_run = dict(__import__("os").environ, HARMMAP_FACILITIES_DIR=str(fac_dir))
    plants = datasets / "infrastructure" / "global_power_plant_database_ukraine.csv"
    r = subprocess.run([sys.executable, "-m", "harmmap", "facilities", "load", f"{plants}:energy", "--json"],
                       cwd=ROOT, env=env_run, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["files"][0]["points"] == 64
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    r = subprocess.run([sys.executable, "-m", "harmmap", "facilities", "load", f"{bad}:health"],
                       cwd=ROOT, env=env_run, capture_output=True, text=True)
    assert r.returncode == 1 and "bad.csv" in r.stderr and "no lon/lat" in r.stderr
