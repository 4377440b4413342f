"""The detail panel escapes everything and links only http(s) URLs."""

from __future__ import annotations

import datetime as dt

from ui.detail import detail_html, incident_id_from_tooltip, safe_link


def test_detail_is_escaped_and_links_are_safe():
    inc = {"incident_id": "t:1", "date": dt.date(2022, 3, 9), "location": "<b>Mariupol</b>", "admin1": "Donetsk",
           "description": "<script>alert(1)</script> maternity hospital hit", "categories": ["health"],
           "category_evidence": "term 'hospital'", "category_confidence": 0.9, "fatalities": 3, "injuries": None,
           "source": "demo", "source_urls": ["https://example.org/a?b=1&c=2", "javascript:alert(1)"]}
    html = detail_html(inc)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>Mariupol" not in html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html
    assert 'href="javascript' not in html and "javascript:alert(1)" in html
    assert "not reported" in html and "Health" in html and "term &#x27;hospital&#x27;" in html


def test_safe_link_rejects_other_schemes():
    assert "<a " not in safe_link("data:text/html,hi") and "<a " in safe_link("http://x.org")
    for bad in (" javascript:alert(1)", "JAVASCRIPT:alert(1)", "java\tscript:alert(1)", "vbscript:x", "file:///etc",
                "//evil.org/x", "http:/no-host", "https://[::1"):
        assert "<a " not in safe_link(bad), bad


def test_safe_link_encodes_markup_in_the_href():
    html = safe_link('https://example.org/r?q=1&x="><script>alert(1)</script>')
    assert 'href="https://example.org/r?q=1&amp;x=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"' in html
    assert "&lt;script&gt;" in html and "<script" not in html


def test_incident_id_from_tooltip():
    assert incident_id_from_tooltip("2022-03-09 · Kyiv Health id: acled:UKR123") == "acled:UKR123"
    assert incident_id_from_tooltip("no id here") is None and incident_id_from_tooltip(None) is None


# --- hostile text, the comparison and the correction helpers ------------------------------------

from html.parser import HTMLParser  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tests import hostile  # noqa: E402
from ui.audit import audit_export, audit_view, categories_text, detail_link  # noqa: E402
from ui.detail import (  # noqa: E402
    USER_ENV,
    analyst_name,
    category_label,
    comparison_html,
    correction_options,
    correction_problems,
    selected_incident,
)

SAFE_TAGS = {"div", "table", "tr", "th", "td", "span", "b", "small", "ul", "li", "a", "i"}


class _Tags(HTMLParser):
    """Every tag and attribute the HTML really contains (what a browser would build)."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(html)
    p.close()
    return p.tags


def assert_inert(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag in SAFE_TAGS, (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "a":
            assert attrs["href"].startswith(("http://", "https://")), attrs


def _incident(rec: dict, **over) -> dict:
    inc = dict(rec, date=rec["date"].date(), classifier_categories=rec["categories"], overridden=False,
               override=None, override_version=0)
    inc.update(over)
    return inc


@pytest.mark.parametrize("rec", hostile.records(), ids=lambda r: r["incident_id"])
def test_hostile_records_render_inert_with_their_text(rec):
    ov = {"categories": ["water"], "user": hostile.PAYLOADS["img_onerror"], "reason": hostile.PAYLOADS["script"],
          "at": dt.datetime(2025, 1, 2, 3, 4), "version": 2}
    for inc in (_incident(rec), _incident(rec, overridden=True, override=ov, override_version=2)):
        for html in (detail_html(inc), comparison_html(inc)):
            assert_inert(html)
        html = detail_html(inc)
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html            # shown as text
        assert "Обстріл школи" in html and "больнице" in html and "🏫💥" in html
        assert html.count("<a ") == 1                                         # only the https source
    assert "Analyst override" in detail_html(_incident(rec, overridden=True, override=ov))


def test_every_payload_is_escaped_in_the_detail():
    rec = hostile.records()[0]
    for name, payload in hostile.PAYLOADS.items():
        inc = _incident(rec, description=payload, location=payload, event_type=payload, source=payload,
                        source_urls=[payload])
        html = detail_html(inc)
        assert_inert(html)
        assert esc_(payload) in html, name


def esc_(s: str) -> str:
    from layers.common import esc

    return esc(s)


def test_comparison_shows_classifier_beside_analyst():
    inc = {"incident_id": "d:1", "classifier_categories": ["energy"], "category_evidence": "text: 'ТЕЦ'",
           "category_confidence": 0.75, "overridden": True, "override_version": 3,
           "override": {"categories": ["health", "education"], "user": "olena", "reason": "video shows <b>clinic</b>",
                        "at": dt.datetime(2025, 2, 1, 9, 30), "version": 3}}
    html = comparison_html(inc)
    assert "Classifier" in html and "Analyst (wins)" in html and "Energy (electricity)" in html
    assert "Health" in html and "Education" in html and "olena" in html and "2025-02-01 09:30 UTC" in html
    assert "version 3" in html and "&lt;b&gt;clinic" in html and "text: &#x27;ТЕЦ&#x27;" in html
    plain = comparison_html(dict(inc, overridden=False, override=None, override_version=0))
    assert "no correction" in plain and "confidence 0.75" in plain and "(wins)" not in plain
    reverted = comparison_html(dict(inc, overridden=False, override=dict(inc["override"], categories=None)))
    assert "reverted to the classifier" in reverted and "olena" in reverted
    empty = comparison_html(dict(inc, override=dict(inc["override"], categories=[])))
    assert "none (unclassified)" in empty


def test_analyst_name_prefers_login_then_env_then_typed():
    assert analyst_name({"is_logged_in": True, "email": "a@b.org"}, {USER_ENV: "x"}) == ("a@b.org", "login")
    assert analyst_name({"is_logged_in": False, "name": "ghost"}, {USER_ENV: "x"}) == ("x", "env")
    assert analyst_name({}, {USER_ENV: "  "}, " typed ") == ("typed", "input")
    assert analyst_name(None, None, None) == ("", "input")


def test_correction_problems():
    assert correction_problems(["health"], "seen", "me") == []
    assert correction_problems([], "no civilian target", "me") == []          # empty = none (unclassified)
    assert correction_problems(["unclassified"], "r", "me") == ["Unknown category 'unclassified' (see "
                                                                  "data/taxonomy.toml)."]
    assert len(correction_problems(["health"], "", " ")) == 2
    assert correction_problems(None, "r", "me", revert=True) == []
    assert "no analyst correction" in correction_problems(None, "r", "me", revert=True, overridden=False)[0]


def test_options_and_labels_follow_the_taxonomy():
    opts = correction_options()
    assert "unclassified" not in opts and opts[:2] == ["education", "health"] and "energy" in opts
    assert category_label("energy") == "Utilities · Energy (electricity)"
    assert category_label("no-such").endswith("no-such")


def test_selected_incident():
    assert selected_incident(None, None, ()) is None
    assert selected_incident(None, None, ("a", "b")) is None                  # two ids: no single detail
    assert selected_incident(None, "r", ("a",)) == "r" and selected_incident("c", "r", ("a",)) == "c"


# --- the audit trail ------------------------------------------------------------------------------

def _audit() -> pd.DataFrame:
    return pd.DataFrame({
        "incident_id": pd.array(["demo:1", "demo:2", "demo:1", "csv<b>:x"], dtype="string"),
        "old_categories": [None, ["energy"], ["health"], None],
        "new_categories": [["health"], [], None, ["water"]],
        "user": pd.array(["ann", "bo", "ann", hostile.PAYLOADS["img_onerror"]], dtype="string"),
        "at": pd.to_datetime(["2025-01-01 10:00", "2025-01-02 10:00", "2025-01-03 10:00", "2025-01-04 10:00"]),
        "reason": pd.array(["r1", hostile.PAYLOADS["formula"], "back", hostile.PAYLOADS["formula_at"]],
                           dtype="string"),
        "version": [1, 1, 2, 1],
    })


def test_audit_view_newest_first_and_filters():
    v = audit_view(_audit())
    assert v["at"].is_monotonic_decreasing and list(v.columns) == ["at", "incident_id", "link", "old", "new",
                                                                    "user", "reason", "version"]
    assert v.loc[0, "incident_id"] == "csv<b>:x" and v.loc[0, "link"] == "/?ids=csv%3Cb%3E:x"
    assert v.loc[1, ["old", "new"]].tolist() == ["Health", "(classifier)"]
    assert v.loc[2, ["old", "new"]].tolist() == ["Energy (electricity)", "none"]
    assert audit_view(_audit(), users=["ann"])["version"].tolist() == [2, 1]
    assert audit_view(_audit(), incident="DEMO:2")["user"].tolist() == ["bo"]
    assert audit_view(_audit(), users=["nobody"]).empty
    assert audit_view(pd.DataFrame()).empty


def test_audit_csv_neutralises_formulas():
    import csv
    import io

    text = audit_export(audit_view(_audit())).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["reason"] for r in rows][:3] == ["'" + hostile.PAYLOADS["formula_at"], "back",
                                              "'" + hostile.PAYLOADS["formula"]]
    assert "link" not in rows[0] and rows[0]["at_utc"] == "2025-01-04 10:00:00"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_detail_link_and_category_text():
    assert detail_link("hostile:001") == "/?ids=hostile:001"
    assert detail_link("javascript:alert(1)").startswith("/?ids=")
    assert categories_text(None) == "(classifier)" and categories_text([]) == "none"
