"""Presentation mode (Streamlit only): ``?present=1`` in the URL, or the sidebar toggle.

When on, the sidebar, Streamlit's header and toolbar and the widget chrome (buttons, popovers,
download buttons, table toolbars) are hidden with CSS, and a header line says what is shown: a
title written from the filters, "generated <UTC time>", the data sources and their dates, and
"Synthetic demo data" when it is. The filters still come from the URL, so a shared link opens the
same slide. A small "Exit presentation" button (bottom right) turns it off.

The entrypoint calls :func:`apply_presentation` once per run, after the context is set::

    presenting = apply_presentation()
    if not presenting:
        synthetic_banner(store)

Pages that need to know call :func:`presentation_for_page` (it applies the mode itself when the
entrypoint did not).
"""

from __future__ import annotations

import streamlit as st

from harmmap import briefing, export
from layers.common import esc

__all__ = ["PARAM", "is_presenting", "apply_presentation", "presentation_for_page", "header_html"]

PARAM = "present"
_APPLIED = "hm_present_applied"
_TOGGLE = "hm_present_toggle"
_ON = ("1", "true", "yes", "on")

_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
[data-testid="stSidebarNav"], header[data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], #MainMenu, footer,
[data-testid="stElementToolbar"], [data-testid="stPopover"], .stDownloadButton, .stButton,
[data-testid="stBaseButton-headerNoPadding"] { display: none !important; }
.st-key-hm_present_exit .stButton { display: block !important; }
.st-key-hm_present_exit { position: fixed; right: .6rem; top: .4rem; z-index: 1000; width: auto !important;
  opacity: .35; }
.st-key-hm_present_exit:hover { opacity: 1; }
.st-key-hm_present_exit button { min-height: 1.6rem; padding: .05rem .55rem; font-size: .75rem; }
[data-testid="stMainBlockContainer"] { padding-top: .7rem !important; padding-bottom: .4rem !important;
  padding-left: 1.6rem !important; padding-right: 1.6rem !important; max-width: 100% !important; }
[data-testid="stAppViewContainer"] > section, [data-testid="stMain"] { margin-left: 0 !important; }
.hm-present { border-bottom: 1px solid #ddd; padding-bottom: .35rem; margin-bottom: .1rem; }
.hm-present-title { font-size: 1.45rem; font-weight: 700; line-height: 1.25; color: #111; }
.hm-present-meta { font-size: .85rem; color: #444; margin-top: .15rem; }
.hm-present-synth { color: #b00020; font-weight: 700; }
</style>
"""


def is_presenting() -> bool:
    """Whether the URL asks for presentation mode (``?present=1``)."""
    return str(st.query_params.get(PARAM, "")).strip().lower() in _ON


def _turn_on() -> None:
    if st.session_state.get(_TOGGLE):
        st.query_params[PARAM] = "1"


def _turn_off() -> None:
    if PARAM in st.query_params:
        del st.query_params[PARAM]
    st.session_state[_TOGGLE] = False


def header_html(title: str, sources: list[dict], generated: str, synthetic: bool) -> str:
    """The presentation header (every piece of text escaped)."""
    meta = [f"generated {esc(generated)}", esc(briefing.sources_line(sources))]
    if synthetic:
        meta.append(f'<span class="hm-present-synth">{esc(briefing.SYNTHETIC_NOTE)}</span>')
    return (f'<div class="hm-present" data-testid="hm-present-header">'
            f'<div class="hm-present-title">{esc(title)}</div>'
            f'<div class="hm-present-meta">{" · ".join(meta)}</div></div>')


def apply_presentation(store=None, filters=None) -> bool:
    """Presentation mode for this run: True when on (chrome hidden, header drawn), False when off (the
    toggle is offered in the sidebar). ``store``/``filters`` default to the page context's."""
    on = is_presenting()
    st.session_state[_APPLIED] = on
    if not on:
        st.sidebar.toggle("Presentation mode", key=_TOGGLE, on_change=_turn_on,
                          help="Hide the sidebar and controls for a screen or a screenshot "
                               "(also ?present=1 in the link)")
        return False
    if store is None or filters is None:
        from ui.common import context

        ctx = context()
        store = store if store is not None else ctx.store
        filters = filters if filters is not None else ctx.filters
    from ui.briefing import sources

    st.html(_CSS)
    s = store.summary(filters)
    ttl = briefing.title(filters, s.get("incidents") or 0, date_min=s.get("date_min"), date_max=s.get("date_max"))
    sub = briefing.subtitle(filters)
    if sub:
        ttl += briefing.SEP + sub
    src = sources(store)
    synthetic = bool(getattr(store.info, "synthetic", False)) or briefing.is_synthetic(src)
    st.html(header_html(ttl, src, export.fmt_utc(export.utc_now()), synthetic))
    with st.container(key="hm_present_exit"):
        st.button("Exit presentation", on_click=_turn_off, key="hm_present_exit_btn",
                  icon=":material/close_fullscreen:")
    return True


def presentation_for_page() -> bool:
    """For a page: whether presentation mode is on in this run; applies it when the entrypoint did not."""
    done = st.session_state.pop(_APPLIED, None)
    if done is None:
        done = apply_presentation()
        st.session_state.pop(_APPLIED, None)
    return bool(done)
