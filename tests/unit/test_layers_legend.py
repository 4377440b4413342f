"""The category legend lists exactly the categories drawn, with counts, escaped."""

from __future__ import annotations

import re

import folium
import pytest

from harmmap.taxonomy import load_taxonomy
from layers.legend import HtmlControl, category_legend


def js_unescape(s: str) -> str:
    """Undo the \\uXXXX escapes of JSON embedded in the page (tojson escapes <, >, &, ' and non-ASCII)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), s)


def rendered(el) -> str:
    m = folium.Map()
    el.add_to(m)
    return js_unescape(m.get_root().render())


def test_legend_shows_only_drawn_categories_in_taxonomy_order():
    tax = load_taxonomy()
    html = rendered(category_legend({"water": 2, "education": 1300, "health": 0}))
    assert tax.label("education") in html and tax.label("water") in html
    assert tax.label("health") not in html
    assert html.index(tax.label("education")) < html.index(tax.label("water"))
    assert "1,300" in html and tax.color("water") in html


def test_legend_escapes_unknown_category_names():
    html = rendered(category_legend({"<script>x</script>": 1}))
    assert "<script>x</script>" not in html


def test_control_position_is_checked():
    with pytest.raises(ValueError):
        HtmlControl("x", "middle")
