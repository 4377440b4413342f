"""Briefing page (being built)."""

from __future__ import annotations

import streamlit as st

from ui.common import context

ctx = context()
st.info("This page is not built yet.")
