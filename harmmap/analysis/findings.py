"""The :class:`Finding`: one pattern an analyst can quote, with its numbers and its incidents.

Every detector in :mod:`harmmap.analysis` returns findings of this one shape, so that the
patterns page, the briefing pack and the CLI show them the same way: a ``title`` for the list,
a ``method`` sentence a briefing can quote word for word, the ``numbers`` behind the claim
(observed, expected, p, q, ...) and ``filters`` that open exactly the finding's incidents on
the map.

Example
-------
>>> from harmmap.query import Filters
>>> f = Finding("spike", "Kharkiv, energy: 12 incidents in the week of 2022-10-10",
...             "Weeks at least 100% above the previous four weeks' average.",
...             {"observed": 12, "expected": 2.5, "p": 1e-4, "q": 0.003},
...             Filters(admin1=("Kharkiv",), categories=("energy",)))
>>> f.p, f.q
(0.0001, 0.003)
>>> findings_frame([f])[["kind", "observed", "q"]].to_dict("records")
[{'kind': 'spike', 'observed': 12, 'q': 0.003}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harmmap.query import Filters

__all__ = ["Finding", "findings_frame", "bh_qvalues"]


@dataclass(frozen=True)
class Finding:
    """One finding.

    Attributes
    ----------
    kind : str
        ``spike``, ``wave``, ``repeat``, ``hotspot``, ``emerging``, ``region``, ``change``.
    title : str
        One line for a list (plain text; escape it when it becomes HTML: it may hold names from data).
    method : str
        A sentence a briefing can quote: how the finding was detected and what the test was.
    numbers : dict
        The figures behind the claim (``observed``, ``expected``, ``ratio``, ``p``, ``q``, ...).
    filters : Filters
        Opens exactly this finding's incidents on the map.
    score : float
        Ranking key (higher first); detectors sort their findings by it.
    """

    kind: str
    title: str
    method: str
    numbers: dict = field(default_factory=dict)
    filters: Filters = field(default_factory=Filters)
    score: float = 0.0

    @property
    def p(self) -> float | None:
        return self.numbers.get("p")

    @property
    def q(self) -> float | None:
        return self.numbers.get("q")

    def to_dict(self) -> dict:
        """Flat dict: kind, title, method, score, the numbers, and the filters as URL parameters."""
        d = {"kind": self.kind, "title": self.title, "method": self.method, "score": self.score}
        d.update(self.numbers)
        d["filters"] = self.filters.to_params()
        return d


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table (one row each, numbers as columns), in the order given."""
    if not findings:
        return pd.DataFrame(columns=["kind", "title", "method", "score", "filters"])
    return pd.DataFrame([f.to_dict() for f in findings])


def bh_qvalues(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as ``p``; NaN stays NaN.

    >>> bh_qvalues([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv, kind="mergesort")
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


def fmt_p(p: float) -> str:
    """'p < 0.001' or 'p = 0.012' for titles."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
