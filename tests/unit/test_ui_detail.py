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


def test_incident_id_from_tooltip():
    assert incident_id_from_tooltip("2022-03-09 · Kyiv Health id: acled:UKR123") == "acled:UKR123"
    assert incident_id_from_tooltip("no id here") is None and incident_id_from_tooltip(None) is None
