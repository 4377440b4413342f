"""ACLED reader: the real sample (counts verified by looking at the data) and both schemas."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from harmmap.io import acled, detect_format

ACLED = "acled_sample/acled_ukraine_sample1000_2018-2024.csv"


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "none"))


def test_real_sample_counts(datasets):
    r = acled.read(datasets / ACLED)
    assert detect_format(datasets / ACLED) == "acled"
    assert (r.report["read"], r.report["loaded"], r.report["rejected"]) == (1000, 999, 1)
    # the one reject is a naval event in the open Black Sea (43.517 N), file line 386
    assert r.report["reasons"] == {"outside_study_area": 1}
    assert r.rejects["_row"].tolist() == [386] and r.rejects["event_id_cnty"].iloc[0] == "UKR131184"
    inc = r.incidents
    assert inc["incident_id"].str.startswith("acled:UKR").all() and inc["incident_id"].is_unique
    assert inc["date"].min() == pd.Timestamp("2018-01-18")          # pre-2022 rows are kept
    assert inc["date_precision"].value_counts().to_dict() == {"day": 989, "week": 9, "month": 1}
    assert set(inc["geo_precision"]) == {"exact", "town", "region"}
    row = inc.set_index("incident_id").loc["acled:UKR40153"]
    assert row["date"] == pd.Timestamp("2020-08-14") and pd.isna(row["time"])
    assert row["event_type"] == "Peaceful protest" and row["actor"] == "Protesters (Ukraine)"
    assert "crowd size=about 20" in row["source_labels"]
    assert "publisher/OSCE SMM-Ukraine" in row["source_labels"]
    assert row["admin1_raw"] == "Kyiv City" and row["fatalities"] == 0
    assert sum("Civilian targeting" in x for x in inc["source_labels"]) == 71


def _frame(dates, **cols):
    n = len(dates)
    base = {"data_id": list(range(1, n + 1)), "iso": [804] * n, "event_id_cnty": [f"UKR{i}" for i in range(n)],
            "event_id_no_cnty": list(range(n)), "event_date": dates, "year": [2022] * n,
            "time_precision": [1] * n, "event_type": ["Explosions/Remote violence"] * n,
            "sub_event_type": ["Shelling/artillery/missile attack"] * n, "actor1": ["Military Forces of Russia"] * n,
            "admin1": ["Kharkiv"] * n, "location": ["Kharkiv"] * n, "latitude": [49.99] * n,
            "longitude": [36.23] * n, "geo_precision": [1] * n, "source": ["Ukrinform; Suspilne"] * n,
            "notes": ["Shelling hit a school."] * n, "fatalities": [0] * n, "iso3": ["UKR"] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_older_schema_text_dates_and_xlsx(tmp_path):
    df = _frame(["13 May 2022", "2022-05-14", "15/05/2022 00:00:00", "16-May-2022"])
    p = tmp_path / "old.xlsx"
    df.to_excel(p, index=False)
    assert detect_format(p) == "acled"
    r = acled.read(p)
    assert r.report["loaded"] == 4, r.rejects
    assert [str(d.date()) for d in r.incidents["date"]] == ["2022-05-13", "2022-05-14", "2022-05-15", "2022-05-16"]
    assert r.incidents["source_labels"].iloc[0] == ["publisher/Ukrinform", "publisher/Suspilne"]
    assert r.incidents["source"].iloc[0] == "acled"


def test_dates_are_day_first_and_precisions(tmp_path):
    df = _frame(["01/02/2022", "03/04/2022"], time_precision=[2, 3], geo_precision=[2, 3],
                tags=["local administrators", ""], civilian_targeting=["Civilian targeting", ""])
    p = tmp_path / "a.csv"
    df.to_csv(p, index=False)
    r = acled.read(p, source="acled-2022")
    inc = r.incidents
    assert [str(d.date()) for d in inc["date"]] == ["2022-02-01", "2022-04-03"]
    assert list(inc["date_precision"]) == ["week", "month"] and list(inc["geo_precision"]) == ["town", "region"]
    assert inc["source_labels"].iloc[0][:2] == ["Civilian targeting", "local administrators"]
    assert inc["source"].iloc[0] == "acled-2022"


def test_a_spreadsheet_resave_in_us_order_is_read_month_first(tmp_path):
    """Excel in a US locale re-saves "3 December 2023" as 12/3/2023: a value with a second part above
    12 (2/16/2024) says the column is month-first; no day/month swap, nothing rejected."""
    p = tmp_path / "us.csv"
    _frame(["12/3/2023 0:00", "2/16/2024 0:00", "5/6/2023 0:00"]).to_csv(p, index=False)
    r = acled.read(p)
    assert r.report["loaded"] == 3, r.rejects
    assert [str(d.date()) for d in r.incidents["date"]] == ["2023-12-03", "2024-02-16", "2023-05-06"]
    # a column that never says stays day-first (ACLED's own locale); --date-order decides when given
    p2 = tmp_path / "never.csv"
    _frame(["05/06/2023", "07/08/2023"]).to_csv(p2, index=False)
    assert [str(d.date()) for d in acled.read(p2).incidents["date"]] == ["2023-06-05", "2023-08-07"]
    assert [str(d.date()) for d in acled.read(p2, date_order="mdy").incidents["date"]] == ["2023-05-06", "2023-07-08"]


def test_rows_of_other_countries_are_rejected_with_the_country_named(tmp_path):
    p = tmp_path / "multi.csv"
    _frame(["2023-05-01", "2023-05-02"], country=["Ukraine", "Russia"],
           latitude=[49.99, 50.60], longitude=[36.23, 36.59]).to_csv(p, index=False)
    r = acled.read(p)
    assert r.report["loaded"] == 1 and r.report["reasons"] == {"outside_study_area": 1}
    assert "country is 'Russia'" in r.rejects["_detail"].iloc[0]


def test_api_json_and_retitled_headers_are_acled(tmp_path):
    df = _frame(["2023-05-01", "2023-05-02"])
    api = tmp_path / "acled_api.json"
    api.write_text(json.dumps({"status": 200, "success": True, "count": 2,
                               "data": json.loads(df.astype(str).to_json(orient="records"))}), encoding="utf-8")
    assert detect_format(api) == "acled"
    r = acled.read(api)
    assert r.report["loaded"] == 2 and r.incidents["incident_id"].tolist() == ["acled:UKR0", "acled:UKR1"]
    titled = tmp_path / "titled.csv"
    df.rename(columns=lambda c: c.replace("_", " ").title()).to_csv(titled, index=False)   # "Event Date"
    assert detect_format(titled) == "acled"
    t = acled.read(titled)
    assert t.report["loaded"] == 2 and t.incidents["admin1_raw"].iloc[0] == "Kharkiv"
    assert "publisher/Suspilne" in t.incidents["source_labels"].iloc[0]


def test_excel_sep_line_names_the_delimiter(tmp_path):
    p = tmp_path / "sep.csv"
    body = _frame(["2023-05-01"]).to_csv(index=False, sep=";")
    p.write_text("sep=;\n" + body, encoding="utf-8")
    assert detect_format(p) == "acled"
    r = acled.read(p)
    assert r.report["loaded"] == 1 and r.rejects.empty
