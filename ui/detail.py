"""The incident detail panel beside the map: everything escaped; only http(s) links are clickable."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import streamlit as st

from harmmap.taxonomy import load_taxonomy
from layers.common import esc

__all__ = ["incident_id_from_tooltip", "detail_html", "show_detail", "safe_link"]

_ID = re.compile(r"id:\s*(\S+)\s*$")


def incident_id_from_tooltip(text: str | None) -> str | None:
    """The incident id the map's tooltip ends with ("... id: demo:000123"), or None.

    Example
    -------
    >>> incident_id_from_tooltip("2023-01-02 · Kharkiv Energy id: demo:000123")
    'demo:000123'
    """
    if not text:
        return None
    m = _ID.search(str(text).strip())
    return m.group(1) if m else None


def safe_link(url) -> str:
    """An ``<a>`` for an http(s) URL; any other scheme (javascript:, data:, file:...) as escaped text."""
    s = "" if url is None else str(url).strip()
    try:
        ok = urlparse(s).scheme.lower() in ("http", "https") and bool(urlparse(s).netloc)
    except ValueError:
        ok = False
    if ok:
        return f'<a href="{esc(s)}" target="_blank" rel="noopener noreferrer nofollow">{esc(s)}</a>'
    return f"<span>{esc(s)}</span>"


def _num(v) -> str:
    try:
        if v is None or v != v:
            return "not reported"
        return f"{int(v):,}"
    except (TypeError, ValueError):
        return "not reported"


def detail_html(inc: dict) -> str:
    """HTML of one incident (from ``store.incident(id)``), every value escaped."""
    tax = load_taxonomy()
    cats = list(inc.get("categories") or []) or ["unclassified"]
    chips = "".join(
        f"<span style='display:inline-block;margin:1px 3px 1px 0;padding:0 6px;border-radius:9px;"
        f"border:1px solid #333;background:{esc(tax.color(c))}33'>{esc(tax.label(c))}</span>" for c in cats)
    place = ", ".join(esc(x) for x in (inc.get("location"), inc.get("admin2"), inc.get("admin1")) if x)
    conf = inc.get("category_confidence")
    conf_s = f" (confidence {float(conf):.2f})" if isinstance(conf, (int, float)) and conf == conf else ""
    over = ""
    if inc.get("overridden") and inc.get("override"):
        o = inc["override"]
        over = (f"<div><b>Analyst override</b> by {esc(o.get('user'))} at {esc(o.get('at'))}: "
                f"{esc(o.get('reason'))}</div>")
    urls = [u for u in (inc.get("source_urls") or []) if u]
    links = "".join(f"<li>{safe_link(u)}</li>" for u in urls) or "<li>none given</li>"
    date = esc(inc.get("date")) + (f" {esc(inc.get('time'))}" if inc.get("time") else "")
    rows = [
        ("Date", date + (f" <small>({esc(inc.get('date_precision'))})</small>"
                         if inc.get("date_precision") not in (None, "day") else "")),
        ("Place", place or "unknown"),
        ("Categories", chips + conf_s),
        ("Evidence", esc(inc.get("category_evidence")) or "—"),
        ("Killed", _num(inc.get("fatalities"))),
        ("Injured", _num(inc.get("injuries"))),
        ("Type (source)", esc(inc.get("event_type")) or "—"),
        ("Weapon", esc(inc.get("weapon")) or "—"),
        ("Source", esc(inc.get("source"))),
    ]
    body = "".join(f"<tr><th style='text-align:left;vertical-align:top;padding-right:8px'>{k}</th>"
                   f"<td>{v}</td></tr>" for k, v in rows)
    return (f"<div style='font-size:14px'><div style='color:#666;font-size:12px'>{esc(inc.get('incident_id'))}"
            f"</div><table style='border-collapse:collapse'>{body}</table>{over}"
            f"<div style='margin-top:6px'><b>Description</b><div style='white-space:pre-wrap'>"
            f"{esc(inc.get('description'))}</div></div>"
            f"<div style='margin-top:6px'><b>Sources</b><ul style='margin:0;padding-left:18px'>{links}</ul></div>"
            f"</div>")


def show_detail(store, incident_id: str | None) -> None:
    """Draw the detail panel (or a hint to click an incident)."""
    st.markdown("#### Incident")
    if not incident_id:
        st.caption("Click a point on the map to see its date, place, description, categories with evidence, "
                   "casualties and sources here.")
        return
    inc = store.incident(incident_id)
    if inc is None:
        st.caption(f"Incident {incident_id!r} is no longer in the store.")
        return
    st.html(detail_html(inc))
