"""Streamlit-only helpers: the cached store, the filter sidebar (URL state), page furniture.

The offline assets helper lives in :mod:`layers.assets` (it has no Streamlit dependency, so the
layer tests can check the rendered HTML); :mod:`ui.offline` re-exports it.
"""
