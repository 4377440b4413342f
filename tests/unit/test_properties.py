"""Property-based tests (hypothesis): importers, the classifier and the query layer never crash on arbitrary
text, numbers and tables, and an import always accounts for every row (read == loaded + rejected)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harmmap.classify import classify_text
from harmmap.io import ReadError, read
from harmmap.query import Filters

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
COLUMNS = ["id", "date", "latitude", "longitude", "oblast", "description", "fatalities", "source_url"]

anything = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
numberish = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str),
                      st.integers(-10**6, 10**6).map(str), st.sampled_from(["", "nan", "N/A", "49,99", "49°59'N"]))
dateish = st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str),
                    st.dates(dt.date(2022, 1, 1), dt.date(2025, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
                    st.dates(dt.date(2022, 1, 1), dt.date(2025, 1, 1)).map(lambda d: d.strftime("%d %B %Y")),
                    anything)
row = st.fixed_dictionaries({
    "id": st.one_of(anything, st.integers(0, 20).map(str)), "date": dateish,
    "latitude": st.one_of(numberish, st.floats(44, 52.5).map(str)),
    "longitude": st.one_of(numberish, st.floats(22, 40.5).map(str)),
    "oblast": st.one_of(anything, st.sampled_from(["Kharkiv", "Харківська область", "Kyiv City", "Крым"])),
    "description": anything, "fatalities": numberish, "source_url": anything})


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("prop")


@SETTINGS
@given(rows=st.lists(row, max_size=12), delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_any_table_loads_or_says_why_and_accounts_for_every_row(folder, rows, delimiter, encoding):
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    path = folder / "prop.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    try:
        r = read(path)
    except ReadError as exc:
        assert "prop.csv" in str(exc)
        return
    rep = r.report
    assert rep["read"] == rep["loaded"] + rep["rejected"]
    assert len(r.incidents) == rep["loaded"] and len(r.rejects) == rep["rejected"]
    if len(r.rejects):
        assert r.rejects["_reason"].notna().all() and (r.rejects["_row"] >= 1).all()


@SETTINGS
@given(body=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".geojson", ".json", ".zip", ".kml"]))
def test_arbitrary_bytes_never_crash_a_reader(folder, body, suffix):
    path = folder / f"junk{suffix}"
    path.write_bytes(body)
    try:
        r = read(path)
    except (ReadError, ValueError) as exc:
        assert str(exc)
        return
    assert r.report["read"] == r.report["loaded"] + r.report["rejected"]


@SETTINGS
@given(events=st.lists(st.fixed_dictionaries({"id": anything, "date": dateish, "latitude": numberish,
                                                "longitude": numberish, "description": anything}), max_size=6))
def test_timemap_like_json_never_crashes(folder, events):
    d = folder / "tm"
    d.mkdir(exist_ok=True)
    (d / "export_events.json").write_text(json.dumps(events))
    (d / "export_associations.json").write_text("[]")
    (d / "export_sources.json").write_text("{}")
    try:
        r = read(d, fmt="timemap")
    except (ReadError, ValueError) as exc:
        assert str(exc)
        return
    assert r.report["read"] == r.report["loaded"] + r.report["rejected"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.one_of(anything, st.text(max_size=2000)))
def test_classifier_never_crashes_and_stays_in_the_taxonomy(text):
    from harmmap.taxonomy import load_taxonomy

    r = classify_text(text)
    cats = set(load_taxonomy().categories)
    assert set(r.categories) <= cats
    assert all(0.0 <= p <= 1.0 for p in r.confidence.values())


@pytest.fixture(scope="module")
def small_store():
    from harmmap.demo import ensure_demo_store

    return ensure_demo_store(":memory:", n=500)


filters = st.builds(
    Filters,
    date_from=st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1))),
    date_to=st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1))),
    categories=st.lists(st.one_of(anything, st.sampled_from(["energy", "health", "unclassified"])),
                        max_size=3).map(tuple),
    admin1=st.lists(st.one_of(anything, st.just("Kharkiv")), max_size=2).map(tuple),
    sources=st.lists(anything, max_size=2).map(tuple),
    text=anything,
    bbox=st.one_of(st.none(), st.tuples(*[st.floats(-200, 200, allow_nan=False)] * 4)),
    min_confidence=st.floats(0, 1),
    include_duplicates=st.booleans())


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=filters)
def test_queries_never_crash_on_any_filter(small_store, f):
    n = small_store.count(f)
    assert n >= 0
    s = small_store.summary(f)
    assert int(s.get("incidents") or 0) == n
    assert small_store.timeseries(f, freq="month", by="group")["incidents"].sum() >= 0
    assert len(small_store.incidents(f, limit=5)) <= 5
    assert Filters.from_params(f.to_params()).to_params() == f.to_params()
