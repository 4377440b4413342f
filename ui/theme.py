"""Small layout adjustments (Streamlit only): less empty space above the page so the map fits 1280x800."""

from __future__ import annotations

import streamlit as st

__all__ = ["apply"]

_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 1rem; }
[data-testid="stSidebarHeader"] { height: 2.5rem; }
</style>
"""


def apply() -> None:
    """Inject the dashboard's CSS (fixed text, no data in it)."""
    st.html(_CSS)
