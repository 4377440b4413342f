"""HarmMap core: read, classify, store, query and analyse incidents of harm to civilian infrastructure.

This package never imports streamlit: it is usable from a notebook, the CLI and the dashboard alike.
"""

__version__ = "0.1.0"
