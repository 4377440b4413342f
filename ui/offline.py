"""Offline map assets: see :mod:`layers.assets` (kept there so it is testable without Streamlit)."""

from layers.assets import LOCAL, STATIC_DIR, STATIC_URL, asset_links, localize

__all__ = ["LOCAL", "STATIC_DIR", "STATIC_URL", "asset_links", "localize"]
