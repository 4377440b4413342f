"""Shared pieces of the map layers: the category palette and the compact incident payload.

The browser receives incidents as one compact JSON array (not one Python object per marker):
``[lat, lon, cat, day, loc, id]`` where ``cat`` is an index into the palette (or a list of
indices for an incident in several categories: the first one colours it), ``day`` counts days
from ``epoch`` and ``loc`` indexes a table of place names. All text is escaped in the browser
(``esc`` in :data:`JS_HELPERS`) before it becomes HTML.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"lat": [50.45], "lon": [30.52], "categories": [["energy"]],
...                    "date": pd.to_datetime(["2022-10-10"]), "location": ["Kyiv"],
...                    "incident_id": ["demo:1"]})
>>> p = incident_payload(df)
>>> p["rows"][0][:2], p["cats"][p["rows"][0][2]]
([50.45, 30.52], 'energy')
"""

from __future__ import annotations

import datetime as dt
import html
import math

import pandas as pd

from harmmap.taxonomy import UNCLASSIFIED, Taxonomy, load_taxonomy

__all__ = ["esc", "palette", "incident_payload", "primary_category", "JS_HELPERS"]


def esc(text) -> str:
    """HTML-escape anything (None -> empty string)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return html.escape(str(text), quote=True)


def palette(tax: Taxonomy | None = None) -> dict[str, str]:
    """Category id -> colour (from data/taxonomy.toml; colour-blind-safe), in file order."""
    tax = tax or load_taxonomy()
    return {cid: cat.color for cid, cat in tax.categories.items()}


def primary_category(cats) -> str:
    """The category that colours an incident: its first one, else ``unclassified``."""
    if cats is None:
        return UNCLASSIFIED
    cats = [c for c in list(cats) if c]
    return cats[0] if cats else UNCLASSIFIED


def incident_payload(df: pd.DataFrame, tax: Taxonomy | None = None, precision: int = 5,
                     prefer: tuple[str, ...] = ()) -> dict:
    """Compact JSON-ready payload of incidents (columns lat, lon, categories, date, location, incident_id).

    An incident is coloured by its first category, or by its first category among ``prefer`` (the
    categories filtered on) when it has one of them.

    Rows with no coordinates are left out and counted in ``missing_coords``.
    """
    tax = tax or load_taxonomy()
    cats = list(tax.categories)
    index = {c: i for i, c in enumerate(cats)}
    unc = index[UNCLASSIFIED]
    locs: dict[str, int] = {}
    rows = []
    dates = pd.to_datetime(df["date"]) if len(df) else pd.Series([], dtype="datetime64[ns]")
    epoch = dates.min().date() if len(df) and pd.notna(dates.min()) else dt.date(1970, 1, 1)
    epoch_ts = pd.Timestamp(epoch)
    prefer_idx = {index[c] for c in prefer if c in index}
    missing = 0
    used: dict[str, int] = {}
    lat = df["lat"].to_numpy(dtype="float64", na_value=math.nan) if len(df) else []
    lon = df["lon"].to_numpy(dtype="float64", na_value=math.nan) if len(df) else []
    for i, (cs, d, loc, iid) in enumerate(zip(df["categories"], dates, df["location"], df["incident_id"],
                                             strict=True)):
        if math.isnan(lat[i]) or math.isnan(lon[i]):
            missing += 1
            continue
        ids = [index.get(c, unc) for c in (list(cs) if cs is not None else []) if c] or [unc]
        ids = list(dict.fromkeys(ids))
        if prefer_idx and len(ids) > 1:
            ids.sort(key=lambda k: 0 if k in prefer_idx else 1)
        first = cats[ids[0]]
        used[first] = used.get(first, 0) + 1
        key = "" if loc is None or (isinstance(loc, float) and math.isnan(loc)) or pd.isna(loc) else str(loc)
        li = locs.setdefault(key, len(locs))
        day = int((d - epoch_ts).days) if pd.notna(d) else None
        rows.append([round(float(lat[i]), precision), round(float(lon[i]), precision),
                     ids[0] if len(ids) == 1 else ids, day, li, str(iid)])
    return {
        "cats": cats,
        "colors": [tax.color(c) for c in cats],
        "labels": [tax.label(c) for c in cats],
        "locs": list(locs),
        "epoch": epoch.isoformat(),
        "rows": rows,
        "missing_coords": missing,
        "drawn_by_category": used,
    }


#: JavaScript helpers shared by the incident layers (escape text, format a row's tooltip).
JS_HELPERS = r"""
function hmEsc(s) {
  return String(s == null ? "" : s).replace(/[&<>"'`]/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;"}[c];
  });
}
function hmTip(P, r) {
  var cs = Array.isArray(r[2]) ? r[2] : [r[2]];
  var d = (r[3] === null) ? "date unknown"
        : new Date(Date.parse(P.epoch + "T00:00:00Z") + r[3] * 86400000).toISOString().slice(0, 10);
  var labels = cs.map(function (c) { return hmEsc(P.labels[c]); }).join(", ");
  return "<b>" + hmEsc(d) + "</b> &middot; " + hmEsc(P.locs[r[4]]) + "<br>" + labels +
         "<br><span class='hm-id'>id: " + hmEsc(r[5]) + "</span>";
}
function hmMarker(P, r, radius) {
  var cs = Array.isArray(r[2]) ? r[2] : [r[2]];
  var m = L.circleMarker([r[0], r[1]], {radius: radius, color: "#222", weight: 1, opacity: 0.9,
                                        fillColor: P.colors[cs[0]], fillOpacity: 0.85,
                                        className: "hm-incident"});
  m.options.hmCat = cs[0];
  m.options.hmId = r[5];
  m.bindTooltip(hmTip(P, r), {sticky: false, direction: "top"});
  return m;
}
"""
