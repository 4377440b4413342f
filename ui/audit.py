"""The corrections audit trail (Streamlit only, plus small pure helpers that are tested on their own).

Every change an analyst made to an incident's categories, newest first, from
``store.raw.overrides_audit()``: incident, old and new categories, who, when, why, version. Each incident
links to its detail on the map (``/?ids=<id>``); the (filtered) trail downloads as CSV through
:func:`harmmap.export.csv_bytes`, so an analyst's reason that looks like a formula stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import pandas as pd
import streamlit as st

from harmmap.export import csv_bytes
from harmmap.taxonomy import Taxonomy, load_taxonomy

__all__ = ["detail_link", "categories_text", "audit_view", "audit_export", "show_audit", "COLUMNS"]

#: the columns of the audit view, in order (``link`` is the incident's detail on the map)
COLUMNS = ["at", "incident_id", "link", "old", "new", "user", "reason", "version"]


def detail_link(incident_id: str) -> str:
    """The incident's detail on the map page: the map filtered to it, its detail open.

    The Map page is the dashboard's default page, which Streamlit serves at ``/`` (``/map`` answers
    "Page not found" and falls back to it).

    Example
    -------
    >>> detail_link("acled:UKR 12/3")
    '/?ids=acled:UKR%2012%2F3'
    """
    return "/?ids=" + quote(str(incident_id), safe=":")


def categories_text(cats, tax: Taxonomy | None = None) -> str:
    """Category labels for a trail cell: None (no override) reads as the classifier's.

    Example
    -------
    >>> categories_text(None), categories_text([]), categories_text(["health", "energy"])
    ('(classifier)', 'none', 'Health, Energy (electricity)')
    """
    if cats is None or (isinstance(cats, float) and cats != cats):
        return "(classifier)"
    tax = tax or load_taxonomy()
    cats = list(cats)
    return ", ".join(tax.label(str(c)) for c in cats) if cats else "none"


def audit_view(audit: pd.DataFrame, users: Sequence[str] = (), incident: str = "",
               tax: Taxonomy | None = None) -> pd.DataFrame:
    """The trail as shown: filtered by analyst (any of ``users``) and incident id (``incident`` is a
    case-insensitive part of the id), newest first, categories as labels.

    Example
    -------
    >>> import datetime as dt
    >>> a = pd.DataFrame({"incident_id": ["d:1", "d:2"], "old_categories": [None, ["energy"]],
    ...                   "new_categories": [["health"], None], "user": ["ann", "bo"],
    ...                   "at": [dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 2)], "reason": ["x", "y"],
    ...                   "version": [1, 2]})
    >>> audit_view(a)[["incident_id", "old", "new", "user"]].values.tolist()
    [['d:2', 'Energy (electricity)', '(classifier)', 'bo'], ['d:1', '(classifier)', 'Health', 'ann']]
    >>> audit_view(a, users=["ann"])["incident_id"].tolist(), audit_view(a, incident="D:2")["user"].tolist()
    (['d:1'], ['bo'])
    """
    tax = tax or load_taxonomy()
    if audit is None or audit.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    df = audit.copy()
    if users:
        df = df[df["user"].astype("string").isin([str(u) for u in users]).fillna(False)]
    needle = str(incident or "").strip().lower()
    if needle:
        df = df[df["incident_id"].astype("string").str.lower().str.contains(needle, regex=False).fillna(False)]
    df = df.sort_values(["at", "version", "incident_id"], ascending=[False, False, True], kind="stable")
    out = pd.DataFrame({
        "at": pd.to_datetime(df["at"]),
        "incident_id": df["incident_id"].astype("string"),
        "link": [detail_link(i) for i in df["incident_id"]],
        "old": [categories_text(v, tax) for v in df["old_categories"]],
        "new": [categories_text(v, tax) for v in df["new_categories"]],
        "user": df["user"].astype("string"),
        "reason": df["reason"].astype("string"),
        "version": pd.to_numeric(df["version"]).astype("int64"),
    })
    return out.reset_index(drop=True)


def audit_export(view: pd.DataFrame) -> bytes:
    """The trail as CSV (UTF-8 with BOM; cells a spreadsheet would run as formulas neutralised)."""
    out = view.drop(columns=["link"], errors="ignore").copy()
    if "at" in out.columns:
        out["at"] = pd.to_datetime(out["at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
        out = out.rename(columns={"at": "at_utc"})
    return csv_bytes(out)


def show_audit(store) -> None:
    """Draw the Corrections page: filters, the trail (links to each incident) and its CSV download."""
    st.markdown("### Corrections: who changed which categories, when and why")
    audit = store.raw.overrides_audit()
    if audit.empty:
        st.info("No analyst has corrected an incident's categories yet. Open an incident on the Map page "
                "and use **Correct the categories** under its detail.", icon=":material/history:")
        return
    users = sorted({str(u) for u in audit["user"].dropna()})
    c1, c2 = st.columns([1, 1])
    chosen = c1.multiselect("Analysts", users, key="audit_users", placeholder="All analysts")
    needle = c2.text_input("Incident id contains", key="audit_incident", placeholder="e.g. demo:0001")
    view = audit_view(audit, chosen, needle)
    n_inc = view["incident_id"].nunique()
    st.caption(f"{len(view):,} of {len(audit):,} changes · {n_inc:,} incident{'s' if n_inc != 1 else ''} · "
               "newest first · times in UTC · an analyst's categories win over the classifier's until reverted. "
               "Click an incident to open its detail on the map.")
    if view.empty:
        st.info("No change matches these filters.")
        return
    st.dataframe(
        view, hide_index=True, width="stretch",
        column_order=["at", "link", "old", "new", "user", "reason", "version"],
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "link": st.column_config.LinkColumn("Incident", display_text=r"/\?ids=(.*)",
                                                help="Opens the incident's detail on the map"),
            "old": st.column_config.TextColumn("Before"),
            "new": st.column_config.TextColumn("After"),
            "user": st.column_config.TextColumn("Analyst"),
            "reason": st.column_config.TextColumn("Reason", width="large"),
            "version": st.column_config.NumberColumn("Version", format="%d"),
        })
    st.download_button("Download the trail (CSV)", audit_export(view), file_name="harmmap-corrections.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore", key="audit_csv")
