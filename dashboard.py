"""HarmMap dashboard entry point: ``streamlit run dashboard.py``.

Page config, the store (built from the synthetic demo data on first run, with a progress bar), the
shared filter sidebar (one Filters object mirrored in the URL), the synthetic-data banner, and
navigation over the pages in app_pages/. Not "pages/": Streamlit serves a folder of that name by its
automatic multipage discovery until the entrypoint has run once, so on a freshly started server a shared link
to /trends would run the page without this entrypoint (no store, no filters, and no login check).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui.auth import require_login  # noqa: E402
from ui.common import Context, set_context, synthetic_banner  # noqa: E402
from ui.present import apply_presentation  # noqa: E402
from ui.sidebar import sidebar  # noqa: E402
from ui.store import ready_store  # noqa: E402
from ui.theme import apply as apply_theme  # noqa: E402

st.set_page_config(page_title="HarmMap", page_icon="🗺️", layout="wide", initial_sidebar_state="expanded")
user = require_login()      # when login is configured, nothing below runs until the user has signed in

PAGES = [
    st.Page(str(ROOT / "app_pages" / "map.py"), title="Map", icon=":material/map:", url_path="map", default=True),
    st.Page(str(ROOT / "app_pages" / "trends.py"), title="Trends", icon=":material/bar_chart:", url_path="trends"),
    st.Page(str(ROOT / "app_pages" / "patterns.py"), title="Patterns", icon=":material/insights:", url_path="patterns"),
    st.Page(str(ROOT / "app_pages" / "briefing.py"), title="Briefing", icon=":material/slideshow:", url_path="briefing"),
    st.Page(str(ROOT / "app_pages" / "data.py"), title="Data", icon=":material/upload_file:", url_path="data"),
    st.Page(str(ROOT / "app_pages" / "audit.py"), title="Corrections", icon=":material/history:", url_path="audit"),
]
nav = st.navigation(PAGES)
apply_theme()

store = ready_store()
st.sidebar.markdown("## HarmMap")
st.sidebar.caption("Attacks on civilian infrastructure in Ukraine since 24 February 2022")
filters = sidebar(store)
set_context(Context(store=store, filters=filters))
presenting = apply_presentation()   # ?present=1 or the sidebar toggle: hides the chrome, draws the header
if not presenting:
    synthetic_banner(store)
nav.run()
