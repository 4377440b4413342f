"""Table/GIS reader: real files (CIR, infrastructure, boundaries), mappings, formats, and the
invariant read == loaded + rejected (property-tested)."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from harmmap import gazetteer
from harmmap.io import detect_format, table
from harmmap.io.common import parse_dates

CIR = "cir_monitor/events.csv"


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("HARMMAP_MAPPINGS_DIR", str(tmp_path / "mappings"))


def test_cir_preset(datasets):
    r = table.read(datasets / CIR)
    assert detect_format(datasets / CIR) == "table"
    rep = r.report
    assert rep["mapping_origin"] == "preset" and rep["source"] == "cir"
    # without boundaries the study area is the bounding box: Belgorod/Kursk rows inside it stay
    assert (rep["read"], rep["loaded"], rep["rejected"]) == (6650, 6409, 241)
    assert rep["reasons"] == {"duplicate_id": 6, "no_date": 4, "outside_study_area": 231}
    inc = r.incidents.set_index("incident_id")
    row = inc.loc["cir:UW0172"]
    assert row["admin1_raw"] == "Kursk" and row["location"] == "Pristen" and row["weapon"] == "T-80BV and T-72B3"
    assert row["source_labels"] == ["Russian Military Presence February 2022"]
    assert row["description"] == "10/02/2022 Multiple tanks"
    assert all(u.startswith("http") for u in row["source_urls"])
    assert sum(any(lab.startswith("Civilian Infrastructure Damage") for lab in x) for x in inc["source_labels"]) > 2900


def test_cir_with_boundaries(datasets, tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "b"))
    gazetteer.load_boundaries(datasets / "boundaries/geoBoundaries-UKR-ADM1_simplified.geojson", 1)
    r = table.read(datasets / CIR)
    # with the country polygon, rows in Russia, Belarus and Moldova are rejected (kept in the rejects)
    assert (r.report["loaded"], r.report["rejected"]) == (5941, 709)
    assert r.report["reasons"] == {"duplicate_id": 4, "no_date": 4, "outside_study_area": 701}
    out = r.rejects[r.rejects["_reason"] == "outside_study_area"]
    assert out["country"].value_counts()[["Russia", "Belarus", "Moldova"]].tolist() == [513, 165, 10]


@pytest.mark.parametrize("rel,n,nonpoint", [
    ("infrastructure/global_power_plant_database_ukraine.csv", 64, 0),
    ("infrastructure/hotosm_ukr_health_facilities_points_geometry_only.geojson", 15936, 0),
    ("boundaries/geoBoundaries-UKR-ADM1_simplified.geojson", 27, 27),
    ("boundaries/geoBoundaries-UKR-ADM2_simplified.geojson", 495, 495)])
def test_gis_and_reference_files_have_no_dates(datasets, rel, n, nonpoint):
    r = table.read(datasets / rel)
    # no date column: every feature is kept in the rejects as no_date (none lost)
    assert (r.report["read"], r.report["loaded"], r.report["reasons"]) == (n, 0, {"no_date": n})
    assert r.report["non_point_geometries"] == nonpoint


def test_guess_mapping_languages():
    m = table.guess_mapping(["ID", "Дата", "Широта", "Довгота", "Опис", "Область", "Район", "Загиблі", "Поранені",
                             "Посилання"])
    assert m.fields == {"id": ["ID"], "date": ["Дата"], "lat": ["Широта"], "lon": ["Довгота"],
                        "description": ["Опис"], "admin1": ["Область"], "admin2": ["Район"],
                        "fatalities": ["Загиблі"], "injuries": ["Поранені"], "url": ["Посилання"]}
    m = table.guess_mapping(["event_date", "lat", "lng", "notes", "town", "killed", "injured", "link", "category"])
    assert m.fields["lon"] == ["lng"] and m.fields["location"] == ["town"] and m.fields["labels"] == ["category"]


def test_mapping_given_is_saved_and_reused(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("Коли,Пн,Сх,Що\n24/02/2022,49.99,36.23,школа\n")
    with pytest.raises(Exception, match="no coordinate columns"):
        table.read(p)
    m = {"fields": {"date": ["Коли"], "lat": ["Пн"], "lon": ["Сх"], "description": ["Що"]}}
    r = table.read(p, mapping=m)
    assert r.report["loaded"] == 1 and r.incidents["description"].iloc[0] == "школа"
    saved = list((tmp_path / "mappings").glob("*.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text())["fields"]["date"] == ["Коли"]
    q = tmp_path / "b.csv"
    q.write_text("Коли,Пн,Сх,Що\n25/02/2022,50.45,30.52,лікарня\n")
    r2 = table.read(q)
    assert r2.report["mapping_origin"] == "saved" and r2.report["loaded"] == 1
    assert "Що" in table.Mapping.from_dict(m).show()


def test_date_order_per_column():
    day_first = parse_dates(pd.Series(["01/02/2022", "13/02/2022"]))
    assert [str(d.date()) for d in day_first["date"]] == ["2022-02-01", "2022-02-13"]
    month_first = parse_dates(pd.Series(["01/02/2022", "02/13/2022"]))
    assert [str(d.date()) for d in month_first["date"]] == ["2022-01-02", "2022-02-13"]
    amb = parse_dates(pd.Series(["01/02/2022", "03/03/2022"]))
    assert amb["reason"].tolist() == ["ambiguous_date", None]
    assert "date_order" in amb["detail"].iloc[0]
    forced = parse_dates(pd.Series(["01/02/2022"]), order="mdy")
    assert str(forced["date"].iloc[0].date()) == "2022-01-02"


def test_gis_formats_round_trip(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "date": ["2022-03-01", "2022-03-02", "2022-03-03"], "oblast": ["Kharkiv"] * 3},
        geometry=[Point(36.23, 49.99), Polygon([(30.5, 50.4), (30.6, 50.4), (30.6, 50.5)]), Point(37.6, 55.7)],
        crs="EPSG:4326")
    for name, write in [("x.geojson", lambda p: gdf.to_file(p, driver="GeoJSON")),
                        ("x.gpkg", lambda p: gdf.to_file(p, driver="GPKG")),
                        ("x.parquet", lambda p: gdf.to_parquet(p))]:
        p = tmp_path / name
        write(p)
        r = table.read(p)
        assert (r.report["loaded"], r.report["reasons"]) == (2, {"outside_study_area": 1}), name
        assert r.report["non_point_geometries"] == 1
        assert r.incidents["footprint_wkt"].notna().sum() == 1
        assert list(r.incidents["incident_id"]) == ["x:a", "x:b"]


rows = st.lists(st.tuples(
    st.sampled_from(["2022-03-01", "24/02/2022", "13 May 2022", "", "nan", "31/02/2022", "2099-01-01", "x", "05/06/2022"]),
    st.sampled_from(["49.99", "36.23", "", "abc", "123", "49,5", "55.7", "48°30'N"]),
    st.sampled_from(["36.23", "49.99", "", "30,5", "37.6", "-200"]),
    st.sampled_from(["1", "2", "3", ""]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=20)),
    max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_property_read_equals_loaded_plus_rejected(tmp_path, data):
    df = pd.DataFrame(data, columns=["date", "lat", "lon", "id", "description"])
    p = tmp_path / "prop.csv"
    df.to_csv(p, index=False)
    r = table.read(p, save=False)
    rep = r.report
    assert rep["read"] == len(df.dropna(how="all")) or rep["read"] <= len(df)
    assert rep["read"] == rep["loaded"] + rep["rejected"]
    assert len(r.incidents) == rep["loaded"] and len(r.rejects) == rep["rejected"]
    assert sum(rep["reasons"].values()) == rep["rejected"]
    assert r.incidents["incident_id"].is_unique


def test_analysts_tables_keep_their_sources_and_read_spreadsheet_dates(tmp_path):
    """A source column: names become publisher labels, links URLs (English, Ukrainian, Russian
    headers; 'ё' in a header); Excel serial day numbers and epoch milliseconds are dates; a
    repeated header is read, not dropped."""
    p = tmp_path / "log.csv"
    pd.DataFrame({"Дата": ["44997", "1678665600000"], "Населённый пункт": ["Харьков", "Сумы"],
                  "Широта": ["49.99", "50.91"], "Долгота": ["36.23", "34.80"],
                  "Описание": ["Обстрел жилого дома", "Удар по подстанции"], "Источник": [
                      "Suspilne; https://t.me/a/1", "UNIAN"]}).to_csv(p, index=False)
    r = table.read(p, save=False)
    assert r.report["loaded"] == 2, r.rejects
    inc = r.incidents
    assert [str(d.date()) for d in inc["date"]] == ["2023-03-12", "2023-03-13"]
    assert inc["location"].tolist() == ["Харьков", "Сумы"]
    assert inc["source_labels"].tolist() == [["publisher/Suspilne"], ["publisher/UNIAN"]]
    assert inc["source_urls"].tolist() == [["https://t.me/a/1"], []]
    q = tmp_path / "dup.csv"
    q.write_text("date,lat,lon,notes,notes\n2023-03-12,49.99,36.23,first part,second part\n", encoding="utf-8")
    d = table.read(q, save=False).incidents["description"].iloc[0]
    assert "first part" in d and "second part" in d


def test_xlsx_title_row_above_the_header(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Civilian harm log, updated weekly"])
    ws.merge_cells("A1:E1")
    ws.append(["date", "latitude", "longitude", "description", "source"])
    ws.append(["2023-03-12", 49.99, 36.23, "Shelling hit a school", "Suspilne"])
    p = tmp_path / "titled.xlsx"
    wb.save(p)
    r = table.read(p, save=False)
    assert r.report["loaded"] == 1 and r.incidents["description"].iloc[0] == "Shelling hit a school"


def test_shapefile_truncated_field_names_are_known():
    m = table.guess_mapping(["event_date", "descriptio", "fatalitie", "source_lin"])
    assert m.fields["description"] == ["descriptio"] and m.fields["fatalities"] == ["fatalitie"]
    assert m.fields["url"] == ["source_lin"]


def test_rows_with_only_a_town_name_are_placed_at_the_town(tmp_path):
    """No coordinate columns, a place column: known towns (any of their three names) are placed at
    town precision with their oblast; a region or an unknown place is rejected, the row kept."""
    p = tmp_path / "places.csv"
    pd.DataFrame({"date": ["2023-03-12", "2023-03-13", "2023-03-14", "2023-03-15"],
                  "place": ["Kharkiv", "м. Харків", "Odesa oblast", "Nowhereville"],
                  "description": ["Shelling of a school"] * 4}).to_csv(p, index=False)
    r = table.read(p, save=False)
    assert (r.report["loaded"], r.report["reasons"]) == (2, {"unknown_place": 2})
    inc = r.incidents
    assert set(inc["geo_precision"]) == {"town"} and inc["admin1_raw"].tolist() == ["Kharkiv", "Kharkiv"]
    assert inc.geometry.y.round(2).tolist() == [49.99, 49.99]
    assert "names a region" in r.rejects["_detail"].iloc[0] and "Nowhereville" in r.rejects["_detail"].iloc[1]
    assert any("placed at their town" in w for w in r.report["warnings"])


def test_coordinates_in_one_column_or_a_map_link_whatever_the_header(tmp_path):
    p = tmp_path / "links.csv"
    pd.DataFrame({"date": ["2022-03-02", "2022-03-04", "2022-03-05"], "place": ["Kharkiv", "Volnovakha", "Kyiv"],
                  "description": ["School damaged"] * 3,
                  "Map": ["https://maps.google.com/?q=50.020915,36.328089",
                          "https://www.google.com/maps/@47.6019,37.5151,15z",
                          "https://www.google.com/maps/place/50.4501,30.5234"]}).to_csv(p, index=False)
    r = table.read(p, save=False)
    assert r.report["loaded"] == 3 and set(r.incidents["geo_precision"]) == {"exact"}
    assert r.incidents.geometry.y.round(4).tolist() == [50.0209, 47.6019, 50.4501]
    q = tmp_path / "pair.csv"
    q.write_text('date,place,"Lat, Lon"\n2022-03-02,Kharkiv,"50.020915, 36.328089"\n', encoding="utf-8")
    assert table.read(q, save=False).incidents.geometry.x.round(3).tolist() == [36.328]


def test_dates_in_words_and_coarser_dates(tmp_path):
    r = parse_dates(pd.Series(["7 березня 2022", "7 марта 2022 г.", "07-Mar-22", "March 2022", "березень 2022",
                               "2022-W10", "Q1 2022"]))
    assert [str(d.date()) if pd.notna(d) else None for d in r["date"]] == [
        "2022-03-07", "2022-03-07", "2022-03-07", "2022-03-01", "2022-03-01", "2022-03-07", None]
    assert r["precision"].tolist()[:6] == ["day", "day", "day", "month", "month", "week"]
    p = tmp_path / "months.csv"
    pd.DataFrame({"date": ["March 2022", "Q1 2022"], "lat": [49.99, 49.99], "lon": [36.23, 36.23],
                  "description": ["x", "y"]}).to_csv(p, index=False)
    t = table.read(p, save=False)
    assert t.incidents["date_precision"].tolist() == ["month"]
    q = tmp_path / "none.csv"
    pd.DataFrame({"date": ["Q1 2022"], "lat": [49.99], "lon": [36.23]}).to_csv(q, index=False)
    assert any(w.startswith("none of the 1 rows loaded") for w in table.read(q, save=False).report["warnings"])


def test_nested_geojson_and_features_without_geometry(tmp_path):
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.23, 49.99]},
              "properties": {"date": "2022-07-11", "description": "Shelling hit a shopping centre",
                             "place": {"name": "Kharkiv", "oblast": "Kharkiv Oblast"},
                             "tags": ["damage", "verified"], "casualties": {"killed": 1}}},
             {"type": "Feature", "geometry": None,
              "properties": {"date": "2022-07-12", "description": "School hit", "lat": 50.45, "lon": 30.52,
                             "place": {"name": "Kyiv", "oblast": "Kyiv City"}, "tags": [], "casualties": {}}}]
    p = tmp_path / "nested.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "name": "x", "features": feats}), encoding="utf-8")
    r = table.read(p, save=False)
    assert r.report["loaded"] == 2, r.rejects
    inc = r.incidents.sort_values("date")
    assert inc["location"].tolist() == ["Kharkiv", "Kyiv"] and inc["admin1_raw"].tolist() == ["Kharkiv Oblast",
                                                                                               "Kyiv City"]
    assert inc["source_labels"].iloc[0] == ["damage", "verified"] and inc["fatalities"].iloc[0] == 1


def test_the_sheet_with_incidents_is_read_and_ods_is_named(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    wb.active.append(["Prepared by", "Analyst team"])
    ws = wb.create_sheet("Incidents")
    ws.append(["date", "latitude", "longitude", "description"])
    ws.append(["2023-03-12", 49.99, 36.23, "Shelling hit a school"])
    p = tmp_path / "cover.xlsx"
    wb.save(p)
    r = table.read(p, save=False)
    assert r.report["loaded"] == 1 and any("'Incidents'" in w for w in r.report["warnings"])
    o = tmp_path / "log.ods"
    o.write_bytes(b"PK\x03\x04not really")
    with pytest.raises(Exception, match="ods spreadsheets are not supported"):
        table.read(o, save=False)


def test_json_records_and_newline_delimited_json(tmp_path):
    recs = [{"date": "2022-03-01", "lat": 49.99, "lon": 36.23, "description": "School hit", "source": "Suspilne"},
            {"date": "2022-03-02", "lat": 50.45, "lon": 30.52, "description": "Clinic hit"}]
    a = tmp_path / "list.json"
    a.write_text(json.dumps(recs), encoding="utf-8")
    b = tmp_path / "wrapped.json"
    b.write_text(json.dumps({"count": 2, "results": recs}), encoding="utf-8")
    c = tmp_path / "lines.ndjson"
    c.write_text("\n".join(json.dumps(r) for r in recs) + "\n{broken\n", encoding="utf-8")
    for p in (a, b):
        r = table.read(p, save=False)
        assert r.report["loaded"] == 2 and r.incidents["source_labels"].iloc[0] == ["publisher/Suspilne"]
    r = table.read(c, save=False)
    assert (r.report["loaded"], r.report["reasons"]) == (2, {"malformed_row": 1})
    assert r.rejects["_row"].tolist() == [3]


def test_times_with_an_offset_are_kyiv_local():
    r = parse_dates(pd.Series(["2023-03-12T22:30:00.000Z", "2023-07-12T10:00:00-05:00", "2023-03-12 14:05"]))
    assert [str(d.date()) for d in r["date"]] == ["2023-03-13", "2023-07-12", "2023-03-12"]
    assert r["time"].tolist() == ["00:30", "18:00", "14:05"]


def test_excel_links_are_kept(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "lat", "lon", "description", "source"])
    ws.append(["2023-03-12", 49.99, 36.23, "School hit", "Telegram post"])
    ws["E2"].hyperlink = "https://t.me/a/1"
    ws.append(["2023-03-13", 49.99, 36.23, "Clinic hit", '=HYPERLINK("https://t.me/a/2", "post")'])
    p = tmp_path / "links.xlsx"
    wb.save(p)
    urls = table.read(p, save=False).incidents.sort_values("date")["source_urls"].tolist()
    assert urls == [["https://t.me/a/1"], ["https://t.me/a/2"]]
