"""Trends and patterns an analyst can defend: pure functions over incident tables.

Every function takes a pandas DataFrame of incidents as :meth:`harmmap.store.Store.incidents`
returns it (``incident_id, date, time, lon, lat, admin1, categories, fatalities, h3_r4..h3_r8,
duplicate_of``) or an aggregate, and never calls the store or Streamlit. Incident frames may be grouped
counts (an ``incidents`` column: each row stands for that many incidents, as
:meth:`harmmap.stores.sql.SqlStore.analysis_counts` gives them) and may give the categories as the
store's bit mask (``eff_mask`` with ``attrs['category_bits']``) instead of lists: the findings are the same. Detectors return
:class:`Finding` objects: a title, a ``method`` sentence a briefing can quote, the numbers, and
``filters`` that open exactly the finding's incidents on the map.

Example
-------
>>> import pandas as pd
>>> from harmmap import analysis
>>> df = pd.DataFrame({"date": pd.to_datetime(["2022-10-10"] * 3), "admin1": ["Kyiv", "Lviv", "Odesa"],
...                    "categories": [["energy"]] * 3})
>>> analysis.resample(df, freq="D", by="group").value.tolist()
[3]
"""

from harmmap.analysis.findings import Finding, bh_qvalues, findings_frame
from harmmap.analysis.hotspots import (
                                       EHSA_PATTERNS,
                                       detect_hotspots,
                                       emerging_findings,
                                       emerging_hotspots,
                                       getis_ord,
                                       mann_kendall,
)
from harmmap.analysis.regions import Comparison, compare, period_vs_period, similarity
from harmmap.analysis.repeats import detect_repeats, repeat_sites
from harmmap.analysis.spikes import detect_spikes, weekly_tests
from harmmap.analysis.trends import resample, small_multiples
from harmmap.analysis.waves import daily_regions, detect_waves

__all__ = [
    "Finding", "findings_frame", "bh_qvalues",
    "resample", "small_multiples",
    "detect_spikes", "weekly_tests",
    "detect_waves", "daily_regions",
    "detect_repeats", "repeat_sites",
    "getis_ord", "detect_hotspots", "emerging_hotspots", "emerging_findings", "mann_kendall", "EHSA_PATTERNS",
    "compare", "period_vs_period", "similarity", "Comparison",
]
