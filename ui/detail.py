"""The incident detail panel beside the map, and the analyst's correction of its categories.

Everything from data (and from analysts: names, reasons) is escaped; only http(s) links are
clickable. The correction form stores an override through ``store.raw.set_override`` with the
version the analyst saw, so that two analysts editing one incident never overwrite each other
silently (:class:`harmmap.store.ConflictError`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlparse

import streamlit as st

from harmmap.sensitive import is_graphic
from harmmap.store import ConflictError, StoreError
from harmmap.taxonomy import UNCLASSIFIED, Taxonomy, load_taxonomy
from layers.common import esc
from ui.auth import can, current_user
from ui.text import md_text

__all__ = ["incident_id_from_tooltip", "detail_html", "coordinates_text", "show_detail", "safe_link", "category_label",
           "correction_options", "analyst_name", "md_text", "correction_problems", "comparison_html",
           "selected_incident",
           "USER_ENV"]

#: environment variable naming the analyst when there is no login
USER_ENV = "HARMMAP_USER"
_NAME_KEY = "hm_analyst_name"        # the name typed in the form, remembered for the session
_FLASH_KEY = "hm_detail_flash"       # (incident_id, kind, message): the last save's outcome, kept across reruns
_REVEAL_KEY = "hm_detail_revealed"     # the incident whose graphic description the analyst chose to read
_SEEN_KEY = "hm_detail_seen"         # {form key: override version stored when that form was first drawn}
_NONCE_KEY = "hm_detail_nonce"       # bumped after a save so the form starts from the stored values

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
        # percent-encode what a URL may not hold raw (quotes, <, >, spaces): the link keeps working and
        # no HTML sanitiser downstream finds markup in it
        href = quote(s, safe=":/?#[]@!$&'()*+,;=%~")
        return f'<a href="{esc(href)}" target="_blank" rel="noopener noreferrer nofollow">{esc(s)}</a>'
    return f"<span>{esc(s)}</span>"


def _num(v) -> str:
    try:
        if v is None or v != v:
            return "not reported"
        return f"{int(v):,}"
    except (TypeError, ValueError):
        return "not reported"


def coordinates_text(inc: Mapping) -> str:
    """'50.45010, 30.52340 (exact)': lat, lon and how precise they are (2 decimals when coarsened).

    Example
    -------
    >>> coordinates_text({"lat": 50.46, "lon": 30.5, "geo_precision": "coarsened to ~5 km"})
    '50.46, 30.50 (coarsened to ~5 km)'
    >>> coordinates_text({"lat": None, "lon": None})
    'unknown'
    """
    lat, lon = inc.get("lat"), inc.get("lon")
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return "unknown"
    if lat != lat or lon != lon:
        return "unknown"
    prec = str(inc.get("geo_precision") or "")
    digits = 2 if prec.startswith("coarsened") else 5
    return f"{lat:.{digits}f}, {lon:.{digits}f}" + (f" ({prec})" if prec else "")


def detail_html(inc: dict) -> str:
    """HTML of one incident (from ``store.incident(id)``), every value escaped. The coordinates are the
    ones the store gives this user (coarsened for sensitive records when a policy applies:
    :class:`harmmap.sensitive.CoarseStore`)."""
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
        over = (f"<div class='hm-override' style='margin-top:6px;padding:4px 6px;border-left:3px solid #0072B2;"
                f"background:#0072B211'><b>Analyst override</b> by <span class='hm-ov-user'>{esc(o.get('user'))}"
                f"</span> at {esc(_when(o.get('at')))}: <span class='hm-ov-reason'>{esc(o.get('reason'))}</span></div>")
    urls = [u for u in (inc.get("source_urls") or []) if u]
    links = "".join(f"<li>{safe_link(u)}</li>" for u in urls) or "<li>none given</li>"
    date = esc(inc.get("date")) + (f" {esc(inc.get('time'))}" if inc.get("time") else "")
    rows = [
        ("Date", date + (f" <small>({esc(inc.get('date_precision'))})</small>"
                         if inc.get("date_precision") not in (None, "day") else "")),
        ("Place", place or "unknown"),
        ("Coordinates", f"<span class='hm-coords'>{esc(coordinates_text(inc))}</span>"),
        ("Categories", chips + (" <small>(analyst)</small>" if inc.get("overridden") else conf_s)),
        ("Evidence", esc(inc.get("category_evidence")) or "—"),
        ("Killed", _num(inc.get("fatalities"))),
        ("Injured", _num(inc.get("injuries"))),
        ("Type (source)", esc(inc.get("event_type")) or "—"),
        ("Weapon", esc(inc.get("weapon")) or "—"),
        ("Source", esc(inc.get("source"))),
    ]
    body = "".join(f"<tr><th style='text-align:left;vertical-align:top;padding-right:8px;white-space:nowrap;overflow-wrap:normal'>{k}</th>"
                   f"<td>{v}</td></tr>" for k, v in rows)
    return (f"<div class='hm-detail' style='font-size:14px;overflow-wrap:anywhere'>"
            f"<div style='color:#666;font-size:12px'>{esc(inc.get('incident_id'))}"
            f"</div><table style='border-collapse:collapse'>{body}</table>{over}"
            f"<div style='margin-top:6px'><b>Description</b><div style='white-space:pre-wrap'>"
            f"{esc(inc.get('description'))}</div></div>"
            f"<div style='margin-top:6px'><b>Sources</b><ul style='margin:0;padding-left:18px'>{links}</ul></div>"
            f"</div>")


def _when(at) -> str:
    """A timestamp as 'YYYY-MM-DD HH:MM UTC' (stores keep UTC without a zone)."""
    if at is None:
        return ""
    return at.strftime("%Y-%m-%d %H:%M UTC") if hasattr(at, "strftime") else str(at)


def category_label(category: str, tax: Taxonomy | None = None) -> str:
    """'Group · Category' as the sidebar writes it (just the label when they are the same).

    Example
    -------
    >>> category_label("energy")
    'Utilities · Energy (electricity)'
    """
    tax = tax or load_taxonomy()
    group = tax.groups.get(tax.group_of(category), "")
    label = tax.label(category)
    return label if not group or group == label else f"{group} · {label}"


def correction_options(tax: Taxonomy | None = None) -> list[str]:
    """The categories an analyst may choose (taxonomy order; 'unclassified' is the empty choice)."""
    tax = tax or load_taxonomy()
    return [c for c in tax.categories if c != UNCLASSIFIED]


def analyst_name(login: Mapping | None, env: Mapping | None = None, remembered: str | None = None) -> tuple[str, str]:
    """Who is correcting, and how we know: ``(name, how)`` with how in ``login``, ``env``, ``input``.

    A logged-in user (``st.user``: name, else email) wins; then ``$HARMMAP_USER``; else the name typed
    in the form earlier in the session (``remembered``, possibly empty: the form asks for it).

    Example
    -------
    >>> analyst_name({"is_logged_in": True, "name": "Olena K", "email": "o@x.org"}, {"HARMMAP_USER": "bot"})
    ('Olena K', 'login')
    >>> analyst_name({}, {"HARMMAP_USER": " ivan "})
    ('ivan', 'env')
    >>> analyst_name(None, {}, "me")
    ('me', 'input')
    """
    login = login or {}
    if login.get("is_logged_in"):
        for key in ("name", "email", "preferred_username", "sub"):
            v = str(login.get(key) or "").strip()
            if v:
                return v, "login"
    v = str((env or {}).get(USER_ENV) or "").strip()
    if v:
        return v, "env"
    return str(remembered or "").strip(), "input"


def correction_problems(categories: Sequence[str] | None, reason: str | None, user: str | None,
                        *, revert: bool = False, overridden: bool = True, tax: Taxonomy | None = None) -> list[str]:
    """What stops an analyst's correction from being saved (empty list = it can be saved).

    Example
    -------
    >>> correction_problems(["health"], "  ", "")
    ['Give a reason (it goes into the audit trail).', 'Give your name (it goes into the audit trail).']
    >>> correction_problems(["nope"], "seen on video", "olena")
    ["Unknown category 'nope' (see data/taxonomy.toml)."]
    """
    out = []
    if not str(reason or "").strip():
        out.append("Give a reason (it goes into the audit trail).")
    if not str(user or "").strip():
        out.append("Give your name (it goes into the audit trail).")
    if revert:
        if not overridden:
            out.append("There is no analyst correction to revert: the classifier's categories apply.")
        return out
    known = set(correction_options(tax))
    out += [f"Unknown category {c!r} (see data/taxonomy.toml)." for c in (categories or []) if c not in known]
    return out


def _chips(cats, tax: Taxonomy) -> str:
    cats = list(cats or [])
    if not cats:
        return "<i>none (unclassified)</i>"
    return "".join(
        f"<span style='display:inline-block;margin:1px 3px 1px 0;padding:0 6px;border-radius:9px;"
        f"border:1px solid #333;background:{esc(tax.color(c))}33'>{esc(tax.label(c))}</span>" for c in cats)


def comparison_html(inc: dict) -> str:
    """The classifier's categories and evidence beside the analyst's (who, when, why), all escaped."""
    tax = load_taxonomy()
    conf = inc.get("category_confidence")
    conf_s = (f"<div><small>confidence {float(conf):.2f}</small></div>"
              if isinstance(conf, (int, float)) and conf == conf and not inc.get("overridden") else "")
    classifier = (f"{_chips(inc.get('classifier_categories'), tax)}{conf_s}"
                  f"<div style='font-size:12px;color:#444;white-space:pre-wrap'>"
                  f"{esc(inc.get('category_evidence')) or 'no evidence recorded'}</div>")
    o = inc.get("override") or {}
    if inc.get("overridden") and o:
        analyst = (f"{_chips(o.get('categories'), tax)}<div style='font-size:12px'>by <b class='hm-ov-user'>"
                   f"{esc(o.get('user'))}</b>, {esc(_when(o.get('at')))} (version {int(o.get('version') or 0)})"
                   f"</div><div style='font-size:12px;white-space:pre-wrap' class='hm-ov-reason'>"
                   f"{esc(o.get('reason'))}</div>")
    elif o:
        analyst = (f"<i>reverted to the classifier</i> by {esc(o.get('user'))}, {esc(_when(o.get('at')))}"
                   f"<div style='font-size:12px;white-space:pre-wrap'>{esc(o.get('reason'))}</div>")
    else:
        analyst = "<i>no correction</i>"
    cell = "vertical-align:top;padding:4px 6px;border:1px solid #ddd;width:50%"
    return (f"<table class='hm-compare' style='border-collapse:collapse;width:100%;font-size:13px;"
            f"overflow-wrap:anywhere'>"
            f"<tr><th style='{cell};text-align:left'>Classifier</th>"
            f"<th style='{cell};text-align:left'>Analyst{' (wins)' if inc.get('overridden') else ''}</th></tr>"
            f"<tr><td style='{cell}'>{classifier}</td><td style='{cell}'>{analyst}</td></tr></table>")


def selected_incident(clicked: str | None, remembered: str | None, filter_ids: Sequence[str] = ()) -> str | None:
    """The incident the detail panel shows: the one just clicked, else the one clicked before, else the
    only incident a link selected (``/?ids=<id>``, e.g. from the Corrections page).

    Example
    -------
    >>> selected_incident(None, None, ("demo:000001",))
    'demo:000001'
    >>> selected_incident("demo:2", "demo:1", ("demo:3",))
    'demo:2'
    """
    if clicked:
        return clicked
    if remembered:
        return remembered
    ids = [i for i in filter_ids if i]
    return ids[0] if len(ids) == 1 else None


def _login_info() -> dict:
    from ui.auth import login_mode

    if login_mode()[0] == "password":        # the password file's user (ui/auth.py)
        return {"is_logged_in": True, "name": current_user().name}
    try:
        return dict(st.user.to_dict())
    except Exception:   # no login configured, or no script context (bare mode)
        return {}


def _show_current(store, incident_id: str) -> None:
    """After a conflict: what is stored now, from the store itself (not a cache)."""
    now = store.raw.incident(incident_id)
    if now is not None:
        st.markdown("**Stored now** (reload to edit these):")
        st.html(comparison_html(now))


def correction_form(store, inc: dict) -> None:
    """'Correct the categories': choose categories, give a reason, save (or revert to the classifier).

    The override is saved against the version the analyst last saw; on a conflict the message says who
    saved and when, and the values now stored are shown: nothing is overwritten silently.
    """
    tax = load_taxonomy()
    iid = str(inc["incident_id"])
    nonce = st.session_state.get(_NONCE_KEY, 0)
    form_key = f"hm_fix_{iid}_{nonce}"
    # the version the analyst started editing from: fixed when this form is first drawn, so that a rerun
    # (the map reporting its view) after someone else saved cannot make their save look "seen"
    seen = st.session_state.setdefault(_SEEN_KEY, {}).setdefault(form_key, int(inc.get("override_version") or 0))
    name, how = analyst_name(_login_info(), os.environ, st.session_state.get(_NAME_KEY))
    overridden = bool(inc.get("overridden"))
    current = list((inc.get("override") or {}).get("categories") or []) if overridden else \
        list(inc.get("classifier_categories") or [])
    options = correction_options(tax)

    st.markdown("##### Correct the categories")
    st.html(comparison_html(inc))
    # Save and Revert act in their buttons' callbacks, which run before the page's script: a click is not
    # lost when the map reports its view meanwhile (that rerun interrupts the script, never a callback)
    act = dict(store=store, inc=inc, how=how, name=name, seen=seen, form_key=form_key, nonce=nonce)
    with st.form(key=form_key, border=True):
        st.multiselect("Categories", options, default=[c for c in current if c in options],
                       format_func=lambda c: category_label(c, tax), key=f"hm_fix_cats_{iid}_{nonce}",
                       placeholder="none (unclassified)",
                       help="What was hit, as the analyst reads the sources. Leave empty for 'none'. "
                            "The analyst's categories win over the classifier's on every page.")
        st.text_area("Reason (required)", key=f"hm_fix_reason_{iid}_{nonce}", height=68,
                     placeholder="e.g. the video shows the school's gym hit, not the houses next to it")
        if how == "input":
            st.text_input("Your name (required)", value=name, key=f"hm_fix_user_{iid}_{nonce}")
        else:
            st.caption(f"Saved as **{md_text(name)}** ({'logged in' if how == 'login' else f'${USER_ENV}'}).")
        st.form_submit_button("Save", type="primary", width="stretch", icon=":material/save:",
                              on_click=_submit, kwargs={**act, "revert": False})
        st.form_submit_button("Revert to the classifier", width="stretch", disabled=not overridden,
                              icon=":material/undo:", on_click=_submit, kwargs={**act, "revert": True},
                              help="Drop the analyst's categories; the classifier's apply again.")
    # the outcome stays until the next save or another incident (the map's reruns must not wipe it)
    flash = st.session_state.get(_FLASH_KEY)
    if flash and flash[0] == iid and flash[1] in ("error", "conflict"):
        st.error(flash[2], icon=":material/sync_problem:" if flash[1] == "conflict" else ":material/error:")
        if flash[1] == "conflict":
            _show_current(store, iid)


def _submit(*, store, inc: dict, how: str, name: str, seen: int, form_key: str, nonce: int, revert: bool) -> None:
    """Save or Revert's callback: validate and store the analyst's correction from the form's values; the
    outcome goes to the flash, and a saved correction starts a fresh form (the script runs after this)."""
    tax = load_taxonomy()
    iid = str(inc["incident_id"])
    cats = st.session_state.get(f"hm_fix_cats_{iid}_{nonce}") or []
    reason = str(st.session_state.get(f"hm_fix_reason_{iid}_{nonce}") or "")
    user = str((st.session_state.get(f"hm_fix_user_{iid}_{nonce}") if how == "input" else name) or "").strip()
    if how == "input" and user:
        st.session_state[_NAME_KEY] = user
    problems = correction_problems(cats, reason, user, revert=revert, overridden=bool(inc.get("overridden")),
                                   tax=tax)
    if problems:
        st.session_state[_FLASH_KEY] = (iid, "error", "Not saved. " + " ".join(problems))
        return
    try:
        if revert:
            version = store.raw.clear_override(iid, user, reason.strip(), expected_version=seen)
            msg = f"Reverted to the classifier's categories (version {version}), by {md_text(user)}."
        else:
            version = store.raw.set_override(iid, list(cats), user, reason.strip(), expected_version=seen)
            labels = ", ".join(tax.label(c) for c in cats) or "none"
            msg = f"Saved: {labels} (version {version}), by {md_text(user)}. The map, counts and legend follow."
    except ConflictError as exc:
        st.session_state[_FLASH_KEY] = (iid, "conflict", "Not saved: someone else changed this incident. "
                                        + md_text(exc))
        # the analyst now sees what is stored: saving again is a deliberate choice
        now = store.raw.incident(iid) or {}
        st.session_state[_SEEN_KEY][form_key] = int(now.get("override_version") or 0)
        return
    except StoreError as exc:
        st.session_state[_FLASH_KEY] = (iid, "error", f"Not saved: {md_text(exc)}")
        return
    st.cache_data.clear()            # the map, counts, legend and charts read the new categories
    st.session_state[_FLASH_KEY] = (iid, "success", msg)
    st.session_state[_NONCE_KEY] = nonce + 1
    st.session_state[_SEEN_KEY].pop(form_key, None)


def show_detail(store, incident_id: str | None) -> None:
    """Draw the detail panel (or a hint to click an incident), and the form to correct its categories."""
    st.markdown("#### Incident")
    if not incident_id:
        st.caption("Click a point on the map to see its date, place, description, categories with evidence, "
                   "casualties and sources here.")
        return
    inc = store.raw.incident(incident_id)
    if inc is None:
        st.caption(f"Incident {md_text(incident_id)} is not in the store.")
        return
    flash = st.session_state.get(_FLASH_KEY)
    if flash and flash[0] != incident_id:
        flash = st.session_state.pop(_FLASH_KEY)   # another incident: the last outcome is done with
    elif flash and flash[1] == "success":
        st.success(flash[2], icon=":material/check_circle:")
    shown = inc
    if is_graphic(inc.get("description")) and st.session_state.get(_REVEAL_KEY) != incident_id:
        st.warning("This incident's description is graphic (data/graphic_terms.txt).", icon=":material/visibility_off:")
        st.button("Show the description", key="hm_reveal", on_click=st.session_state.__setitem__,
                  args=(_REVEAL_KEY, incident_id))     # a callback: not lost to the map's rerun
        shown = {**inc, "description": "(hidden: graphic description)"}
    st.html(detail_html(shown))
    if can("correct"):
        correction_form(store, inc)
    else:
        user = current_user()
        st.caption(f"Signed in as {md_text(user.name)} ({user.role}): correcting categories needs the editor role.")
