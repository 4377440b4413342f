"""ACLED exports (CSV or XLSX), current (31-33 columns: civilian_targeting, disorder_type, tags) and
older schemas (data_id, event_id_no_cnty, iso3).

Mapping: ``event_id_cnty`` -> ``incident_id`` ("acled:UKR12345"); ``event_date`` (ISO, "13 May 2022"
or dd/mm/YYYY [HH:MM:SS]); ``time_precision`` 1/2/3 -> day/week/month; ``geo_precision`` 1/2/3 ->
exact/town/region; ``notes`` -> description; ``sub_event_type`` -> event_type; ``actor1`` -> actor;
``admin1`` -> admin1_raw (admin1 is set by :mod:`harmmap.enrich`); ``admin2`` -> admin2;
``tags`` (';'-separated), ``civilian_targeting`` and the publishers in ``source`` go to
source_labels, the latter as ``"publisher/<name>"`` (ACLED gives no URLs).

Pre-2022 rows are valid incidents: the study period is a filter in the app, not at import.

Example
-------
>>> from harmmap.io import acled
>>> r = acled.read("acled_export.csv")                            # doctest: +SKIP
>>> r.report["loaded"], r.report["reasons"]                       # doctest: +SKIP
(999, {'outside_study_area': 1})
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from harmmap import schema
from harmmap.io import common as C

REQUIRED = ("event_date", "latitude", "longitude")
GEO_PRECISION = {"1": "exact", "2": "town", "3": "region"}
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}


def _col_name(c) -> str:
    """ACLED's column name as the export writes it: "Event Date" or "EVENT_DATE" -> "event_date"."""
    return re.sub(r"[\s\-]+", "_", str(c).replace("\ufeff", "").strip().lower())


def looks_like_acled(columns) -> bool:
    """True when a header is ACLED's (event_id_cnty + event_date + sub_event_type...), in any case
    and with spaces for underscores (as a spreadsheet may re-title them)."""
    cols = {_col_name(c) for c in columns}
    return {"event_id_cnty", "event_date", "latitude", "longitude"} <= cols and (
        "sub_event_type" in cols or "event_type" in cols)


def read(path, *, source: str | None = None, sheet=None, today=None, date_order: str | None = None,
         **_opts) -> C.ReadResult:
    """Read an ACLED export (CSV/TSV, XLSX, or the JSON of ACLED's API: ``{"data": [...]}``).

    Parameters
    ----------
    path : the file.
    source : data set name (default ``"acled"``).
    sheet : XLSX sheet name or index (default: the first).
    date_order : how to read NN/NN/YYYY dates: ACLED writes "13 May 2022" or ISO, but a spreadsheet
        re-saves them in its locale's order; by default decided per column (a value with a day
        above 12 tells), else day-first. Rows whose ``country`` is not Ukraine are rejected
        (``outside_study_area``).

    Returns
    -------
    ReadResult with canonical incidents, rejects and a report.

    Example
    -------
    >>> read("2024-ukraine.csv").report["format"]                  # doctest: +SKIP
    'acled'
    """
    from harmmap.io import table

    path = Path(path)
    source = source or "acled"
    if path.suffix.lower() == ".json":
        frame, rows, warnings, malformed = _load_api_json(path)
    else:
        frame, rows, warnings, malformed = table.load_raw(path, sheet=sheet)
    frame.columns = [_col_name(c) for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise C.ReadError(f"{path}: not an ACLED export: no column(s) {', '.join(missing)} "
                          f"(columns are {', '.join(map(str, frame.columns[:12]))}...)")
    raw = C.to_text_frame(frame)
    n = len(raw)

    def col(name: str) -> pd.Series:
        return C.clean_strings(raw[name]) if name in raw.columns else pd.Series([""] * n, dtype="str")

    problems = C.Problems(n)
    lat = C.parse_coordinate(raw["latitude"])
    lon = C.parse_coordinate(raw["longitude"])
    problems.add(*C.check_coordinates(lat, lon, raw["latitude"], raw["longitude"]))
    order = date_order if date_order in ("dmy", "mdy") else "auto-dmy"
    dates = C.parse_dates(raw["event_date"], order=order, today=today, column="event_date")
    problems.add(dates["reason"], dates["detail"])
    country = col("country")
    foreign = ((country != "") & (country.str.lower() != "ukraine")).to_numpy()
    if foreign.any():
        problems.add_mask(foreign, "outside_study_area",
                          np.array([f"country is {c!r}, not Ukraine" for c in country], dtype=object))

    own_id = col("event_id_cnty")
    alt = col("data_id").where(col("data_id") != "", col("id"))
    no_id = own_id == ""
    ids = "acled:" + own_id.where(~no_id, "row-" + alt.where(alt != "", C.content_ids(
        raw, ["event_date", "latitude", "longitude", "notes"])))
    C.mark_duplicate_ids(ids, rows, problems, label="event_id_cnty")

    labels = _labels(col("tags"), col("civilian_targeting"), col("source"))
    parsed = pd.DataFrame({
        "incident_id": ids, "source": source, "date": dates["date"], "time": dates["time"],
        "date_precision": col("time_precision").map(TIME_PRECISION).fillna("day"),
        "lon": lon, "lat": lat,
        "geo_precision": col("geo_precision").map(GEO_PRECISION).fillna("exact"),
        "admin1_raw": col("admin1").replace("", pd.NA), "admin2": col("admin2").replace("", pd.NA),
        "location": col("location").replace("", pd.NA), "description": col("notes").replace("", pd.NA),
        "event_type": col("sub_event_type").where(col("sub_event_type") != "", col("event_type")).replace("", pd.NA),
        "source_labels": labels,
        "fatalities": schema.to_count(col("fatalities")),
        "actor": col("actor1").replace("", pd.NA),
    })
    if no_id.any():
        warnings.append(f"{int(no_id.sum())} row(s) have no event_id_cnty: ids were made from data_id/id "
                        "or the row's content")
    return C.finish(raw, rows, parsed, problems, path=path, fmt="acled", source=source, warnings=warnings,
                    extra_rejects=malformed)


def looks_like_api_json(path) -> bool:
    """The JSON that ACLED's API returns: ``{"status": 200, "success": true, "data": [{event_id_cnty...}]}``."""
    head = C.sniff_bytes(Path(path)).decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    return head.startswith("{") and '"data"' in head and "event_id_cnty" in head


def _load_api_json(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[str], pd.DataFrame | None]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise C.ReadError(f"{path}: not readable as JSON: {exc}") from exc
    data = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise C.ReadError(f"{path}: an ACLED API response needs a \"data\" list of events")
    warnings = []
    if isinstance(doc, dict) and doc.get("success") is False:
        warnings.append(f"the API response says success=false: {str(doc.get('error') or '')[:200]}")
    frame = pd.DataFrame.from_records(data) if data else pd.DataFrame(columns=list(REQUIRED))
    return frame, np.arange(1, len(frame) + 1, dtype=np.int64), warnings, None


def _labels(tags: pd.Series, civ: pd.Series, publishers: pd.Series) -> list[list[str]]:
    out = []
    for t, c, p in zip(tags, civ, publishers, strict=False):
        lab: list[str] = []
        if c:
            lab.append(c)
        if t:
            lab += [x.strip() for x in t.split(";") if x.strip()]
        if p:
            lab += ["publisher/" + x.strip() for x in p.split(";") if x.strip()]
        out.append(lab)
    return out


__all__ = ["read", "looks_like_acled", "np"]
