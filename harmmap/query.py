"""Filters: one frozen dataclass that says which incidents a view shows.

The sidebar builds one, the URL carries it (``to_params``/``from_params``), the CLI's export
options build one, and every store method takes one and pushes it down to its engine.

Example
-------
>>> import datetime as dt
>>> f = Filters(date_from=dt.date(2022, 3, 1), categories=("health",), admin1=("Kharkiv",))
>>> Filters.from_params(f.to_params()) == f
True
>>> f.to_params()["cat"]
'health'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

BBox = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


def join_values(values) -> str:
    """Values as one query-parameter string: comma-separated, a comma or backslash inside a value escaped
    with a backslash; surrounding spaces stripped, empty values left out.

    Example
    -------
    >>> join_values(["upload:a,b.csv", "acled"])
    'upload:a\\\\,b.csv,acled'
    >>> split_values(join_values(["upload:a,b.csv", "acled", "x\\\\y"]))
    ('upload:a,b.csv', 'acled', 'x\\\\y')
    """
    return ",".join(str(v).strip().replace("\\", "\\\\").replace(",", "\\,") for v in values if str(v).strip())


def split_values(text: str) -> tuple[str, ...]:
    """The inverse of :func:`join_values` (surrounding spaces stripped, empty values dropped)."""
    out, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i + 1])
            i += 2
            continue
        if c == ",":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return tuple(v.strip() for v in out if v.strip())


@dataclass(frozen=True)
class Filters:
    """Which incidents to show. Empty tuples and ``None`` mean "no restriction".

    ``categories`` may include ``"unclassified"``, which matches incidents with no category.
    Categories are the *effective* ones: an analyst's override wins over the classifier.
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    categories: tuple[str, ...] = ()
    admin1: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    text: str = ""
    bbox: BBox | None = None
    polygon_wkt: str | None = None
    h3_cells: tuple[str, ...] = ()          # H3 cells as hex strings, any resolution
    incident_ids: tuple[str, ...] = ()
    min_confidence: float = 0.0
    include_duplicates: bool = False        # False: an event reported by several sources counts once

    def replace(self, **changes) -> Filters:
        return dataclasses.replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        return self == Filters(include_duplicates=self.include_duplicates)

    # URL state -------------------------------------------------------------------------
    def to_params(self) -> dict[str, str]:
        """Encode as short query parameters; defaults are left out."""
        p: dict[str, str] = {}
        if self.date_from:
            p["from"] = self.date_from.isoformat()
        if self.date_to:
            p["to"] = self.date_to.isoformat()
        for key, val in (("cat", self.categories), ("adm1", self.admin1), ("src", self.sources),
                         ("h3", self.h3_cells), ("ids", self.incident_ids)):
            if any(val):
                p[key] = join_values(val)
        if self.text:
            p["q"] = self.text
        if self.bbox:
            p["bbox"] = ",".join(f"{v:.5f}" for v in self.bbox)
        if self.polygon_wkt:
            p["poly"] = self.polygon_wkt
        if self.min_confidence:
            p["minconf"] = f"{self.min_confidence:g}"
        if self.include_duplicates:
            p["dups"] = "1"
        return p

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]]) -> Filters:
        """Decode query parameters; anything malformed is ignored rather than raised."""

        def get(key: str) -> str:
            v = params.get(key, "")
            if isinstance(v, list):
                v = v[-1] if v else ""
            return str(v or "")

        def date(key: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(get(key)) if get(key) else None
            except ValueError:
                return None

        def many(key: str) -> tuple[str, ...]:
            return split_values(get(key))

        bbox = None
        if get("bbox"):
            try:
                vals = tuple(float(x) for x in get("bbox").split(","))
                bbox = vals if len(vals) == 4 else None
            except ValueError:
                bbox = None
        try:
            minconf = min(max(float(get("minconf") or 0), 0.0), 1.0)
        except ValueError:
            minconf = 0.0
        return cls(date_from=date("from"), date_to=date("to"), categories=many("cat"),
                   admin1=many("adm1"), sources=many("src"), text=get("q"), bbox=bbox,
                   polygon_wkt=get("poly") or None, h3_cells=many("h3"), incident_ids=many("ids"),
                   min_confidence=minconf, include_duplicates=get("dups") == "1")

    def describe(self) -> str:
        """A short human sentence of what is filtered, for titles and methodology notes."""
        parts = []
        if self.categories:
            parts.append("categories: " + ", ".join(self.categories))
        if self.admin1:
            parts.append("oblasts: " + ", ".join(self.admin1))
        if self.sources:
            parts.append("sources: " + ", ".join(self.sources))
        if self.date_from or self.date_to:
            parts.append(f"dates: {self.date_from or '...'} to {self.date_to or '...'}")
        if self.text:
            parts.append(f"text contains {self.text!r}")
        if self.bbox or self.polygon_wkt:
            parts.append("within a drawn area")
        if self.h3_cells:
            parts.append(f"{len(self.h3_cells)} hexagon(s)")
        if self.incident_ids:
            parts.append(f"{len(self.incident_ids)} selected incident(s)")
        return "; ".join(parts) if parts else "all incidents"

