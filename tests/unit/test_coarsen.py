"""Coarser coordinates for sensitive records (harmmap.sensitive: Policy, snap_*, CoarseStore) and the exports
that honour it (harmmap.export, harmmap.briefing, ``python -m harmmap export --coarsen-km``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from harmmap import export, schema, sensitive
from harmmap.query import Filters
from harmmap.sensitive import CoarseStore, Policy
from tests.conftest import ROOT

KM = 5
ALL = Filters(include_duplicates=True)


def frame(rows):
    base = {"source": "acled", "date": "2022-03-02", "lon": 36.23456, "lat": 49.98765, "admin1": "Kharkiv",
            "categories": ["residential"]}
    return schema.conform(pd.DataFrame([{**base, **r} for r in rows]))


@pytest.fixture
def loaded(store):
    store.write_incidents(frame([
        dict(incident_id="a1", categories=["health"]),
        dict(incident_id="a2", lon=36.23999, lat=49.98001),                       # same 5 km cell as a1
        dict(incident_id="b1", source="cir", lon=30.52341, lat=50.45012, categories=["energy"]),
        dict(incident_id="b2", source="cir", lon=35.04567, lat=48.46543, footprint_wkt="POINT (35 48)"),
    ]), "mixed")
    return store


# --- the policy ----------------------------------------------------------------------------------

def test_policy_from_environment_and_secrets():
    p = sensitive.policy_from({"HARMMAP_COARSEN_KM": "2.5", "HARMMAP_COARSEN_ROLES": "viewer,editor",
                               "HARMMAP_SENSITIVE_CATEGORIES": "health, education"},
                              {"coarsen_km": 9, "sensitive_sources": ["cir"]})
    assert p == Policy(2.5, ("cir",), ("health", "education"), ("viewer", "editor"), True)
    assert p.applies("editor") and not p.applies("admin") and p.applies("admin", presenting=True)
    assert not sensitive.policy_from({}, {"coarsen_km": 5, "coarsen_presenting": "false"}).applies("admin", True)
    assert not sensitive.policy_from({}, {}).applies("viewer")
    assert Policy.from_key(p.key()) == p
    for bad in ({"coarsen_km": "five"}, {"coarsen_km": -1}, {"coarsen_km": 5, "coarsen_roles": "boss"}):
        with pytest.raises(ValueError):
            sensitive.policy_from({}, bad)


def test_sensitive_records_by_rule():
    p = Policy(KM, sources=("cir",), categories=("health",))
    assert p.sensitive(["acled", "cir", "acled", "acled"], [["health"], [], ["energy"], []]).tolist() == \
        [True, True, False, False]
    assert Policy(KM).sensitive(["x"], [[]]).tolist() == [True]


def test_hexagons_are_never_finer_than_the_grid():
    for km in (0.3, 0.5, 1, 2, 5, 10, 30, 100):
        r = sensitive.max_hex_resolution(km)
        assert h3.average_hexagon_edge_length(r, "km") >= km
        assert r == 15 or h3.average_hexagon_edge_length(r + 1, "km") < km
    assert sensitive.max_hex_resolution(0) == 15


# --- spatial filters follow the grid ----------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.floats(22, 40), st.floats(44.5, 52), st.floats(0.001, 2), st.floats(0.001, 2),
       st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_a_snapped_box_holds_whole_cells(x0, y0, w, h, a, b, c, d):
    """Two points in one grid cell are both in a snapped box or both outside it: no count can tell where in
    its cell a record lies."""
    bx = sensitive.snap_bbox((x0, y0, x0 + w, y0 + h), KM)
    assert bx[0] <= x0 and bx[1] <= y0 and bx[2] >= x0 + w and bx[3] >= y0 + h
    dlat, dlon = sensitive._step_deg(KM)
    # two points in the same cell (the cell of a point near the box)
    cx, cy = np.floor((x0 + a * w) / dlon) * dlon, np.floor((y0 + b * h) / dlat) * dlat
    p, q = (cx + c * dlon * 0.999, cy + d * dlat * 0.999), (cx + 0.0005 * dlon, cy + 0.9995 * dlat)
    inside = [bx[0] <= x <= bx[2] and bx[1] <= y <= bx[3] for x, y in (p, q)]
    assert inside[0] == inside[1]


def test_a_drawn_area_becomes_the_cells_it_touches():
    tri = "POLYGON((30 50, 30.3 50, 30.15 50.2, 30 50))"
    snapped = shapely.from_wkt(sensitive.snap_polygon(tri, KM))
    assert snapped.covers(shapely.from_wkt(tri))
    assert snapped.area < shapely.box(*shapely.from_wkt(tri).bounds).area * 3
    big = sensitive.snap_polygon("POLYGON((22 44, 40 44, 40 52, 22 52, 22 44))", 1)
    assert shapely.from_wkt(big).geom_type == "Polygon"        # too many cells: the snapped box
    f = sensitive.snap_filters(Filters(h3_cells=(h3.latlng_to_cell(50.45, 30.52, 8),), polygon_wkt=tri), KM)
    assert h3.get_resolution(f.h3_cells[0]) == sensitive.max_hex_resolution(KM)
    assert f.polygon_wkt != tri
    assert sensitive.snap_filters(Filters(polygon_wkt="not wkt"), KM).polygon_wkt == "not wkt"


# --- the coarse store (both engines) ---------------------------------------------------------------

def test_reads_give_sensitive_records_coarsened(loaded):
    c = CoarseStore(loaded, Policy(KM, sources=("cir",), categories=("health",)))
    df = c.incidents(ALL, order="incident_id").set_index("incident_id")
    exact = loaded.incidents(ALL, order="incident_id").set_index("incident_id")
    assert df.loc["a2", "lon"] == exact.loc["a2", "lon"] and df.loc["a2", "geo_precision"] == "exact"
    for i in ("a1", "b1", "b2"):
        assert df.loc[i, "geo_precision"] == f"coarsened to ~{KM} km"
        assert (df.loc[i, "lon"], df.loc[i, "lat"]) != (exact.loc[i, "lon"], exact.loc[i, "lat"])
        for r in (6, 7, 8):
            assert h3.get_resolution(h3.int_to_str(int(df.loc[i, f"h3_r{r}"]))) == 5
        assert df.loc[i, "h3_r5"] == exact.loc[i, "h3_r5"]
    assert pd.isna(df.loc["b2", "footprint_wkt"])
    # asked without source and categories (the rule's columns): the same answer, the same columns
    few = c.incidents(ALL, columns=["incident_id", "lon"], order="incident_id")
    assert list(few.columns) == ["incident_id", "lon"] and few["lon"].tolist() == df["lon"].tolist()
    one = c.incident("b1")
    assert one["geo_precision"] == f"coarsened to ~{KM} km" and (one["lon"], one["lat"]) == \
        (df.loc["b1", "lon"], df.loc["b1", "lat"])
    assert h3.get_resolution(h3.int_to_str(one["h3_r8"])) == 5
    assert c.incident("a2")["lon"] == 36.23999 and c.incident("nope") is None


def test_every_answer_is_the_grid_s(loaded):
    c = CoarseStore(loaded, Policy(KM))
    # a box around a1 only, but a2 is in the same cell: counted too
    tight = Filters(bbox=(36.2340, 49.9870, 36.2350, 49.9880))
    assert loaded.count(tight) == 1 and c.count(tight) == 2
    bbox = c.summary(Filters(incident_ids=("b1",)))["bbox"]
    assert bbox[0] < 30.52341 < bbox[2] and bbox[2] - bbox[0] > 0.05
    for res in (5, 6, 7, 8):
        cells = c.hex_counts(ALL, res)
        assert {h3.get_resolution(h3.int_to_str(int(x))) for x in cells["h3"]} == {5}
        assert cells["incidents"].sum() == 4
    wide = CoarseStore(loaded, Policy(60)).hex_counts(ALL, 8)
    assert {h3.get_resolution(h3.int_to_str(int(x))) for x in wide["h3"]} == {sensitive.max_hex_resolution(60)}
    assert wide["incidents"].sum() == 4
    # exact positions do not order records either
    assert c.incidents(ALL, columns=["incident_id"], order="lon")["incident_id"].tolist() == \
        c.incidents(ALL, columns=["incident_id"], order="date")["incident_id"].tolist()
    assert c.timeseries(tight, by=None)["incidents"].sum() == 2 and c.counts_by(tight, "source")["incidents"].sum() == 2
    assert c.datasets().equals(loaded.datasets())                         # the rest is the store's
    with pytest.raises(AttributeError, match="coarsen them"):
        c._fetch("SELECT lon, lat FROM incidents", [])                    # closed by default


def test_the_patterns_reads_are_coarsened_too(loaded):
    """The Patterns page's compact reads (counts per cell, capped located rows) say no more than incidents()."""
    def res(cells):
        return {h3.get_resolution(h3.int_to_str(int(x))) for x in cells}

    part = CoarseStore(loaded, Policy(KM, sources=("cir",), categories=("health",)))
    for c in (part, CoarseStore(loaded, Policy(KM))):
        counts = c.analysis_counts(ALL, ["h3_r7", "admin1"])
        assert counts["incidents"].sum() == 4 and list(counts.columns) == ["h3_r7", "admin1", "incidents"]
        rows = c.incidents(ALL, columns=["h3_r7"])
        assert sorted(counts["h3_r7"].repeat(counts["incidents"]).astype("int64")) == \
            sorted(rows["h3_r7"].astype("int64"))                    # the same cells incidents() gives
        assert c.analysis_counts(ALL, ["admin1"])["incidents"].sum() == 4
        with pytest.raises(ValueError, match="exact coordinates"):
            c.analysis_counts(ALL, ["lon", "lat"])
        located = c.analysis_rows(ALL, ["incident_id", "lon", "lat", "h3_r8"], exact_only=True)
        # only a2 is not sensitive under the partial rule; under "every record" none is precisely located
        assert sorted(located["incident_id"]) == (["a2"] if c is part else [])
        assert list(located.columns) == ["incident_id", "lon", "lat", "h3_r8"]
        every = c.analysis_rows(ALL, ["incident_id", "lon", "h3_r8"]).set_index("incident_id")
        assert res(every.loc[["a1", "b1", "b2"], "h3_r8"]) == {5}
        assert every.loc["b1", "lon"] != 30.52341
    assert res(part.analysis_counts(ALL, ["h3_r8"], only=("energy",))["h3_r8"]) == {5, 8}    # a2 stays exact
    masked = part.analysis_counts(ALL, ["eff_mask", "h3_r6"], only=("energy",))
    assert masked["incidents"].sum() == 4 and set(masked["eff_mask"]) == \
        set(loaded.analysis_counts(ALL, ["eff_mask"], only=("energy",))["eff_mask"])


# --- exports -----------------------------------------------------------------------------------------

def test_exports_honour_coarsen_km(loaded, tmp_path):
    gdf = export.export_frame(loaded, ALL, coarsen_km=KM)
    assert (gdf["geo_precision"] == f"coarsened to ~{KM} km").all()
    assert 36.23456 not in set(gdf.geometry.x.round(5))
    assert (export.export_frame(loaded, ALL)["geo_precision"] == "exact").all()
    man = export.evidence_package(loaded, ALL, tmp_path / "e.zip", coarsen_km=KM)
    z = zipfile.ZipFile(tmp_path / "e.zip")
    assert man["coordinates"] == f"coarsened to ~{KM} km" and export.verify(tmp_path / "e.zip").ok
    assert "Coordinates coarsened to ~5 km" in z.read("README.md").decode()
    assert "36.23456" not in z.read("incidents.csv").decode("utf-8-sig")
    assert "36.23456" not in z.read("incidents.geojson").decode()
    assert export.evidence_package(loaded, ALL, tmp_path / "x.zip")["coordinates"] == "exact"


def test_briefing_pack_honours_coarsen_km(tmp_path):
    from harmmap.briefing import briefing_pack
    from harmmap.demo import ensure_demo_store

    s = ensure_demo_store(":memory:", n=300)
    man = briefing_pack(s, Filters(), tmp_path / "b.zip", boundaries=None, coarsen_km=KM)
    z = zipfile.ZipFile(tmp_path / "b.zip")
    assert man["coordinates"] == f"coarsened to ~{KM} km"
    assert "Coordinates coarsened to ~5 km" in z.read("methodology.md").decode()
    df = pd.read_csv(io.BytesIO(z.read("incidents.csv")), encoding="utf-8-sig")
    exact = s.incidents(Filters(), columns=["incident_id", "lon"]).set_index("incident_id")["lon"]
    assert (df.set_index("incident_id")["lon"].round(5) != exact.reindex(df["incident_id"]).round(5).values).mean() > 0.9


def test_export_command_coarsens_every_format(tmp_path):
    db = tmp_path / "s.duckdb"
    run = lambda *a: subprocess.run([sys.executable, "-m", "harmmap", *a], cwd=ROOT, capture_output=True,  # noqa: E731
                                    text=True, check=True)
    run("demo", "--n", "200", "--db", str(db))
    out = json.loads(run("export", "--db", str(db), "--format", "evidence", "-o", str(tmp_path / "e.zip"),
                         "--coarsen-km", "5", "--json").stdout)
    assert out["rows"] == 200
    man = json.loads(zipfile.ZipFile(tmp_path / "e.zip").read("manifest.json"))
    assert man["coordinates"] == "coarsened to ~5 km"
    run("export", "--db", str(db), "-o", str(tmp_path / "c.geojson"), "--coarsen-km", "5")
    props = [f["properties"] for f in json.loads((tmp_path / "c.geojson").read_text())["features"]]
    assert {p["geo_precision"] for p in props} == {"coarsened to ~5 km"}
    assert {h3.get_resolution(p["h3_r8"]) for p in props} == {5}


def test_every_setting_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key, env in sensitive.SETTINGS.items():
        assert f"`{key}`" in readme and f"`{env}`" in readme, key
    assert "datasets delete NAME" in readme
