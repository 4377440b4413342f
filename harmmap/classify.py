"""Classify what was hit: taxonomy + text rules + source-label mapping + proximity -> categories,
confidence and evidence. (Stub: the real classifier replaces this; the interface stays.)"""

from __future__ import annotations

import pandas as pd


def classify_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Classify canonical incidents.

    Parameters
    ----------
    df : DataFrame with ``description``, ``event_type``, ``source_labels`` (list), ``source`` and,
        when proximity evidence is wanted, ``geometry``.

    Returns
    -------
    DataFrame indexed like ``df`` with ``categories`` (list[str]), ``category_confidence`` (float)
    and ``category_evidence`` (str).
    """
    return pd.DataFrame({"categories": [[] for _ in range(len(df))],
                         "category_confidence": 0.0,
                         "category_evidence": pd.Series([""] * len(df), dtype="string")},
                        index=df.index)
