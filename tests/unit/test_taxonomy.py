"""The taxonomy file: structure, groups/colours kept, terms in three languages, valid mappings."""

from __future__ import annotations

import pytest

from harmmap.taxonomy import UNCLASSIFIED, load_taxonomy, parse_taxonomy

TARGETS = ["education", "health", "residential", "food_agriculture", "energy", "water", "gas_heating",
           "transport", "commercial", "industrial", "cultural_religious", "administrative", "recreation",
           "humanitarian"]


def test_categories_groups_and_colours():
    tax = load_taxonomy()
    assert list(tax.categories) == [*TARGETS, UNCLASSIFIED]
    assert tax.group_of("energy") == "utilities" and tax.group_of("commercial") == "economy"
    colours = [c.color for c in tax.categories.values()]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize("cat", TARGETS)
def test_every_category_has_terms_in_three_languages(cat):
    terms = load_taxonomy().terms(cat)
    for lang in ("en", "uk", "ru"):
        assert len(terms.get(lang, [])) >= 5, (cat, lang)


def test_file_has_no_problems():
    assert load_taxonomy().problems() == []


def test_problems_are_reported():
    tax = parse_taxonomy({"groups": {"other": "Other"},
                          "categories": {"unclassified": {"group": "other"},
                                         "x": {"group": "other", "terms": {"de": ["schule"]}}},
                          "osm": {"amenity=school": "education"}})
    probs = tax.problems()
    assert any("unknown language 'de'" in p for p in probs)
    assert any("osm" in p for p in probs)


def test_bellingcat_labels_mapped_as_in_taxonomy_md():
    m = load_taxonomy().raw["labels"]["bellingcat"]["map"]
    assert m["School or childcare"] == ["education"] and m["Military"] == [] and m["Undefined"] == []
    assert m["Roads/Highways/Transport"] == ["transport"]
