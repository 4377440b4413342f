"""The batch path of the classifier (``Classifier.classify_many``, ``text_evidence_many``,
``classify_frame``) gives exactly what the per-text path gives (``Classifier.classify``): the same
categories, confidences and evidence strings, on real texts (shared data sets, labelled sets, demo
descriptions) and on the edge cases of the batch scan (NUL-joined texts, terms that end in a
separator, raw ``re:`` terms, proximity that assigns alone)."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from harmmap import demo, paths
from harmmap.classify import (
    _TRANS,
    FacilityIndex,
    Result,
    classify_frame,
    get_classifier,
    normalize_text,
)
from harmmap.commands.classify import load_labels
from tests.conftest import ROOT

LABELS = ROOT / "data" / "labels"


def _old_normalize(text: str) -> str:
    """normalize_text as it was first written (the definition the terms are matched against)."""
    return text.translate(_TRANS).lower().translate(_TRANS)


@pytest.fixture(scope="module")
def demo_frame() -> pd.DataFrame:
    return demo.generate(3000, seed=11)


@pytest.fixture(scope="module")
def corpus(demo_frame) -> list[tuple[str, str | None]]:
    """(text, lang) pairs: every labelled record that resolves, the demo descriptions (English,
    Ukrainian, Russian) and, when ../shared/datasets is there, CIR, ACLED and Bellingcat texts."""
    out: list[tuple[str, str | None]] = []
    for f in sorted(LABELS.glob("*.csv")):
        try:
            out += [(r["text"], r["lang"]) for r in load_labels(f)]
        except (ValueError, OSError, StopIteration):     # refs into shared data sets that are not here
            pass
    out += [(t, None) for t in demo_frame["description"]]
    d = paths.SHARED_DATASETS
    if d.is_dir():
        cir = pd.read_csv(d / "cir_monitor" / "events.csv", dtype=str, keep_default_na=False)
        out += [(f"{t}. {b}", None) for t, b in zip(cir["title"], cir["brief description"], strict=True)][:2500]
        ac = pd.read_csv(next((d / "acled_sample").glob("*.csv")), dtype=str, keep_default_na=False)
        out += [(t, None) for t in ac["notes"]]
        ev = json.loads((d / "bellingcat_civharm_dev" / "export_events.json").read_text(encoding="utf-8"))
        out += [(e.get("description") or "", "en") for e in ev][:1500]
    assert len(out) > 3000
    return out


def _as_tuple(r: Result) -> tuple:
    return r.categories, r.confidence, r.evidence, r.evidence_line()


def _mismatches(clf, results, texts, labels=None, langs=None, event_types=None, nearby=None) -> list:
    bad = []
    for i, got in enumerate(results):
        want = clf.classify(texts[i], labels[i] if labels is not None else (),
                            langs[i] if langs is not None else None,
                            event_types[i] if event_types is not None else None,
                            nearby[i] if nearby is not None else None)
        if _as_tuple(got) != _as_tuple(want):
            bad.append((texts[i], _as_tuple(got), _as_tuple(want)))
    return bad


def test_batch_equals_per_text_on_real_texts(corpus):
    clf = get_classifier()
    texts = [t for t, _ in corpus]
    langs = [lg for _, lg in corpus]
    for lg in (langs, None):
        got = clf.classify_many(texts, langs=lg)
        assert len(got) == len(texts)
        bad = _mismatches(clf, got, texts, langs=lg)
        assert not bad, f"{len(bad)} of {len(texts)} differ, e.g. {bad[:3]}"
    # the per-text path itself: evidence of every kind occurs in the corpus
    lines = " ".join(r.evidence_line() for r in got)
    assert "not counted (after" in lines and "(no category)" in lines and "text '" in lines


def test_batch_equals_per_text_in_any_order_and_with_repeats(corpus):
    clf = get_classifier()
    texts = [t for t, _ in corpus[:1500]]
    mixed = texts[::-1] + texts[:200] + texts[100:300]          # repeats are scanned once, answered per row
    got = clf.classify_many(mixed)
    assert not _mismatches(clf, got, mixed)
    assert len({id(r.categories) for r in got}) == len(got)     # no row shares a list with another


def test_batch_in_small_chunks(corpus, monkeypatch):
    import harmmap.classify as hc

    monkeypatch.setattr(hc, "_SCAN_CHUNK", 7)           # many joined strings, texts at their edges
    clf = get_classifier()
    texts = [t for t, _ in corpus[-700:]] + EDGE
    assert not _mismatches(clf, clf.classify_many(texts), texts)


def test_text_evidence_many_equals_text_evidence(corpus):
    clf = get_classifier()
    texts = [t for t, _ in corpus[:2000]]
    assert clf.text_evidence_many(texts) == [clf.text_evidence(t) for t in texts]


def test_frame_equals_per_row(demo_frame):
    """classify_frame (the ingest path: labels, event types, proximity) against classify per row."""
    clf = get_classifier()
    df = demo_frame[["description", "event_type", "source_labels", "geometry"]].copy()
    df["source_labels"] = [
        ["Type of area affected/School or childcare"] if i % 7 == 0 else
        np.array(["Type of area affected/Residential", "Type of area affected/Healthcare"]) if i % 7 == 1 else
        None if i % 7 == 2 else lab
        for i, lab in enumerate(df["source_labels"])]
    df.loc[df.index[::5], "event_type"] = "Shelling/artillery/missile attack"
    df.loc[df.index[3::11], "description"] = None
    lon, lat = df.geometry.x.to_numpy(), df.geometry.y.to_numpy()
    # facilities next to some incidents: known categories and one the taxonomy does not know
    fac = FacilityIndex.from_points(np.r_[lon[::3], lon[1::3]] + 0.0005, np.r_[lat[::3], lat[1::3]],
                                    ["energy"] * len(lon[::3]) + ["zoo"] * len(lon[1::3]),
                                    names=[f"F{i}" for i in range(len(lon[::3]) + len(lon[1::3]))],
                                    distance_m={"energy": 500, "zoo": 500, "health": 500})
    out = classify_frame(df, facilities=fac)
    near = fac.nearby(lon, lat)
    assert sum(bool(n) for n in near) > 500
    for i, (t, lab, et) in enumerate(zip(df["description"], df["source_labels"], df["event_type"], strict=True)):
        r = clf.classify(t if isinstance(t, str) else "", lab if isinstance(lab, (list, np.ndarray)) else (),
                         None, et if isinstance(et, str) else None, near[i])
        assert out["categories"].iat[i] == r.categories, t
        assert out["category_confidence"].iat[i] == r.max_confidence, t
        assert out["category_evidence"].iat[i] == r.evidence_line(), t
    assert out["category_evidence"].str.contains("within").any()


def test_frame_lang_column_and_empty_frame():
    df = pd.DataFrame({"description": ["Обстреляли школу", "Обстріляли школу", "A school hit", None],
                       "lang": ["ru", "xx", None, "uk"]})
    out = classify_frame(df)
    clf = get_classifier()
    want = [clf.classify("Обстреляли школу", (), "ru"), clf.classify("Обстріляли школу"),
            clf.classify("A school hit"), clf.classify("", (), "uk")]
    assert out["categories"].tolist() == [w.categories for w in want]
    assert out["category_evidence"].tolist() == [w.evidence_line() for w in want]
    empty = classify_frame(pd.DataFrame({"description": pd.Series([], dtype=object)}))
    assert len(empty) == 0 and list(empty.columns) == ["categories", "category_confidence", "category_evidence"]


EDGE = [
    "", " ", "\n\t", "school", "School.", "a school", "school\x00hospital", "\x00school\x00", "near\x00the school",
    "the school near the hospital", "Near the school, a hospital was hit", "school-hospital", "school/hospital",
    "‘school’ ´hospital` and Ёлка", "ШКОЛА і ЛІКАРНЯ", "ВСУ обстреляли школу", "biblioteca school",
    "x" * 500 + " school", "school " * 40, "Σ school ΣΑΣ", "İstanbul hospital", "школа\u00a0№2",
    "kinder-garten", "kinder garten", "grain elevator near Odesa; no casualties", "(12) school (13)",
]


def test_batch_edge_cases():
    clf = get_classifier()
    texts = [*EDGE, None, float("nan"), 3, *EDGE]
    got = clf.classify_many(texts)
    want = [clf.classify(t if isinstance(t, str) else "") for t in texts]
    assert [_as_tuple(r) for r in got] == [_as_tuple(r) for r in want]
    langs = [None, "en", "uk", "ru", "cyr", "xx", float("nan")] * 10
    got = clf.classify_many(EDGE, langs=langs[:len(EDGE)])
    assert not _mismatches(clf, got, EDGE, langs=langs[:len(EDGE)])
    assert clf.classify_many([]) == []
    with pytest.raises(ValueError, match="languages"):
        clf.text_evidence_many(["a", "b"], ["en"])
    with pytest.raises(ValueError, match="labels"):
        clf.classify_many(["a", "b"], labels=[()])


def test_batch_with_raw_terms_separator_endings_and_proximity_assigning(tmp_path, corpus):
    """A taxonomy with raw ``re:`` terms, terms whose match ends in a separator (a hyphen; an
    optional word) and ``proximity_assigns = true``: batch and per-text still agree."""
    src = (ROOT / "data" / "taxonomy.toml").read_text(encoding="utf-8")
    src = src.replace("proximity_assigns = false", "proximity_assigns = true")
    src = src.replace('[categories.recreation.terms]\nen = [',
                      '[categories.recreation.terms]\nen = ["re:crater\\\\w* in (?:the |a )?road", "zorb-", '
                      '"blorp _", "re:qux+", ')
    assert src.count("zorb-") == 1 and "proximity_assigns = true" in src
    p = tmp_path / "t.toml"
    p.write_text(src, encoding="utf-8")
    clf = get_classifier(p)
    extra = ["a crater in the road by the school", "zorb-school", "zorb- hospital", "blorp big school",
             "blorp school", "blorp big-school", "blorp - hospital", "quxxx school", "near zorb-school", "A crater in a road"]
    texts = extra + [t for t, _ in corpus[:1500]]
    # a match that ends in a separator ("blorp big ", "blorp big-") with the next term right after it
    assert clf.classify("blorp big school").categories == ["education", "recreation"]
    assert clf.classify("blorp big-school").categories == ["education", "recreation"]
    got = clf.classify_many(texts)
    assert not _mismatches(clf, got, texts)
    n = len(texts)
    labels = [["Type of area affected/School or childcare"] if i % 4 == 0 else () for i in range(n)]
    events = ["Shelling/artillery/missile attack" if i % 3 == 0 else None for i in range(n)]
    nearby = [{"health": "within 12 m of a health facility"} if i % 2 else
              {"zoo": "within 3 m of a zoo facility", "energy": "within 9 m of an energy facility"} for i in range(n)]
    got = clf.classify_many(texts, labels, None, events, nearby)
    assert not _mismatches(clf, got, texts, labels, None, events, nearby)
    assert any("zoo" in r.categories for r in got)


def test_normalize_text_unchanged():
    """normalize_text lower-cases first and replaces after; the same as the translate/lower/translate
    definition for every character and around the context-dependent lower-casing of final sigma."""
    bmp = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    assert [normalize_text(c) for c in bmp] == [_old_normalize(c) for c in bmp]
    keys = [chr(k) for k in _TRANS] + ["Σ", "Α", "a", " ", "Ё", "İ", "'", "x", "\x00"]
    for n in (2, 3):
        for s in map("".join, itertools.product(keys, repeat=n)):
            assert normalize_text(s) == _old_normalize(s), repr(s)
    for s in EDGE:
        assert normalize_text(s) == _old_normalize(s)


def test_normalize_text_unchanged_on_real_texts(corpus):
    assert all(normalize_text(t) == _old_normalize(t) for t, _ in corpus)


def test_nan_is_not_text():
    clf = get_classifier()
    r = clf.classify_many([math.nan, None])
    assert [x.categories for x in r] == [[], []] and [x.evidence for x in r] == [{}, {}]
