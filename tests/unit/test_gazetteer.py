"""Oblast names across spellings and scripts; boundaries load/fetch; point-in-polygon."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harmmap import gazetteer
from harmmap.gazetteer import OBLASTS, display_name, normalize_admin1

ADM1 = "boundaries/geoBoundaries-UKR-ADM1_simplified.geojson"
ADM2 = "boundaries/geoBoundaries-UKR-ADM2_simplified.geojson"


@pytest.mark.parametrize("name", ["Kharkiv", "Kharkov", "Kharkivska", "Kharkivs'ka oblast", "Kharkiv Oblast",
                                  "Харківська область", "Харьковская область", "Харківська обл.", "Charkov",
                                  "Oblast Charkov", "UA-63", "kharkiv oblast", "Kharviv Oblast", "Khrkiv Oblast"])
def test_kharkiv_variants(name):
    assert normalize_admin1(name) == "Kharkiv"


@pytest.mark.parametrize("name,canon", [
    ("Zaporizhia", "Zaporizhzhia"), ("Zaporiz'ka oblast", "Zaporizhzhia"), ("Запорізька область", "Zaporizhzhia"),
    ("Odessa Oblast", "Odesa"), ("Kiev Oblast", "Kyiv"), ("Kyiv City", "Kyiv City"), ("м. Київ", "Kyiv City"),
    ("Kirovograd", "Kirovohrad"), ("Autonomous Republic of Crimea", "Crimea"), ("Crimean Peninsula", "Crimea"),
    ("Luhansk Oblast, Ukraine", "Luhansk"), ("Donets'ka oblast", "Donetsk"), ("Ivano-Frankivsk Oblast", "Ivano-Frankivsk"),
    ("Хмельницкая обл.", "Khmelnytskyi"), ("Sevastopol", "Sevastopol")])
def test_other_variants(name, canon):
    assert normalize_admin1(name) == canon


@pytest.mark.parametrize("name", ["Belgorod Oblast", "Belogorod Oblast", "Kursk", "Gomel Region", "Transnistria",
                                  "Donbass", "", None, "Dneprik"])
def test_not_an_oblast(name):
    assert normalize_admin1(name) is None


def test_every_canonical_name_maps_to_itself():
    for name in OBLASTS:
        assert normalize_admin1(name) == name
        assert normalize_admin1(display_name(name)) == name


def test_boundaries_load_and_locate(datasets, tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "b"))
    assert gazetteer.boundaries(1) is None
    rep = gazetteer.load_boundaries(datasets / ADM1, 1)
    assert rep["features"] == 27 and rep["unmatched"] == []
    b = gazetteer.boundaries(1)
    assert sorted(b["admin1"]) == sorted(OBLASTS)
    loc = gazetteer.locate([36.23, 30.52, 33.52, 37.62], [49.99, 50.45, 44.6, 55.75], 1)
    assert loc["admin1"].tolist()[:3] == ["Kharkiv", "Kyiv City", "Sevastopol"]
    assert loc["admin1"].isna().tolist()[3]
    rep2 = gazetteer.load_boundaries(datasets / ADM2, 2)
    assert rep2["features"] == 495
    b2 = gazetteer.boundaries(2)
    assert b2["admin1"].notna().mean() > 0.95       # parents located through the level-1 polygons


def test_boundaries_cli(datasets, tmp_path):
    env = {"HARMMAP_BOUNDARIES_DIR": str(tmp_path / "b"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "harmmap", "boundaries", "load", str(datasets / ADM1), "--level", "1",
                          "--json"], capture_output=True, text=True, env=env, cwd=gazetteer.paths.ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["matched"] == 27
    bad = subprocess.run([sys.executable, "-m", "harmmap", "boundaries", "load", str(tmp_path / "nope.geojson"),
                          "--level", "1"], capture_output=True, text=True, env=env, cwd=gazetteer.paths.ROOT)
    assert bad.returncode == 2 and "nope.geojson" in bad.stderr


def test_fetch_offline_fails_in_one_line(monkeypatch, capsys):
    import urllib.error
    import urllib.request

    from harmmap.cli import main

    def offline(*a, **k):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert main(["boundaries", "fetch", "UKR"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "geoBoundaries UKR" in err
