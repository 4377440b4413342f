"""Page furniture shared by every page: the context (store + filters), the synthetic-data banner,
the empty-results message (Streamlit only)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from harmmap.query import Filters
from ui.sidebar import clear_filters
from ui.store import CachedStore
from ui.text import md_text

__all__ = ["Context", "set_context", "context", "synthetic_banner", "empty_state", "SYNTHETIC_TEXT"]

_KEY = "harmmap_context"
SYNTHETIC_TEXT = ("**Synthetic demo data**: every incident shown is invented (real town names, made-up "
                  "events). Load real data with `python -m harmmap ingest FILE`.")


@dataclass
class Context:
    """What every page needs: the (cached) store and the sidebar's Filters."""

    store: CachedStore
    filters: Filters


def set_context(ctx: Context) -> None:
    st.session_state[_KEY] = ctx


def context() -> Context:
    """The context the entrypoint (dashboard.py) set for this run."""
    ctx = st.session_state.get(_KEY)
    if ctx is None:
        st.error("Open the dashboard through `streamlit run dashboard.py`.")
        st.stop()
    return ctx


def synthetic_banner(store: CachedStore) -> None:
    """Say clearly that the data are synthetic when the demo data set is loaded (in presentation mode
    the presentation header says it instead)."""
    from ui.present import is_presenting

    if store.info.synthetic and not is_presenting():
        st.warning(SYNTHETIC_TEXT, icon=":material/science:")


def empty_state(filters: Filters, where: str = "") -> None:
    """No incidents match: say so, say what is filtered, offer to clear the filters."""
    st.info(f"No incidents match these filters{where} ({md_text(filters.describe())}).", icon=":material/search_off:")
    st.button("Clear filters", on_click=clear_filters, key=f"empty_clear{where}")
