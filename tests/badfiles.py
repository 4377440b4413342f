"""A corpus of bad input files, built by code at test time (nothing committed).

Each case writes its file(s) into a folder and returns ``(path, expect)``: ``expect`` is either
``{"error": "words the message must contain"}`` (the file cannot be read at all) or what the
reader must report: ``loaded``, ``reasons`` ({reason: count}), ``rows`` ({reason: [row numbers]}),
``warning`` (a substring of one warning) and ``check`` (a function of the ReadResult).
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

HEADER = "id,date,latitude,longitude,oblast,description\n"
GOOD = ["1,2022-03-01,49.99,36.23,Kharkiv,School hit\n",
        "2,2022-03-02,50.45,30.52,Kyiv City,Hospital damaged\n",
        "3,2022-03-03,46.63,32.61,Kherson,Market shelled\n"]


def _csv(folder: Path, name: str, body: str, encoding: str = "utf-8") -> Path:
    p = folder / name
    p.write_bytes(body.encode(encoding))
    return p


def truncated(f):
    body = HEADER + "".join(GOOD) + "4,2022-03-04,48.5,35.0,Dnipro"
    return _csv(f, "truncated.csv", body), {"loaded": 3, "reasons": {"malformed_row": 1}, "rows": {"malformed_row": [5]}}


def semicolon(f):
    body = (HEADER + "".join(GOOD)).replace(",", ";")
    return _csv(f, "semicolon.csv", body), {"loaded": 3, "reasons": {}}


def cp1251(f):
    body = ("id,дата,широта,довгота,область,опис\n1,2022-03-01,49.99,36.23,Харківська область,Обстріл школи\n"
            "2,2022-03-02,50.45,30.52,м. Київ,Лікарня\n")
    return _csv(f, "cp1251.csv", body, "cp1251"), {
        "loaded": 2, "reasons": {}, "warning": "cp1251",
        "check": lambda r: list(r.incidents["admin1_raw"]) == ["Харківська область", "м. Київ"]}


def bom(f):
    p = f / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER + "".join(GOOD)).encode())
    return p, {"loaded": 3, "reasons": {}, "check": lambda r: r.incidents["incident_id"].iloc[0] == "bom:1"}


def header_only(f):
    return _csv(f, "header_only.csv", HEADER), {"loaded": 0, "reasons": {}}


def empty(f):
    return _csv(f, "empty.csv", ""), {"error": "empty"}


def binary_junk(f):
    p = f / "junk.csv"
    p.write_bytes(bytes(range(256)) * 50)
    return p, {"error": "binary"}


def swapped(f):
    body = HEADER + "".join(GOOD) + "4,2022-03-04,36.23,49.99,Kharkiv,swapped\n"
    return _csv(f, "swapped.csv", body), {"loaded": 3, "reasons": {"swapped_coordinates": 1},
                                          "rows": {"swapped_coordinates": [5]}}


def comma_decimals(f):
    body = ("id;date;lat;lon;description\n1;01.03.2022;49,99;36,23;a\n2;14.03.2022;\"50,45\";\"30,52\";b\n")
    return _csv(f, "comma_decimals.csv", body), {
        "loaded": 2, "reasons": {}, "check": lambda r: abs(r.incidents.geometry.y.iloc[0] - 49.99) < 1e-9}


def dms(f):
    body = ("id,date,lat,lon\n1,2022-03-01,\"49°59'24\"\"N\",\"36°13'48\"\"E\"\n2,2022-03-02,50 27 0 N,30 31 12 E\n"
            "3,2022-03-03,N 46.63,E 32.61\n")
    return _csv(f, "dms.csv", body), {
        "loaded": 3, "reasons": {}, "check": lambda r: abs(r.incidents.geometry.y.iloc[0] - 49.99) < 1e-6}


def mixed_dates(f):
    body = ("id,date,lat,lon\n1,2022-03-01,49.99,36.23\n2,13 May 2022,49.99,36.23\n3,24/02/2022 10:30,49.99,36.23\n"
            "4,05/03/2022,49.99,36.23\n5,\"May 14, 2022\",49.99,36.23\n")
    return _csv(f, "mixed_dates.csv", body), {
        "loaded": 5, "reasons": {},
        "check": lambda r: [str(d.date()) for d in r.incidents["date"]] ==
        ["2022-03-01", "2022-05-13", "2022-02-24", "2022-03-05", "2022-05-14"]}


def ambiguous_dates(f):
    body = "id,date,lat,lon\n1,05/06/2022,49.99,36.23\n2,07/07/2022,49.99,36.23\n3,2022-03-01,49.99,36.23\n"
    return _csv(f, "ambiguous.csv", body), {"loaded": 2, "reasons": {"ambiguous_date": 1},
                                            "rows": {"ambiguous_date": [2]}, "detail": "day/month"}


def future_dates(f):
    nxt = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    body = HEADER + "".join(GOOD) + f"4,{nxt},49.99,36.23,Kharkiv,later\n"
    return _csv(f, "future.csv", body), {"loaded": 3, "reasons": {"future_date": 1}, "rows": {"future_date": [5]}}


def duplicate_ids(f):
    body = HEADER + "".join(GOOD) + GOOD[0].replace("School hit", "again")
    return _csv(f, "dups.csv", body), {"loaded": 3, "reasons": {"duplicate_id": 1}, "rows": {"duplicate_id": [5]},
                                       "detail": "row 2"}


def bad_wkt(f):
    body = ("id,date,wkt\n1,2022-03-01,POINT (36.23 49.99)\n2,2022-03-02,\"POLYGON ((30 50, 30.1 50, 30.1 50.1, 30 50))\"\n"
            "3,2022-03-03,POINT (banana)\n4,2022-03-04,\"POLYGON ((30 50, 30.1 50.1, 30.1 50, 30 50.1, 30 50))\"\n")
    return _csv(f, "wkt.csv", body), {"loaded": 2, "reasons": {"invalid_geometry": 2},
                                      "rows": {"invalid_geometry": [4, 5]}}


def self_intersecting_geojson(f):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": 1, "date": "2022-03-01"},
         "geometry": {"type": "Polygon", "coordinates": [[[30, 50], [30.1, 50.1], [30.1, 50], [30, 50.1], [30, 50]]]}},
        {"type": "Feature", "properties": {"id": 2, "date": "2022-03-01"},
         "geometry": {"type": "Polygon", "coordinates": [[[36, 49], [36.1, 49], [36.1, 49.1], [36, 49.1], [36, 49]]]}},
        {"type": "Feature", "properties": {"id": 3, "date": "2022-03-01"}, "geometry": None},
        {"type": "Feature", "properties": {"id": 4, "date": "2022-03-01"},
         "geometry": {"type": "Point", "coordinates": [36.23, 49.99]}},
    ]}
    p = f / "selfx.geojson"
    p.write_text(json.dumps(fc))
    return p, {"loaded": 2, "reasons": {"invalid_geometry": 1, "no_coordinates": 1},
               "rows": {"invalid_geometry": [1], "no_coordinates": [3]},
               "check": lambda r: r.report["non_point_geometries"] == 1 and
               r.incidents["footprint_wkt"].notna().sum() == 1}


def _shapefile(f: Path, name: str, drop: tuple[str, ...]) -> Path:
    import geopandas as gpd
    from shapely.geometry import Point

    d = f / f"{name}_parts"
    d.mkdir()
    gdf = gpd.GeoDataFrame({"id": [1, 2], "date": ["2022-03-01", "2022-03-02"]},
                           geometry=[Point(36.23, 49.99), Point(30.52, 50.45)], crs="EPSG:4326")
    gdf.to_file(d / "pts.shp")
    z = f / f"{name}.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(d.iterdir()):
            if p.suffix.lower() not in drop:
                zf.write(p, p.name)
    return z


def shapefile_no_prj(f):
    return _shapefile(f, "noprj", (".prj",)), {"loaded": 2, "reasons": {}, "warning": "EPSG:4326"}


def shapefile_no_shx(f):
    return _shapefile(f, "noshx", (".shx",)), {"loaded": 2, "reasons": {}, "warning": ".shx"}


def shapefile_no_dbf(f):
    # without the attribute table there are no dates: every feature is kept in the rejects
    return _shapefile(f, "nodbf", (".dbf",)), {"any": True, "warning": ".dbf"}


def zip_without_shapefile(f):
    z = f / "readme.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("README.txt", "nothing here")
    return z, {"error": "no shapefile"}


def xlsx_formulas_merged(f):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Oblast", "Date", "Lat", "Lon", "Killed", "Description"])
    ws.append(["Kharkiv", dt.datetime(2022, 3, 1), 49.99, 36.23, 2, "school"])
    ws.append([None, dt.datetime(2022, 3, 2), 49.98, 36.25, "=E2+1", "clinic"])
    ws.append(["Kyiv", "03/03/2022", 50.45, 30.52, None, "power station"])
    ws.merge_cells("A2:A3")
    p = f / "merged.xlsx"
    wb.save(p)
    return p, {"loaded": 3, "reasons": {}, "warning": "formula",
               "check": lambda r: list(r.incidents["admin1_raw"]) == ["Kharkiv", "Kharkiv", "Kyiv"]
               and list(r.rejects.columns[-3:]) == ["_row", "_reason", "_detail"]}


def nan_strings(f):
    body = HEADER + "".join(GOOD) + "4,2022-03-04,nan,NaN,NULL,N/A\n5,2022-03-04,49.9,36.2,none,-\n"
    return _csv(f, "nan.csv", body), {
        "loaded": 4, "reasons": {"no_coordinates": 1}, "rows": {"no_coordinates": [5]},
        "check": lambda r: r.incidents["description"].isna().sum() == 1 and r.incidents["admin1_raw"].isna().sum() == 1}


def giant_line(f):
    body = HEADER + "".join(GOOD) + "4,2022-03-04,49.9,36.2,Kharkiv," + "x" * 3_000_000 + "\n"
    return _csv(f, "giant.csv", body), {"loaded": 4, "reasons": {}}


def kml(f):
    body = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>Kharkiv school</name><description>hit</description><ExtendedData><Data name="date"><value>2022-03-01</value></Data></ExtendedData>
<Point><coordinates>36.23,49.99,0</coordinates></Point></Placemark>
<Placemark><name>Kyiv clinic</name><ExtendedData><Data name="date"><value>2022-03-02</value></Data></ExtendedData>
<Point><coordinates>30.52,50.45,0</coordinates></Point></Placemark>
</Document></kml>"""
    p = f / "points.kml"
    p.write_text(body, encoding="utf-8")
    return p, {"loaded": 2, "reasons": {}}


def too_many_fields(f):
    body = HEADER + GOOD[0] + "2,2022-03-02,50.45,30.52,Kyiv City,Hospital, damaged, twice\n" + GOOD[2]
    return _csv(f, "ragged.csv", body), {"loaded": 2, "reasons": {"malformed_row": 1}, "rows": {"malformed_row": [3]}}


def out_of_range(f):
    body = HEADER + "".join(GOOD) + "4,2022-03-04,123.4,36.2,Kharkiv,x\n5,2022-03-04,,36.2,Kharkiv,x\n"
    return _csv(f, "range.csv", body), {"loaded": 3, "reasons": {"out_of_range": 1, "no_coordinates": 1},
                                        "rows": {"out_of_range": [5], "no_coordinates": [6]}}


def outside_area(f):
    body = HEADER + "".join(GOOD) + "4,2022-03-04,55.75,37.62,Moscow,x\n"
    return _csv(f, "outside.csv", body), {"loaded": 3, "reasons": {"outside_study_area": 1}}


def unparseable_dates(f):
    body = HEADER + "".join(GOOD) + "4,yesterday,49.9,36.2,Kharkiv,x\n5,31/02/2022,49.9,36.2,Kharkiv,x\n6,,49.9,36.2,K,x\n"
    return _csv(f, "baddates.csv", body), {"loaded": 3, "reasons": {"unparseable_date": 2, "no_date": 1},
                                           "rows": {"unparseable_date": [5, 6], "no_date": [7]}}


def no_coordinate_columns(f):
    return _csv(f, "nocoords.csv", "id,date,text\n1,2022-03-01,x\n"), {"error": "no coordinate columns"}


def blank_and_multiline(f):
    body = HEADER + GOOD[0] + "\n\n" + '2,2022-03-02,50.45,30.52,Kyiv City,"two\nlines"\n' + \
        "3,2022-03-03,46.63,32.61,Kherson,\n" + "4,2030-01-01,46.63,32.61,Kherson,future\n"
    return _csv(f, "multiline.csv", body), {"loaded": 3, "reasons": {"future_date": 1},
                                            "rows": {"future_date": [8]}}


def latin1(f):
    body = HEADER + "".join(GOOD) + "4,2022-03-04,49.9,36.2,Kharkiv,caf\xe9 d\xe9truit\n"
    return _csv(f, "latin1.csv", body, "latin-1"), {
        "loaded": 4, "reasons": {}, "check": lambda r: "café" in r.incidents["description"].iloc[3]}


def projected_geojson(f):
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame({"date": ["2022-03-01"]}, geometry=[Point(36.23, 49.99)], crs="EPSG:4326").to_crs(3857)
    p = f / "mercator.gpkg"
    gdf.to_file(p, driver="GPKG")
    return p, {"loaded": 1, "reasons": {}, "warning": "reprojected",
               "check": lambda r: abs(r.incidents.geometry.x.iloc[0] - 36.23) < 1e-6}


def broken_timemap(f):
    d = f / "tm"
    d.mkdir()
    (d / "export_events.json").write_text('[{"id": "A1", "date": "02/24/2022"')
    return d, {"error": "not valid JSON", "fmt": "timemap"}


def acled_missing_columns(f):
    return _csv(f, "acled_bad.csv", "event_id_cnty,event_date,sub_event_type,latitude\nUKR1,2022-03-01,x,49\n"), \
        {"error": "longitude", "fmt": "acled"}


# --- hardening (issue 9) ------------------------------------------------------------------------

def zip_bomb(f):
    p = f / "bomb.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.shp", b"\0" * (150 * 1024 * 1024))
        z.writestr("a.shx", b"\0" * 100)
        z.writestr("a.dbf", b"\0" * 100)
    return p, {"error": "zip bomb"}


def xlsx_bomb(f):
    p = f / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (150 * 1024 * 1024))
    return p, {"error": "zip bomb"}


def mixed_encodings(f):
    body = (HEADER + GOOD[0] + "2,2022-03-02,50.45,30.52,Kyiv City,Лікарню пошкоджено\n").encode("utf-8") + \
        "3,2022-03-03,49.9,36.2,Харків,обстріл школи\n".encode("cp1251")
    p = f / "mixed.csv"
    p.write_bytes(body)
    return p, {"loaded": 3, "reasons": {}, "warning": "mixed text encodings",
               "check": lambda r: r.incidents["description"].tolist()[1:] == ["Лікарню пошкоджено", "обстріл школи"]}


def many_columns(f):
    extra = ",".join(f"c{i}" for i in range(20_000))
    return _csv(f, "wide.csv", HEADER.strip() + "," + extra + "\n" + GOOD[0]), {"error": "columns (more than 5,000)"}


def utf16(f):
    return _csv(f, "utf16.csv", HEADER + "".join(GOOD), "utf-16"), {"loaded": 3, "reasons": {}, "warning": "utf-16"}


def csv_named_xlsx(f):
    return _csv(f, "export.xlsx", HEADER + "".join(GOOD)), {"loaded": 3, "reasons": {}, "warning": "text table"}


def truncated_geojson(f):
    p = f / "cut.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [ {"type": ', encoding="utf-8")
    return p, {"error": "cannot read"}


def duplicate_header(f):
    body = "id,date,latitude,longitude,latitude,description\n1,2022-03-01,49.99,36.23,50.1,x\n"
    return _csv(f, "duphead.csv", body), {"loaded": 1, "reasons": {},
                                          "check": lambda r: abs(r.incidents.geometry.y.iloc[0] - 49.99) < 1e-9}


def hemisphere_coords(f):
    body = HEADER + '1,2022-03-01,"49.99 N","36.23 E",Kharkiv,x\n' + \
        '2,2022-03-01,"49°59\'24""N","36°13\'48""E",Kharkiv,y\n'
    return _csv(f, "hemi.csv", body), {"loaded": 2, "reasons": {},
                                       "check": lambda r: abs(r.incidents.geometry.x.iloc[1] - 36.23) < 1e-3}


def empty_geopackage(f):
    import geopandas as gpd

    p = f / "empty.gpkg"
    gpd.GeoDataFrame({"date": []}, geometry=[], crs=4326).to_file(p, driver="GPKG")
    return p, {"loaded": 0, "reasons": {}}


def nul_bytes(f):
    p = f / "zeros.csv"
    p.write_bytes(b"\0" * 5000)
    return p, {"error": "not a text table"}


CASES = [truncated, semicolon, cp1251, bom, header_only, empty, binary_junk, swapped, comma_decimals, dms,
         mixed_dates, ambiguous_dates, future_dates, duplicate_ids, bad_wkt, self_intersecting_geojson,
         shapefile_no_prj, shapefile_no_shx, shapefile_no_dbf, zip_without_shapefile, xlsx_formulas_merged,
         nan_strings, giant_line, kml, too_many_fields, out_of_range, outside_area, unparseable_dates,
         no_coordinate_columns, blank_and_multiline, latin1, projected_geojson, broken_timemap,
         acled_missing_columns, zip_bomb, xlsx_bomb, mixed_encodings, many_columns, utf16, csv_named_xlsx,
         truncated_geojson, duplicate_header, hemisphere_coords, empty_geopackage, nul_bytes]


def build(folder: Path) -> list[tuple[str, Path, dict]]:
    """Write every case into ``folder``; return (name, path, expect) triples."""
    out = []
    for case in CASES:
        sub = Path(folder) / case.__name__
        sub.mkdir(parents=True, exist_ok=True)
        path, expect = case(sub)
        out.append((case.__name__, path, expect))
    return out
