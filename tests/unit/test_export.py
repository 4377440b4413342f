"""Exports: every format round-trips, CSV cells that a spreadsheet would run are neutralised (checked in a
real spreadsheet reader), the evidence package carries sources, evidence, overrides and data sets, and
its manifest verifies and catches a changed or added file; the CLI's --json contract."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from harmmap import export, schema
from harmmap.cli import main
from harmmap.demo import ensure_demo_store
from harmmap.query import Filters
from harmmap.store import open_store

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3", "\t=1+1", " =1+1", "＝1+1"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "demo.duckdb"
    store = ensure_demo_store(str(path), n=2000)
    yield store
    store.close()


@pytest.fixture
def hostile_store(tmp_path):
    """A store with incidents whose text cells would run as spreadsheet formulas."""
    n = len(HOSTILE)
    gdf = schema.conform(pd.DataFrame({
        "incident_id": [f"evil:{i}" for i in range(n)], "source": "evil", "date": ["2022-03-01"] * n,
        "lon": [36.2] * n, "lat": [49.9] * n, "admin1": ["Kharkiv"] * n, "location": HOSTILE,
        "description": HOSTILE[::-1], "actor": HOSTILE, "categories": [["health"]] * n,
        "source_urls": [[f"https://example.org/{i}", HOSTILE[i]] for i in range(n)],
    }))
    store = open_store(str(tmp_path / "evil.duckdb"))
    store.write_incidents(gdf, "evil")
    yield store
    store.close()


def test_export_frame_has_every_canonical_column(demo):
    f = Filters(admin1=("Kharkiv",), categories=("residential",))
    gdf = export.export_frame(demo, f)
    assert isinstance(gdf, gpd.GeoDataFrame) and gdf.crs.to_epsg() == 4326
    assert list(gdf.columns) == [*schema.COLUMN_NAMES, *export.EXTRA_COLUMNS]
    assert len(gdf) == demo.count(f) > 0
    assert all("residential" in c for c in gdf["categories"])
    assert gdf.geometry.geom_type.eq("Point").all()
    assert gdf["date"].is_monotonic_increasing


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg", "parquet"])
def test_each_format_round_trips(demo, tmp_path, fmt):
    f = Filters(admin1=("Sumy", "Kharkiv"))
    gdf = export.export_frame(demo, f)
    path = export.write(gdf, tmp_path / f"out{export.FORMATS[fmt][0]}")
    assert export.format_from_path(path) == fmt
    if fmt == "csv":
        back = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        back = gpd.GeoDataFrame(back, geometry=gpd.points_from_xy(back["lon"].astype(float),
                                                                  back["lat"].astype(float)), crs=4326)
    elif fmt == "parquet":
        back = gpd.read_parquet(path)
    else:
        back = gpd.read_file(path)
    assert len(back) == len(gdf) == demo.count(f)
    assert back["incident_id"].tolist() == gdf["incident_id"].tolist()
    assert back.crs.to_epsg() == 4326
    assert (back.geometry.x.round(5).tolist() == gdf.geometry.x.round(5).tolist())
    assert (back.geometry.y.round(5).tolist() == gdf.geometry.y.round(5).tolist())
    first = gdf["source_urls"].iloc[0]
    got = back["source_urls"].iloc[0]
    if fmt in ("parquet", "geojson"):
        assert list(got) == first                             # lists stay lists
    else:
        assert got == "; ".join(first)                        # lists as text
    if fmt == "parquet":
        assert back["h3_r6"].tolist() == gdf["h3_r6"].tolist()
        assert back.columns.tolist() == gdf.columns.tolist()
    if fmt in ("csv", "geojson"):
        assert str(back["date"].iloc[0])[:10] == gdf["date"].iloc[0].date().isoformat()


def test_to_bytes_matches_write(demo, tmp_path):
    gdf = export.export_frame(demo, Filters(admin1=("Sumy",)))
    for fmt in ("csv", "geojson", "parquet"):
        data = export.to_bytes(gdf, fmt)
        path = export.write(gdf, tmp_path / f"x{export.FORMATS[fmt][0]}")
        assert data == path.read_bytes(), fmt
    (tmp_path / "b.gpkg").write_bytes(export.to_bytes(gdf, "gpkg"))
    assert len(gpd.read_file(tmp_path / "b.gpkg")) == len(gdf)


def _xlsx_formulas(csv_path: Path, tmp_path: Path) -> list[str]:
    """Open the CSV as a spreadsheet would (pandas -> openpyxl workbook) and list the formula cells."""
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    xlsx = tmp_path / "opened.xlsx"
    df.to_excel(xlsx, index=False, engine="openpyxl")
    wb = openpyxl.load_workbook(xlsx)
    return [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_hostile_csv_cells_open_as_text(hostile_store, tmp_path):
    gdf = export.export_frame(hostile_store, Filters())
    path = export.write(gdf, tmp_path / "evil.csv")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in ("location", "description", "actor", "source_urls"):
        for cell in df[col]:
            assert not cell.lstrip(" ").startswith(export.FORMULA_START), (col, cell)
    assert set(df["location"]) == {"'" + h for h in HOSTILE}
    assert _xlsx_formulas(path, tmp_path) == []
    # the control: the same table written without neutralising does open with formulas
    raw = tmp_path / "raw.csv"
    export.table_frame(gdf).to_csv(raw, index=False)
    assert _xlsx_formulas(raw, tmp_path)


def test_evidence_package_contents_and_manifest(demo, tmp_path):
    f = Filters(admin1=("Sumy",))
    ids = demo.incidents(f, columns=["incident_id"])["incident_id"].tolist()
    target = ids[0]
    demo.set_override(target, ["health"], user="analyst.a", reason="hospital named in the source")
    demo.set_override(target, ["health", "residential"], user="analyst.b", reason="also a block of flats")
    try:
        out = tmp_path / "evidence.zip"
        manifest = export.evidence_package(demo, f, out)
        assert manifest["incidents"] == len(ids)
        with zipfile.ZipFile(out) as z:
            names = set(z.namelist())
            assert {"incidents.csv", "incidents.geojson", "sources.csv", "classification.csv",
                    "overrides_audit.csv", "datasets.csv", "filters.json", "README.md", "manifest.json",
                    "SHA256SUMS"} <= names
            man = json.loads(z.read("manifest.json"))
            assert {e["path"] for e in man["files"]} == names - {"manifest.json", "SHA256SUMS"}
            sources = pd.read_csv(io.BytesIO(z.read("sources.csv")), dtype=str, encoding="utf-8-sig")
            n_urls = sum(len(u) for u in demo.incidents(f, columns=["source_urls"])["source_urls"])
            assert len(sources) == n_urls and set(sources["incident_id"]) == set(ids)
            cls = pd.read_csv(io.BytesIO(z.read("classification.csv")), dtype=str, encoding="utf-8-sig")
            row = cls[cls["incident_id"] == target].iloc[0]
            assert row["overridden"] == "True" and row["categories"] == "health; residential"
            assert row["category_evidence"]
            audit = pd.read_csv(io.BytesIO(z.read("overrides_audit.csv")), dtype=str, encoding="utf-8-sig")
            assert audit["incident_id"].tolist() == [target, target]
            assert audit["user"].tolist() == ["analyst.a", "analyst.b"]
            assert audit["reason"].iloc[1] == "also a block of flats"
            ds = pd.read_csv(io.BytesIO(z.read("datasets.csv")), dtype=str, encoding="utf-8-sig")
            assert ds["dataset"].tolist() == ["demo"] and ds["synthetic"].tolist() == ["True"]
            assert ds["loaded_at"].iloc[0][:4] >= "2024"
            assert json.loads(z.read("filters.json"))["filters"] == {"adm1": "Sumy"}
            assert "Synthetic demo data" in z.read("README.md").decode()
        assert export.verify(out).ok
        # sha256sum -c SHA256SUMS agrees (as a recipient without Python would check)
        unz = tmp_path / "unz"
        zipfile.ZipFile(out).extractall(unz)
        r = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unz, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        demo.clear_override(target, user="test", reason="clean up")


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename in change:
                if change[item.filename] is None:
                    continue
                data = change[item.filename]
            zout.writestr(item.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)


def test_verify_catches_a_changed_a_missing_and_an_added_file(demo, tmp_path):
    out = tmp_path / "ev.zip"
    export.evidence_package(demo, Filters(admin1=("Sumy",), categories=("energy",)), out)
    assert export.verify(out).ok
    csv = zipfile.ZipFile(out).read("incidents.csv")

    changed = tmp_path / "changed.zip"
    _rewrite(out, changed, {"incidents.csv": csv.replace(b"Sumy", b"Kyiv", 1)})
    res = export.verify(changed)
    assert not res.ok and any(p.startswith("incidents.csv:") for p in res.problems)

    missing = tmp_path / "missing.zip"
    _rewrite(out, missing, {"sources.csv": None})
    assert "sources.csv: missing" in export.verify(missing).problems

    added = tmp_path / "added.zip"
    _rewrite(out, added, {}, add={"extra.csv": b"a,b\n"})
    assert any("extra.csv" in p for p in export.verify(added).problems)

    forged = tmp_path / "forged.zip"     # a changed file with a manifest rewritten to match it
    man = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    new_csv = csv + b"x"
    for e in man["files"]:
        if e["path"] == "incidents.csv":
            e["sha256"], e["bytes"] = export.sha256_bytes(new_csv), len(new_csv)
    _rewrite(out, forged, {"incidents.csv": new_csv, "manifest.json": json.dumps(man).encode()})
    assert any(p.startswith("SHA256SUMS") for p in export.verify(forged).problems)

    assert not export.verify(tmp_path / "nothing.zip").ok


def test_evidence_lists_the_sources_of_duplicate_reports(tmp_path):
    n = 3
    gdf = schema.conform(pd.DataFrame({
        "incident_id": ["a:1", "b:1", "c:1"], "source": ["a", "b", "c"], "date": ["2022-03-01"] * n,
        "lon": [36.2] * n, "lat": [49.9] * n, "admin1": ["Kharkiv"] * n, "categories": [["health"]] * n,
        "source_urls": [["https://a.example/1"], ["https://b.example/1", "https://b.example/2"], ["https://c.example/9"]],
        "duplicate_of": [None, "a:1", None],
    }))
    store = open_store(str(tmp_path / "d.duckdb"))
    try:
        store.write_incidents(gdf, "t")
        out = tmp_path / "ev.zip"
        assert export.evidence_package(store, Filters(sources=("a", "b")), out)["incidents"] == 1
        src = pd.read_csv(io.BytesIO(zipfile.ZipFile(out).read("sources.csv")), dtype=str, encoding="utf-8-sig")
        assert src[["incident_id", "record_id", "url"]].values.tolist() == [
            ["a:1", "a:1", "https://a.example/1"], ["a:1", "b:1", "https://b.example/1"],
            ["a:1", "b:1", "https://b.example/2"]]
    finally:
        store.close()


def test_cli_json_contract_in_process(demo, tmp_path, capsys):
    out = tmp_path / "kh.csv"
    rc = main(["export", "--db", demo.url, "--format", "csv", "--category", "health,education", "--category",
               "energy", "--oblast", "Kharkivska oblast", "--from", "2022-03-01", "--to", "2023-05-31",
               "-o", str(out), "--json"])
    assert rc == 0
    got = json.loads(capsys.readouterr().out)
    assert set(got) == {"path", "format", "rows", "sha256"}
    f = Filters(categories=("health", "education", "energy"), admin1=("Kharkiv",),
                date_from=pd.Timestamp("2022-03-01").date(), date_to=pd.Timestamp("2023-05-31").date())
    assert got["format"] == "csv" and got["rows"] == demo.count(f) > 0
    assert got["sha256"] == export.sha256_file(out) and got["path"] == str(out)
    for fmt, suffix in (("evidence", ".zip"), ("briefing", ".zip"), ("parquet", ".parquet")):
        p = tmp_path / f"x_{fmt}{suffix}"
        assert main(["export", "--db", demo.url, "--format", fmt, "--oblast", "Sumy", "-o", str(p), "--json"]) == 0
        got = json.loads(capsys.readouterr().out)
        assert got["format"] == fmt and got["rows"] == demo.count(Filters(admin1=("Sumy",)))
    # suffix decides the format when --format is left out
    assert main(["export", "--db", demo.url, "--oblast", "Sumy", "-o", str(tmp_path / "s.geojson"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "geojson"


@pytest.mark.parametrize("args, message", [
    (["--category", "nope"], "unknown --category nope"),
    (["--oblast", "Atlantis"], "not a Ukrainian oblast"),
    (["--from", "2023-01-01", "--to", "2022-01-01"], "is after"),
])
def test_cli_errors_exit_2(demo, tmp_path, capsys, args, message):
    assert main(["export", "--db", demo.url, "-o", str(tmp_path / "x.csv"), *args]) == 2
    assert message in capsys.readouterr().err
    assert main(["export", "--db", demo.url, "-o", str(tmp_path / "x.zip")]) == 2
    assert "--format evidence" in capsys.readouterr().err


def test_cli_as_a_process(tmp_path):
    db = tmp_path / "p.duckdb"
    ensure_demo_store(str(db), n=2000).close()
    out = tmp_path / "out.gpkg"
    r = subprocess.run([sys.executable, "-m", "harmmap", "export", "--db", str(db), "--oblast", "Sumy",
                        "--format", "gpkg", "-o", str(out), "--json"], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["rows"] == len(gpd.read_file(out)) > 0 and got["sha256"] == export.sha256_file(out)
