"""The bad-file corpus (tests/badfiles.py, built at test time): each file gives a clear message
naming the file (and row and problem), and no good row is lost."""

from __future__ import annotations

import pytest

from harmmap.io import ReadError, read
from tests import badfiles

CASES = {c.__name__: c for c in badfiles.CASES}


@pytest.fixture(autouse=True)
def _no_boundaries(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMMAP_BOUNDARIES_DIR", str(tmp_path / "no-boundaries"))
    monkeypatch.setenv("HARMMAP_MAPPINGS_DIR", str(tmp_path / "mappings"))


def test_corpus_is_big_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file(name, tmp_path):
    path, expect = CASES[name](tmp_path)
    fmt = expect.get("fmt", "auto")
    if "error" in expect:
        with pytest.raises(ReadError) as exc:
            read(path, fmt=fmt)
        msg = str(exc.value)
        assert path.name in msg, msg
        assert expect["error"] in msg, msg
        return
    r = read(path, fmt=fmt)
    rep = r.report
    assert rep["read"] == rep["loaded"] + rep["rejected"]
    assert len(r.incidents) == rep["loaded"] and len(r.rejects) == rep["rejected"]
    if not expect.get("any"):
        assert rep["loaded"] == expect["loaded"], rep
        assert rep["reasons"] == expect["reasons"], r.rejects[["_row", "_reason", "_detail"]]
    for reason, rows in expect.get("rows", {}).items():
        assert sorted(r.rejects.loc[r.rejects["_reason"] == reason, "_row"]) == rows
    if "warning" in expect:
        assert any(expect["warning"] in w for w in rep["warnings"]), rep["warnings"]
    if "detail" in expect:
        assert r.rejects["_detail"].str.contains(expect["detail"], regex=False).all()
    if len(r.rejects):
        # every reject says which row and why, in words
        assert r.rejects["_row"].min() >= 1
        assert (r.rejects["_detail"].str.len() > 5).all()
    if "check" in expect:
        assert expect["check"](r)
