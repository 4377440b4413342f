"""The target taxonomy, read from ``data/taxonomy.toml``.

Example
-------
>>> from harmmap.taxonomy import load_taxonomy
>>> tax = load_taxonomy()
>>> tax.group_of("energy")
'utilities'
>>> "education" in tax.categories
True
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from harmmap import paths

UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Category:
    id: str
    group: str
    label: str
    color: str
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Taxonomy:
    groups: dict[str, str]                 # group id -> label
    categories: dict[str, Category]        # category id -> Category, in file order
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def group_of(self, category: str) -> str:
        cat = self.categories.get(category)
        return cat.group if cat else "other"

    def categories_in(self, group: str) -> list[str]:
        return [c.id for c in self.categories.values() if c.group == group]

    def color(self, category: str) -> str:
        cat = self.categories.get(category)
        return cat.color if cat else "#BBBBBB"

    def label(self, category: str) -> str:
        cat = self.categories.get(category)
        return cat.label if cat else category

    def terms(self, category: str) -> dict[str, list[str]]:
        """The category's terms per language (``en``, ``uk``, ``ru``) as written in the file."""
        cat = self.categories.get(category)
        return {k: list(v) for k, v in (cat.raw.get("terms", {}) if cat else {}).items()}

    def problems(self) -> list[str]:
        """What is wrong with the classifier's part of the file (empty list = fine)."""
        out = []
        known = set(self.categories) - {UNCLASSIFIED}
        for cid, cat in self.categories.items():
            for lang, terms in cat.raw.get("terms", {}).items():
                if lang not in ("en", "uk", "ru"):
                    out.append(f"category {cid!r}: unknown language {lang!r}")
                if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
                    out.append(f"category {cid!r}: terms.{lang} must be a list of non-empty strings")
        for section in ("labels", "event_types"):
            for sid, spec in self.raw.get(section, {}).items():
                for lab, cats in spec.get("map", {}).items():
                    bad = [c for c in cats if c not in known]
                    if bad:
                        out.append(f"{section}.{sid}: {lab!r} maps to unknown categories {bad}")
        for tag, cat in self.raw.get("osm", {}).items():
            if cat not in known:
                out.append(f"osm: {tag!r} maps to unknown category {cat!r}")
        for cat in self.raw.get("proximity", {}).get("distance_m", {}):
            if cat not in known:
                out.append(f"proximity.distance_m: unknown category {cat!r}")
        return out


def parse_taxonomy(data: dict) -> Taxonomy:
    groups = dict(data.get("groups", {}))
    cats = {}
    for cid, spec in data.get("categories", {}).items():
        group = spec.get("group", "other")
        if group not in groups:
            raise ValueError(f"taxonomy: category {cid!r} names unknown group {group!r}")
        cats[cid] = Category(cid, group, spec.get("label", cid), spec.get("color", "#BBBBBB"), spec)
    if UNCLASSIFIED not in cats:
        raise ValueError("taxonomy: the 'unclassified' category is required")
    return Taxonomy(groups, cats, data)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Taxonomy:
    with open(path, "rb") as fh:
        return parse_taxonomy(tomllib.load(fh))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load (and cache until the file changes) the taxonomy file."""
    p = Path(path or paths.TAXONOMY)
    return _load(str(p), p.stat().st_mtime)
