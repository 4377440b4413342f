"""The hand-labelled evaluation sets in data/labels/ are well-formed.

Checks columns, language codes, categories known to data/taxonomy.toml, unique ids, that
"unclassified" is never combined with another category, that records of the shared data sets
carry a resolving ``ref`` and no copied text, and that written sentences carry text and no ref.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from harmmap import paths
from harmmap.taxonomy import UNCLASSIFIED, load_taxonomy
from tests.conftest import need

LABELS = paths.DATA / "labels"
COLUMNS = ["id", "lang", "categories", "ref", "text"]
FILES = sorted(LABELS.glob("*.csv"))
EXPECTED = {
    "cir_dev.csv", "cir_test.csv", "acled_test.csv", "uk_dev.csv", "uk_test.csv",
    "ru_dev.csv", "ru_test.csv", "en_test.csv", "en_dev.csv", "en_test2.csv", "uk_dev2.csv", "uk_test2.csv",
    "ru_dev2.csv", "ru_test2.csv",
    *(f"{lang}_{split}{rnd}.csv" for rnd in (3, 4) for lang in ("en", "uk", "ru") for split in ("dev", "test")),
    "en_dev5.csv", "en_test5.csv",
}
MIN_ROWS = {"cir_test.csv": 300, "cir_dev.csv": 200, "acled_test.csv": 150, "uk_test.csv": 140,
            "ru_test.csv": 140, "uk_dev.csv": 60, "ru_dev.csv": 60, "en_test.csv": 100, "en_dev.csv": 200,
            "en_test2.csv": 160, "uk_dev2.csv": 160, "ru_dev2.csv": 160, "uk_test2.csv": 110, "ru_test2.csv": 110,
            **{f"{lang}_{split}3.csv": 120 for lang in ("en", "uk", "ru") for split in ("dev", "test")},
            **{f"{lang}_{split}4.csv": 100 for lang in ("en", "uk", "ru") for split in ("dev", "test")},
            "en_dev5.csv": 100, "en_test5.csv": 100}


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS, f"{path.name}: header {reader.fieldnames} != {COLUMNS}"
        rows = list(reader)
    for i, r in enumerate(rows, start=2):
        assert None not in r and all(v is not None for v in r.values()), f"{path.name} line {i}: wrong field count"
    return rows


def cats(row: dict[str, str]) -> list[str]:
    return [c.strip() for c in row["categories"].split(";")]


@pytest.fixture(scope="module")
def all_rows() -> dict[str, list[dict[str, str]]]:
    return {p.name: read(p) for p in FILES}


def test_every_expected_file_is_present_with_enough_rows(all_rows):
    assert EXPECTED <= set(all_rows), f"missing: {sorted(EXPECTED - set(all_rows))}"
    for name, n in MIN_ROWS.items():
        assert len(all_rows[name]) >= n, f"{name}: {len(all_rows[name])} rows < {n}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_categories_are_known_and_unclassified_stands_alone(path):
    known = set(load_taxonomy().categories)
    for i, r in enumerate(read(path), start=2):
        cs = cats(r)
        assert cs and all(cs), f"{path.name} line {i}: empty category in {r['categories']!r}"
        unknown = set(cs) - known
        assert not unknown, f"{path.name} line {i}: unknown categories {sorted(unknown)}"
        assert len(set(cs)) == len(cs), f"{path.name} line {i}: repeated category"
        assert UNCLASSIFIED not in cs or len(cs) == 1, f"{path.name} line {i}: unclassified combined"


def test_ids_are_unique_across_all_files(all_rows):
    seen: dict[str, str] = {}
    for name, rows in all_rows.items():
        for r in rows:
            assert r["id"] and r["id"] not in seen, f"{name}: id {r['id']!r} repeated (also in {seen.get(r['id'])})"
            seen[r["id"]] = name


def test_no_record_is_in_both_dev_and_test(all_rows):
    def keys(split: str) -> set[str]:
        return {r["ref"] or r["text"] for n, rows in all_rows.items()
                if re.search(rf"_{split}\d*\.csv$", n) for r in rows}

    assert not keys("dev") & keys("test")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_language_and_ref_xor_text(path):
    lang = path.name.split("_")[0]
    for i, r in enumerate(read(path), start=2):
        if lang in ("cir", "acled"):
            assert r["lang"] == "en", f"{path.name} line {i}: lang {r['lang']!r}"
            assert r["ref"].startswith(f"{lang}:"), f"{path.name} line {i}: ref {r['ref']!r}"
            assert r["text"] == "", f"{path.name} line {i}: text of a shared data set must not be copied"
        else:
            assert r["lang"] == lang, f"{path.name} line {i}: lang {r['lang']!r} != {lang!r}"
            assert r["ref"] == "" and len(r["text"]) > 20, f"{path.name} line {i}: needs text and no ref"


def test_refs_resolve_to_rows_of_the_shared_datasets(all_rows, datasets):
    cir_file = datasets / "cir_monitor" / "events.csv"
    acled_file = datasets / "acled_sample" / "acled_ukraine_sample1000_2018-2024.csv"
    need(cir_file.is_file() and acled_file.is_file(), "the CIR and ACLED shared files")
    cir = pd.read_csv(cir_file, dtype=str, usecols=["entry"])["entry"]
    cir_unique = set(cir[~cir.duplicated(keep=False)].dropna())
    acled = set(pd.read_csv(acled_file, dtype=str, usecols=["event_id_cnty"])["event_id_cnty"].dropna())
    for name, rows in all_rows.items():
        for r in rows:
            src, _, key = r["ref"].partition(":")
            if src == "cir":
                assert key in cir_unique, f"{name}: {r['ref']} is not a unique CIR entry"
            elif src == "acled":
                assert key in acled, f"{name}: {r['ref']} not found in the ACLED sample"
            else:
                assert r["ref"] == "", f"{name}: unknown ref {r['ref']!r}"


def test_written_test_sets_cover_every_category_ten_times(all_rows):
    known = set(load_taxonomy().categories)
    for name in ("uk_test.csv", "ru_test.csv"):
        counts = pd.Series([c for r in all_rows[name] for c in cats(r)]).value_counts()
        short = {c: int(counts.get(c, 0)) for c in known if counts.get(c, 0) < 10}
        assert not short, f"{name}: categories with fewer than 10 examples: {short}"
