"""The ingest pipeline: read -> enrich -> link duplicates -> store.write_incidents, one file at a time.

Each file gives a report (what the reader said plus ``linked_duplicates``, ``written``, the
``rejects_file`` and the region checks). Rejected rows are written as CSV into a rejects folder
(default data/rejects/) so an analyst can fix and reload them.

Example
-------
>>> from harmmap.store import open_store
>>> store = open_store(":memory:")                                            # doctest: +SKIP
>>> [r["loaded"] for r in ingest_files(["acled.csv", "bellingcat/"], store)]  # doctest: +SKIP
[999, 700]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import harmmap.io.detect as _detect
from harmmap import paths, schema
from harmmap.enrich import enrich, link_duplicates
from harmmap.query import Filters

DEFAULT_REJECTS = paths.DATA / "rejects"


def rejects_path(rejects_dir, dataset: str, path) -> Path:
    """data/rejects/<dataset>-<file>-rejects.csv (the file's name keeps two files of one source apart)."""
    stem = re.sub(r"[^\w.-]+", "_", Path(path).name.rsplit(".", 1)[0]) or "file"
    name = dataset if stem == dataset else f"{dataset}-{stem}"
    safe = re.sub(r"[^\w.-]+", "_", name)
    return Path(rejects_dir) / f"{safe}-rejects.csv"


def ingest_file(path, store, *, fmt: str = "auto", source: str | None = None, mapping=None,
                rejects_dir=None, boundaries=None, classify: bool = True, **opts) -> dict:
    """Ingest one file (or TimeMap folder); return its report. See :func:`ingest_files`."""
    result = _detect.read(path, fmt=fmt, source=source, mapping=mapping, **opts) if mapping is not None else \
        _detect.read(path, fmt=fmt, source=source, **opts)
    report = dict(result.report)
    dataset = report.get("source") or source or "upload"
    gdf = enrich(result.incidents, boundaries=boundaries, classify=classify)
    info = gdf.attrs.get("enrich", {})
    report["admin1_disagreements_count"] = info.get("admin1_disagreements_count", 0)
    report["admin1_disagreements"] = info.get("admin1_disagreements", [])
    report["linked_duplicates"] = 0
    if len(gdf):
        existing = _candidates(store, gdf)
        dup = link_duplicates(gdf, existing)
        gdf["duplicate_of"] = dup.where(dup.notna(), gdf["duplicate_of"]).astype("string").values
        report["linked_duplicates"] = int(dup.notna().sum())
        report["written"] = int(store.write_incidents(gdf, dataset, file=str(result.report.get(
            "events_file", path)) if Path(path).is_file() or "events_file" in result.report else None))
    else:
        report["written"] = 0
    report["rejects_file"] = None
    if len(result.rejects):
        out = rejects_path(rejects_dir or DEFAULT_REJECTS, dataset, path)
        out.parent.mkdir(parents=True, exist_ok=True)
        result.rejects.to_csv(out, index=False)
        report["rejects_file"] = str(out)
    return report


def ingest_files(paths_, store, *, fmt: str = "auto", source: str | None = None, mapping=None,
                 progress: Callable[[int, int, str], None] | None = None, rejects_dir=None,
                 boundaries=None, classify: bool = True, **opts) -> list[dict]:
    """Ingest files in order (later files link their duplicates to earlier ones); list of reports.

    Parameters
    ----------
    paths_ : files (a TimeMap folder counts as one file).
    store : a :class:`harmmap.store.Store` (``open_store(url)``).
    fmt : auto | acled | timemap | table.
    source : data set name (default: the reader's: acled, bellingcat, cir, or the file name).
    mapping : a table :class:`~harmmap.io.table.Mapping` (or its dict) for table files.
    progress : called as ``progress(i, n, path)`` before each file.
    rejects_dir : where rejected rows go (default data/rejects/).

    Each report has ``path, format, source, read, loaded, rejected, reasons, linked_duplicates,
    written, rejects_file, warnings, admin1_disagreements_count, admin1_disagreements``.
    """
    reports = []
    items = list(paths_)
    for i, p in enumerate(items):
        if progress:
            progress(i, len(items), str(p))
        reports.append(ingest_file(p, store, fmt=fmt, source=source, mapping=mapping, rejects_dir=rejects_dir,
                                   boundaries=boundaries, classify=classify, **opts))
    return reports


def _candidates(store, gdf) -> pd.DataFrame | None:
    """Incidents already stored near these, in time and space (the duplicate candidates)."""
    dates = pd.to_datetime(gdf["date"])
    if dates.isna().all():
        return None
    b = gdf.total_bounds
    pad = 0.02
    f = Filters(date_from=(dates.min() - pd.Timedelta(days=1)).date(),
                date_to=(dates.max() + pd.Timedelta(days=1)).date(),
                bbox=(float(b[0] - pad), float(b[1] - pad), float(b[2] + pad), float(b[3] + pad)),
                include_duplicates=True)
    try:
        return store.incidents(f, columns=["incident_id", "source", "date", "lon", "lat", "categories",
                                           "duplicate_of"])
    except Exception as exc:  # noqa: BLE001 - report, do not lose the load
        raise RuntimeError(f"reading duplicate candidates from the store failed: {exc}") from exc


__all__ = ["ingest_files", "ingest_file", "rejects_path", "DEFAULT_REJECTS", "schema", "dt"]
