"""The Data page: an AppTest through the entrypoint (the data sets table), and the page's logic
(ui/data.py, harmmap.ingest.preview/group_files/try_ingest_file) on the real files in
../shared/datasets and on bad files: the counts it shows are the CLI's, a bad file gives a message
naming it while the others load, and the rejects download is formula-safe.

AppTest cannot upload files, so the upload -> mapping -> load path in the widgets is driven in a real
browser in tests/browser/test_data_browser.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from harmmap import ingest
from harmmap.io.common import ReadError
from harmmap.query import Filters
from harmmap.store import open_store
from ui import data

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")
KEYS = ("format", "source", "read", "loaded", "rejected", "linked_duplicates", "reasons")


@pytest.fixture(autouse=True)
def own_mappings(tmp_path, monkeypatch):
    """Saved mappings go to a tmp folder, never to the repository's data/mappings."""
    monkeypatch.setenv("HARMMAP_MAPPINGS_DIR", str(tmp_path / "mappings"))


def write_csv(path: Path, rows: list[list], header=("id", "date", "latitude", "longitude", "place", "description")):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def cli(files, db: Path) -> list[dict]:
    """What ``python -m harmmap ingest FILE... --json --db DB`` reports."""
    r = subprocess.run([sys.executable, "-m", "harmmap", "ingest", *map(str, files), "--json", "--db", str(db),
                        "--rejects", str(db.parent / "cli-rejects")],
                       cwd=ROOT, capture_output=True, text=True, env=dict(os.environ))
    return json.loads(r.stdout)["files"]


def plans_as_page_makes_them(paths) -> list[data.Plan]:
    """What the page builds when the analyst changes nothing: group the uploads, preview each, and
    pass the mapping only when it was corrected (so the reader resolves it as the CLI does)."""
    items, _notes = ingest.group_files(paths)
    plans = []
    for p in items:
        try:
            info = ingest.preview(p)
        except Exception as exc:  # noqa: BLE001 - the page shows it as the file's error
            plans.append(data.Plan(p, error=str(exc)))
            continue
        m = info["mapping"]
        if m is not None:   # the editor starts from the shown mapping; unchanged -> nothing passed
            chosen = data.mapping_from_choices(m.fields, m.date_order, m.source)
            assert chosen.fields == m.fields
        plans.append(data.Plan(p, fmt=info["format"]))
    return plans


# ------------------------------------------------------------------------------------------------
# through the entrypoint
# ------------------------------------------------------------------------------------------------
def test_data_page_lists_the_demo_data_set(store_env):
    at = AppTest.from_file(ENTRY, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(str(ROOT / "app_pages" / "data.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    row = table[table["Data set"] == "demo"].iloc[0]
    assert row["Kind"].startswith("SYNTHETIC") and row["Rows"] == 25_000
    captions = "\n".join(c.value for c in at.caption)
    assert "Synthetic" in captions and "demo" in captions
    assert "Up to 200 MB per file" in captions and "python -m harmmap ingest FILE" in captions
    assert "An admin can delete a data set" in captions
    # no login: the one analyst on the laptop is the admin and may delete (the only data set: not yet)
    assert at.button(key="hm_dp_delete").disabled
    assert not [b for b in at.button if b.label.startswith("Load ")]          # nothing uploaded, nothing to load


# ------------------------------------------------------------------------------------------------
# the page's logic on real files: the same counts as the CLI
# ------------------------------------------------------------------------------------------------
def test_real_files_count_as_the_cli_counts(datasets, tmp_path):
    acled = datasets / "acled_sample" / "acled_ukraine_sample1000_2018-2024.csv"
    trio = datasets / "bellingcat_civharm_dev"
    cir = datasets / "cir_monitor" / "events.csv"
    # uploaded as the browser sends them: five files with their own names, saved into one folder
    uploads = [(acled.name, acled.read_bytes())]
    uploads += [(n, (trio / n).read_bytes()) for n in ("export_events.json", "export_associations.json",
                                                       "export_sources.json")]
    uploads += [(cir.name, cir.read_bytes())]
    folder = tmp_path / "upload"
    paths = data.save_files(uploads, folder)
    assert [p.name for p in paths] == [n for n, _ in uploads] and all(p.parent == folder for p in paths)
    items, notes = ingest.group_files(paths)
    assert [p.name for p in items] == [acled.name, "export_events.json", "events.csv"] and notes == []

    formats = {p.name: ingest.preview(p) for p in items}
    assert formats[acled.name]["format"] == "acled" and formats[acled.name]["mapping"] is None
    assert formats["export_events.json"]["format"] == "timemap"
    assert formats["export_events.json"]["parts"]["events"] == 701
    assert formats["events.csv"]["mapping"].origin == "preset" and formats["events.csv"]["source"] == "cir"

    store = open_store(str(tmp_path / "page.duckdb"))
    try:
        seen = []
        reports = data.load(plans_as_page_makes_them(paths), store, rejects_dir=tmp_path / "rej",
                            progress=lambda i, n, p: seen.append((i, n, p.name)))
    finally:
        store.close()
    assert seen == [(0, 3, acled.name), (1, 3, "export_events.json"), (2, 3, "events.csv")]
    expected = cli([acled, trio / "export_events.json", cir], tmp_path / "cli.duckdb")
    assert [{k: r[k] for k in KEYS} for r in reports] == [{k: r[k] for k in KEYS} for r in expected]
    # and as the page shows them
    views = [data.report_view(r, folder) for r in reports]
    assert views[0]["equation"] == "1,000 read = 999 loaded + 1 rejected" and views[0]["balanced"]
    assert views[1]["read"] == 701 and views[1]["loaded"] == 700
    assert views[2]["equation"] == "6,650 read = 6,409 loaded + 241 rejected"
    assert dict(zip(views[2]["reasons"]["Reason"], views[2]["reasons"]["Rows"], strict=True)) == \
        {"duplicate_id": 6, "no_date": 4, "outside_study_area": 231}
    for r, v in zip(reports, views, strict=True):
        assert len(r["rejects"]) == v["rejected"]
        assert r["rejects"]["_reason"].value_counts().to_dict() == r["reasons"]
        assert v["linked_duplicates"] == r["linked_duplicates"]


def test_a_corrected_mapping_is_used_and_saved_only_when_asked(tmp_path):
    f = write_csv(tmp_path / "strikes.csv", [[1, "2023-03-01", 36.23, 49.99, "Kharkiv", "school hit"],
                                             [2, "2023-03-02", 30.52, 50.45, "Kyiv", "substation"]],
                  header=("id", "date", "A", "B", "place", "description"))
    info = ingest.preview(f)
    m = info["mapping"]
    assert m.origin == "guessed" and "lat" not in m.fields
    assert any("No coordinate columns" in p for p in data.mapping_problems(m, info["kind"]))
    fixed = data.mapping_from_choices({**m.fields, "lat": "B", "lon": "A", "coords": data.NONE}, "auto")
    assert data.mapping_problems(fixed, "table") == []
    assert list(data.mapping_table(fixed)["Field"])[:4] == ["Id", "Date", "Latitude", "Longitude"]
    store = open_store(str(tmp_path / "s.duckdb"))
    try:
        (r,) = data.load([data.Plan(f, fmt="table", mapping=fixed, save=False)], store, rejects_dir=tmp_path / "r")
        assert (r["read"], r["loaded"], r["rejected"]) == (2, 2, 0) and not r["mapping_saved"]
        assert not (tmp_path / "mappings").exists()
        (r,) = data.load([data.Plan(f, fmt="table", mapping=fixed, save=True)], store, rejects_dir=tmp_path / "r")
        assert r["mapping_saved"] and r["loaded"] == 2
    finally:
        store.close()
    again = ingest.preview(f)                     # the next file with these columns reuses it
    assert again["mapping"].origin == "saved" and again["mapping"].fields["lat"] == ["B"]
    assert "saved" in data.ORIGIN_TEXT["saved"]


# ------------------------------------------------------------------------------------------------
# bad files: a clear message naming the file; the other files still load
# ------------------------------------------------------------------------------------------------
def test_bad_files_are_named_and_the_good_ones_still_load(tmp_path):
    folder = tmp_path / "upload"
    good = [[1, "2023-03-01", 49.99, 36.23, "Kharkiv", "school hit"],
            [2, "2023-03-02", 50.45, 30.52, "Kyiv", "substation hit"]]
    buf = io.StringIO()
    csv.writer(buf).writerows([("id", "date", "latitude", "longitude", "place", "description"), *good])
    paths = data.save_files([
        ("empty.csv", b""),
        ("junk.csv", b"\x00\x01\x02\xff\xfe binary \x00\x00" * 20),
        ("good.csv", buf.getvalue().encode()),
        ("nocoords.csv", b"id,date,text\n1,2023-03-01,hello\n"),
        ("cp1251.csv", "id;дата;широта;довгота;опис\n1;13.03.2023;49,59;34,55;Школа\n".encode("cp1251")),
        ("truncated.json", b'{"Events": [{"id": 1, "date": "02/24/2022"'),
        ("export_sources.json", b"{}"),
    ], folder)
    items, notes = ingest.group_files(paths)
    assert "export_sources.json" not in [p.name for p in items]
    assert notes and "export_sources.json is part of a TimeMap export" in notes[0]
    with pytest.raises(ReadError, match="empty.csv: the file is empty"):
        ingest.preview(folder / "empty.csv")

    store = open_store(str(tmp_path / "s.duckdb"))
    try:
        reports = data.load(plans_as_page_makes_them(paths), store, rejects_dir=tmp_path / "r")
        assert store.count(Filters()) == 3
    finally:
        store.close()
    by = {Path(r["path"]).name: data.report_view(r, folder) for r in reports}
    msgs = {n: v["error"] for n, v in by.items() if v["error"]}
    assert set(msgs) == {"empty.csv", "junk.csv", "nocoords.csv", "truncated.json"}
    assert data.problem_text("empty.csv", msgs["empty.csv"]) == "Cannot read empty.csv: the file is empty (0 bytes)"
    assert "binary" in msgs["junk.csv"] and "no coordinate columns" in msgs["nocoords.csv"]
    for name, m in msgs.items():
        assert m.startswith(name) and str(folder) not in m and "Traceback" not in m
    assert (by["good.csv"]["read"], by["good.csv"]["loaded"]) == (2, 2)
    assert (by["cp1251.csv"]["loaded"], by["cp1251.csv"]["rejected"]) == (1, 0)
    assert any("cp1251" in w for w in by["cp1251.csv"]["warnings"])


def test_try_ingest_never_raises(tmp_path, monkeypatch):
    f = write_csv(tmp_path / "a.csv", [[1, "2023-03-01", 49.99, 36.23, "Kharkiv", "x"]])

    def boom(*a, **k):
        raise KeyError("surprise")

    monkeypatch.setattr(ingest, "ingest_file", boom)
    r = ingest.try_ingest_file(f, store=None)
    assert r == {"path": str(f), "error": f"{f}: unexpected KeyError: 'surprise'"}


# ------------------------------------------------------------------------------------------------
# what the page shows
# ------------------------------------------------------------------------------------------------
def test_rejects_download_is_formula_safe(tmp_path):
    f = write_csv(tmp_path / "hostile.csv", [
        [1, "2023-03-01", 49.99, 36.23, "Kharkiv", "fine"],
        [2, "2023-03-02", "", "", "=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0"],
        [3, "2023-03-03", 55.75, 37.62, "@SUM(1+1)", "-2+3 outside"],
    ])
    store = open_store(str(tmp_path / "s.duckdb"))
    try:
        (r,) = data.load(plans_as_page_makes_them([f]), store, rejects_dir=tmp_path / "r")
    finally:
        store.close()
    v = data.report_view(r)
    assert (v["read"], v["loaded"], v["rejected"]) == (3, 1, 2)
    assert set(r["rejects"]["_reason"]) == {"no_coordinates", "outside_study_area"}
    out = pd.read_csv(io.BytesIO(data.rejects_csv(r["rejects"])), dtype=str, keep_default_na=False,
                      encoding="utf-8-sig")
    cells = [c for c in out.to_numpy().ravel() if c]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in cells and "'@SUM(1+1)" in cells
    assert not [c for c in cells if c[0] in "=+-@"], cells
    assert list(out.columns)[-3:] == ["_row", "_reason", "_detail"]


def test_datasets_table_marks_synthetic_and_shows_file_names():
    ds = pd.DataFrame({"dataset": ["demo", "acled"], "file": [None, "/tmp/harmmap-upload-x/acled.csv"],
                       "loaded_at": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 11:30"]),
                       "rows": [25000, 999], "synthetic": [True, False], "sha256": [None, "ab"]})
    t = data.datasets_table(ds)
    assert list(t["Data set"]) == ["acled", "demo"]                       # newest first
    assert list(t["Kind"]) == ["real", "SYNTHETIC (invented demo data)"]
    assert list(t["File"]) == ["acled.csv", ""] and list(t["Loaded (UTC)"]) == ["2026-01-02 11:30",
                                                                               "2026-01-01 10:00"]
    assert data.datasets_table(ds.iloc[0:0]).empty


def test_upload_names_are_kept_but_made_safe(tmp_path):
    paths = data.save_files([("../../evil.csv", b"a"), ("evil.csv", b"b"), ("..", b"c"), ("ok.csv", b"d")],
                            tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["evil.csv", "1/evil.csv", "upload", "ok.csv"]
    assert [p.read_bytes() for p in paths] == [b"a", b"b", b"c", b"d"]
    assert data.tidy(f"{tmp_path}/1/evil.csv: bad", tmp_path) == "1/evil.csv: bad"


def test_limit_text_points_to_the_cli():
    assert "200 MB" in data.limit_text(200) and "python -m harmmap ingest FILE" in data.limit_text(200)
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["maxUploadSize"] == 200


def test_shapefile_parts_go_with_their_shp(tmp_path):
    names = ["roads.shp", "roads.dbf", "roads.shx", "roads.prj", "lonely.dbf", "export_events.json"]
    items, notes = ingest.group_files([tmp_path / n for n in names])
    assert [p.name for p in items] == ["roads.shp", "export_events.json"]
    assert any("lonely.dbf is part of a shapefile" in n for n in notes)
    assert any("without export_associations.json" in n for n in notes)
    shutil.rmtree(tmp_path, ignore_errors=True)
