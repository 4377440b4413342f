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
    missing = info.get("admin1_missing", 0)
    if missing:
        report.setdefault("warnings", []).append(
            f"{missing} of {len(gdf)} incidents have no oblast: " + (
                "the file names none and no boundaries are configured to locate them; run `python -m harmmap "
                "boundaries load FILE --level 1` (e.g. geoBoundaries ADM1) and load this file again"
                if not info.get("boundaries_configured") else
                "they lie outside the configured boundaries and the file names none"))
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


# ------------------------------------------------------------------------------------------------
# for the dashboard's Data page (and any caller that loads files an analyst hands over)
# ------------------------------------------------------------------------------------------------
#: Parts of a file that is loaded through another file: a TimeMap export's side tables, a shapefile's
#: sidecars. Uploaded alone they cannot be read.
TIMEMAP_PARTS = ("export_associations.json", "export_sources.json")
SHAPEFILE_PARTS = (".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def group_files(paths_) -> tuple[list[Path], list[str]]:
    """Which of these files to ingest, and notes on the ones that are only parts of another.

    A TimeMap export trio is one item (its ``export_events.json``; the reader finds the others
    beside it); a shapefile's ``.dbf``/``.shx``/``.prj`` go with its ``.shp``. Parts without their
    main file are not ingested, and a note says what to upload.

    Example
    -------
    >>> items, notes = group_files(["a/export_events.json", "a/export_sources.json", "a/x.csv"])
    >>> [p.name for p in items], notes
    (['export_events.json', 'x.csv'], ['a/export_events.json: TimeMap export without export_associations.json: \
its events load without their labels'])
    """
    ps = [Path(p) for p in paths_]
    names = {(p.parent, p.name.lower()) for p in ps}
    shp_stems = {(p.parent, p.name[:-4].lower()) for p in ps if p.name.lower().endswith(".shp")}
    items: list[Path] = []
    notes: list[str] = []
    for p in ps:
        low = p.name.lower()
        if low in TIMEMAP_PARTS:
            if (p.parent, "export_events.json") not in names:
                others = " and ".join(n for n in ("export_events.json", *TIMEMAP_PARTS) if n != low)
                notes.append(f"{p.name} is part of a TimeMap export: upload it together with {others}")
            continue
        part = next((s for s in SHAPEFILE_PARTS if low.endswith(s)), None)
        if part is not None:
            if (p.parent, low[:-len(part)]) not in shp_stems:
                notes.append(f"{p.name} is part of a shapefile: upload it with its .shp (and .shx, .dbf, .prj), "
                             "or upload one .zip holding them all")
            continue
        if low == "export_events.json":
            for side, what in (("export_associations.json", "labels"), ("export_sources.json", "source links")):
                if (p.parent, side) not in names:
                    notes.append(f"{p}: TimeMap export without {side}: its events load without their {what}")
        items.append(p)
    return items, notes


def preview(path, *, fmt: str = "auto", nrows: int = 10) -> dict:
    """What a file holds before it is loaded: its format, columns, first rows and (tables) the mapping.

    Returns a dict with ``path, name, format`` (acled | timemap | table), ``kind`` (acled, timemap,
    table or gis), ``source`` (the data set name the reader will use), ``columns``, ``rows`` (how
    many records), ``sample`` (the first ``nrows`` as text), ``mapping`` (a
    :class:`~harmmap.io.table.Mapping` for tables, else None; its ``origin`` says whether it was
    saved, a preset or guessed) and ``warnings``. It resolves the mapping exactly as the table
    reader does, so loading without a change uses the mapping shown. Errors are raised as the
    readers raise them (``ReadError`` etc., naming the file).

    Example
    -------
    >>> preview("strikes.csv")["mapping"].fields["lat"]             # doctest: +SKIP
    ['Широта']
    """
    from harmmap.io import common as C
    from harmmap.io import table, timemap

    path = Path(path)
    fmt = _detect.detect(path) if fmt in (None, "auto") else fmt
    if fmt not in _detect.FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from auto, {', '.join(_detect.FORMATS)}")
    out = {"path": str(path), "name": path.name, "format": fmt, "kind": fmt, "mapping": None, "warnings": []}
    if fmt == "timemap":
        ev, events, assoc, sources = timemap.find_parts(path)
        sample = pd.json_normalize([e for e in events[:nrows] if isinstance(e, dict)]) if events else pd.DataFrame()
        out.update(source="bellingcat", columns=[str(c) for c in sample.columns], rows=len(events),
                   sample=C.to_text_frame(sample), parts={"events": len(events), "associations": len(assoc or []),
                                                          "sources": len(sources or [])})
        return out
    if fmt == "table" and table.is_gis(path):
        gdf, warnings, _ = table.load_gis(path)
        attrs = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name])).reset_index(drop=True)
        raw = C.to_text_frame(attrs)
        shown = raw.head(nrows).copy()
        shown["(geometry)"] = [g.wkt[:80] if g is not None else "" for g in gdf.geometry.head(nrows)]
        out["kind"] = "gis"
    else:
        frame, _rows, warnings, malformed = table.load_raw(path)
        raw = C.to_text_frame(frame)
        shown = raw.head(nrows)
        if len(malformed):
            warnings = [*warnings, f"{len(malformed)} malformed row(s) (they will be rejected)"]
    columns = list(raw.columns)
    out.update(columns=columns, rows=len(raw), sample=shown.reset_index(drop=True), warnings=list(warnings))
    if fmt == "acled":
        out["source"] = "acled"
        return out
    mapping = table.saved_mapping(columns) or table.preset(columns) or table.guess_mapping(columns, raw.head(200))
    out["mapping"] = mapping
    out["source"] = mapping.source or table._slug(path.stem)
    return out


def try_ingest_file(path, store, **kw) -> dict:
    """:func:`ingest_file`, but a file that cannot be loaded gives ``{"path", "error"}`` instead of raising.

    The message names the file and the problem (the readers' own messages do); nothing of that
    file is written (the store writes each file in one transaction), and the caller goes on with
    the next file.
    """
    from harmmap.io.common import ReadError
    from harmmap.store import StoreError

    try:
        return ingest_file(path, store, **kw)
    except (ReadError, FileNotFoundError, ValueError, StoreError, OSError, RuntimeError) as exc:
        msg = str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the others or show a traceback
        msg = f"unexpected {type(exc).__name__}: {exc}"
    if str(path) not in msg:
        msg = f"{path}: {msg}"
    return {"path": str(path), "error": msg}


def load_rejects(report: dict) -> pd.DataFrame:
    """The rejected rows a report points to (original values as text plus ``_row, _reason, _detail``)."""
    f = report.get("rejects_file")
    if not f or not Path(f).is_file():
        return pd.DataFrame(columns=["_row", "_reason", "_detail"])
    return pd.read_csv(f, dtype=str, keep_default_na=False, na_filter=False)


__all__ = ["ingest_files", "ingest_file", "rejects_path", "DEFAULT_REJECTS", "schema", "dt", "group_files",
           "preview", "try_ingest_file", "load_rejects", "TIMEMAP_PARTS", "SHAPEFILE_PARTS"]
