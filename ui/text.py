"""Untrusted text inside Streamlit markdown (Streamlit only has no dependency here; plain string work)."""

from __future__ import annotations

import re

__all__ = ["md_text"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=\"'])")


def md_text(text) -> str:
    r"""Untrusted text made literal inside Streamlit markdown (st.success, st.caption...): every markdown
    character backslash-escaped, so a name like ``[x](javascript:...)`` stays text, not a link.

    Example
    -------
    >>> print(md_text("[x](javascript:alert(1)) **b**"))
    \[x\]\(javascript\:alert\(1\)\) \*\*b\*\*
    """
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text)).replace("\n", " ")
