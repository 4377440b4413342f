"""The Data page's parts (Streamlit only): the loaded data sets, the upload with its mapping preview,
the load with progress, and the load report with the rejected rows.

Pure helpers (no Streamlit calls; tested directly in tests/app/test_data_page.py) turn store and
reader output into what the page shows: :func:`datasets_table`, :func:`save_files`,
:func:`mapping_from_choices`, :func:`mapping_table`, :func:`mapping_problems`, :func:`report_view`,
:func:`rejects_csv`, :func:`limit_text`. The loading itself is :mod:`harmmap.ingest` (the same calls
as ``python -m harmmap ingest``), so the page and the CLI count alike.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from harmmap import ingest
from harmmap.export import csv_bytes
from harmmap.io.table import FIELDS, MULTI, Mapping, signature

__all__ = ["Plan", "PageState", "state", "datasets_table", "save_files", "safe_name", "mapping_from_choices",
           "mapping_table", "mapping_problems", "problem_text", "report_view", "rejects_csv", "limit_text",
           "tidy", "load", "cleanup", "show_datasets", "delete_section", "delete_problem", "upload_section", "file_plan", "run_load", "show_reports", "FIELD_LABELS",
           "REASON_TEXT", "KIND_LABELS"]

_STATE_KEY = "hm_data_page"
NONE = "(none)"
SHOWN_REJECTS = 1000      # rows of rejects drawn in the table (the download has all)

FIELD_LABELS = {
    "id": "Id", "date": "Date", "time": "Time", "lat": "Latitude", "lon": "Longitude",
    "coords": "Coordinates (lat, lon in one column)", "wkt": "Geometry as WKT", "title": "Title",
    "description": "Description", "location": "Place", "admin1": "Oblast (admin 1)", "admin2": "District (admin 2)",
    "fatalities": "Killed", "injuries": "Injured", "url": "Source URL", "labels": "Source labels / categories",
    "event_type": "Event type", "weapon": "Weapon", "actor": "Actor", "publisher": "Source (who reported it)",
}
REASON_TEXT = {
    "no_coordinates": "latitude or longitude missing or not a number",
    "out_of_range": "latitude beyond ±90 or longitude beyond ±180",
    "swapped_coordinates": "latitude and longitude look swapped",
    "outside_study_area": "a valid point outside Ukraine",
    "invalid_geometry": "a geometry that cannot be used",
    "no_date": "the date is empty",
    "unparseable_date": "the date is not a date",
    "ambiguous_date": "day and month cannot be told apart",
    "future_date": "the date is after today",
    "duplicate_id": "the id was already used by an earlier row",
    "malformed_row": "the row does not fit the table",
    "unknown_place": "no coordinates, and the place name is not a known town",
}
KIND_LABELS = {"acled": "ACLED export", "timemap": "TimeMap export", "table": "table", "gis": "GIS file"}
SHORT_FORMATS = {"acled": "ACLED", "timemap": "TimeMap", "table": "table/GIS"}
ORIGIN_TEXT = {
    "saved": "Using the mapping saved for files with these columns.",
    "preset": "Using the built-in mapping for this known export ({preset}).",
    "guessed": "Columns mapped automatically from their names: check them below.",
}


# ------------------------------------------------------------------------------------------------
# pure helpers
# ------------------------------------------------------------------------------------------------
def limit_text(limit_mb: int) -> str:
    """What the page says about the upload limit (``server.maxUploadSize``)."""
    return (f"Up to {limit_mb:,} MB per file (`server.maxUploadSize` in `.streamlit/config.toml`). "
            "For bigger files use the command line: `python -m harmmap ingest FILE`.")


def datasets_table(ds: pd.DataFrame) -> pd.DataFrame:
    """The store's data sets as the page shows them: newest first, file name only, a synthetic marker.

    Example
    -------
    >>> ds = pd.DataFrame({"dataset": ["demo"], "file": [None], "loaded_at": [pd.Timestamp("2026-01-01")],
    ...                    "rows": [5], "synthetic": [True]})
    >>> datasets_table(ds).iloc[0]["Kind"]
    'SYNTHETIC (invented demo data)'
    """
    cols = ["Data set", "Kind", "Rows", "Loaded (UTC)", "File"]
    if ds is None or not len(ds):
        return pd.DataFrame(columns=cols)
    syn = ds["synthetic"].fillna(False).astype(bool) if "synthetic" in ds else pd.Series(False, index=ds.index)
    out = pd.DataFrame({
        "Data set": ds["dataset"].astype(str),
        "Kind": syn.map({True: "SYNTHETIC (invented demo data)", False: "real"}),
        "Rows": pd.to_numeric(ds["rows"], errors="coerce").fillna(0).astype(int),
        "Loaded (UTC)": pd.to_datetime(ds["loaded_at"], errors="coerce").dt.strftime("%Y-%m-%d %H:%M"),
        "File": ds["file"].map(lambda f: Path(str(f)).name if isinstance(f, str) and f else ""),
    })
    return out.iloc[::-1].reset_index(drop=True)


def safe_name(name: str) -> str:
    """A file name from a browser, made safe to write in our folder (no folders, no dot names).

    Example
    -------
    >>> safe_name("../../etc/passwd"), safe_name("my data.csv"), safe_name("..")
    ('passwd', 'my data.csv', 'upload')
    """
    base = re.split(r"[\\/]", str(name))[-1].strip().replace("\x00", "")
    base = re.sub(r'[<>:"|?*\x00-\x1f]', "_", base)
    return base if base.strip(".") else "upload"


def save_files(files, folder) -> list[Path]:
    """Write ``(name, bytes)`` pairs into ``folder`` under their own (safe) names; a name already
    taken goes into a numbered subfolder. Returns the paths in order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out, used = [], set()
    for name, data in files:
        name = safe_name(name)
        target, n = folder / name, 1
        while target.relative_to(folder).as_posix().lower() in used:
            target = folder / str(n) / name
            n += 1
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bytes(data))
        used.add(target.relative_to(folder).as_posix().lower())
        out.append(target)
    return out


def tidy(msg: str, folder) -> str:
    """A message with our temporary folder taken out, so it names the file as the analyst knows it."""
    return str(msg).replace(str(Path(folder)) + "/", "").replace(str(Path(folder)), "")


def problem_text(name: str, msg: str, what: str = "Cannot read", as_: str = "") -> str:
    """``Cannot read NAME: problem`` (the reader's message without its own leading ``NAME:``).

    Example
    -------
    >>> problem_text("a.csv", "a.csv: the file is empty (0 bytes)")
    'Cannot read a.csv: the file is empty (0 bytes)'
    """
    msg = str(msg)
    for lead in (f"{name}: ", f"{name} "):
        if msg.startswith(lead):
            msg = msg[len(lead):]
            break
    return f"{what} {name}{f' as {as_}' if as_ else ''}: {msg}"


def mapping_from_choices(choices: dict, date_order: str = "auto", source: str | None = None) -> Mapping:
    """A Mapping from the page's widgets: ``{field: column | [columns] | None}``.

    Example
    -------
    >>> mapping_from_choices({"lat": "Y", "lon": "X", "url": ["a", "b"], "date": None}).fields
    {'lat': ['Y'], 'lon': ['X'], 'url': ['a', 'b']}
    """
    fields = {}
    for f in FIELDS:
        v = choices.get(f)
        cols = [v] if isinstance(v, str) else list(v or [])
        cols = [c for c in cols if c and c != NONE]
        if cols:
            fields[f] = cols
    return Mapping(fields=fields, date_order=date_order or "auto", source=source, origin="given")


def mapping_table(mapping: Mapping) -> pd.DataFrame:
    """One row per canonical field the mapping fills: ``Field``, ``From column(s)``."""
    rows = [(FIELD_LABELS.get(f, f), ", ".join(mapping.fields[f])) for f in FIELDS if mapping.fields.get(f)]
    return pd.DataFrame(rows, columns=["Field", "From column(s)"])


def mapping_problems(mapping: Mapping, kind: str) -> list[str]:
    """What will go wrong with this mapping (said before loading)."""
    f = mapping.fields
    out = []
    if kind != "gis" and not ("lat" in f and "lon" in f) and "coords" not in f and "wkt" not in f:
        if "lat" in f or "lon" in f:
            out.append("Map both latitude and longitude (or one coordinates column): the file cannot load "
                       "with only one of them.")
        elif "location" in f:
            out.append("No coordinate columns: rows will be placed at their town's centre by the Place name "
                       "(town precision, among the ~225 towns HarmMap knows); other places are rejected as "
                       "unknown_place. Map latitude and longitude if the file has them.")
        else:
            out.append("No coordinate columns are mapped: the file cannot load. Map latitude and longitude, "
                       "a coordinates column or a WKT geometry column.")
    if "date" not in f:
        out.append("No date column is mapped: every row will be rejected as no_date.")
    return out


def rejects_csv(rejects: pd.DataFrame) -> bytes:
    """The rejected rows as CSV, spreadsheet formulas neutralised (harmmap.export.csv_bytes)."""
    return csv_bytes(rejects)


def report_view(report: dict, folder=None) -> dict:
    """What the page shows of one file's load report (pure: counts, equation, reasons, messages).

    Returns ``name, error, format, source, read, loaded, rejected, linked_duplicates, equation, balanced,
    reasons`` (a frame: reason, rows, meaning), ``warnings``, ``disagreements``, ``mapping_saved``.
    """
    name = Path(str(report.get("path", ""))).name or "file"
    if report.get("error"):
        return {"name": name, "error": tidy(report["error"], folder) if folder else report["error"]}
    read, loaded, rejected = int(report["read"]), int(report["loaded"]), int(report["rejected"])
    reasons = pd.DataFrame([(k, int(v), REASON_TEXT.get(k, "")) for k, v in (report.get("reasons") or {}).items()],
                           columns=["Reason", "Rows", "Meaning"])
    warnings = [tidy(w, folder) if folder else w for w in report.get("warnings") or []]
    return {
        "name": name, "error": None, "format": report.get("format"), "source": report.get("source"),
        "read": read, "loaded": loaded, "rejected": rejected,
        "linked_duplicates": int(report.get("linked_duplicates") or 0),
        "equation": f"{read:,} read = {loaded:,} loaded + {rejected:,} rejected",
        "balanced": read == loaded + rejected, "reasons": reasons, "warnings": warnings,
        "disagreements": int(report.get("admin1_disagreements_count") or 0),
        "mapping_saved": bool(report.get("mapping_saved")),
    }


@dataclass
class Plan:
    """One file to load, as the analyst set it up."""

    path: Path
    fmt: str = "auto"
    source: str | None = None
    mapping: Mapping | None = None
    save: bool = False
    error: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


def load(plans: list[Plan], store, *, rejects_dir, progress=None) -> list[dict]:
    """Ingest the planned files one after another (pure: no Streamlit); a file that fails gives a
    report with ``error`` and the others still load. Each report carries its ``rejects`` frame."""
    reports = []
    for i, p in enumerate(plans):
        if progress:
            progress(i, len(plans), p)
        if p.error:
            reports.append({"path": str(p.path), "error": p.error})
            continue
        kw = {"fmt": p.fmt, "source": p.source, "rejects_dir": rejects_dir}
        if p.mapping is not None:
            kw.update(mapping=p.mapping, save=p.save)
        r = ingest.try_ingest_file(p.path, store, **kw)
        if not r.get("error"):
            r["rejects"] = ingest.load_rejects(r)
            r["mapping_saved"] = bool(p.mapping is not None and p.save)
        reports.append(r)
    return reports


# ------------------------------------------------------------------------------------------------
# page state
# ------------------------------------------------------------------------------------------------
@dataclass
class PageState:
    """Everything the Data page keeps between reruns, in one session-state entry."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="harmmap-upload-")))
    uploader: int = 0                                        # bumped after a load: the uploader starts empty
    files: dict[str, Path] = field(default_factory=dict)     # uploaded file id -> where it was saved
    reports: list[dict] = field(default_factory=list)        # the last load's reports
    loaded_at: str = ""


def state() -> PageState:
    s = st.session_state.get(_STATE_KEY)
    if s is None or not Path(s.folder).is_dir():
        s = st.session_state[_STATE_KEY] = PageState()
    return s


@st.cache_data(show_spinner=False, max_entries=32)
def _preview(path: str, fmt: str, size: int, mtime: float) -> dict:
    try:
        fmt = ingest._detect.detect(path) if fmt == "auto" else fmt
    except Exception:  # noqa: BLE001 - the reader gives the real message below
        fmt = "table"
    try:
        return ingest.preview(path, fmt=fmt)
    except Exception as exc:  # noqa: BLE001 - shown as a message naming the file, never a traceback
        msg = str(exc) or type(exc).__name__
        return {"path": path, "name": Path(path).name, "format": fmt,
                "error": msg if path in msg else f"{path}: {msg}"}


def preview(path: Path, fmt: str = "auto") -> dict:
    st_ = Path(path).stat()
    return _preview(str(path), fmt, st_.st_size, st_.st_mtime)


# ------------------------------------------------------------------------------------------------
# Streamlit parts
# ------------------------------------------------------------------------------------------------
def show_datasets(store) -> None:
    """The loaded data sets (store.datasets()), newest first, synthetic ones marked."""
    try:
        ds = store.datasets()
    except Exception as exc:  # noqa: BLE001 - the page stays up
        st.error(f"Cannot read the list of data sets from the store: {exc}")
        return
    table = datasets_table(ds)
    if not len(table):
        st.info("No data sets are loaded yet.")
        return
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"Data set": st.column_config.TextColumn(width=180),
                                "Kind": st.column_config.TextColumn(width=215),
                                "Rows": st.column_config.NumberColumn(format="localized", width=80),
                                "Loaded (UTC)": st.column_config.TextColumn(width=130),
                                "File": st.column_config.TextColumn(width=220)})
    syn = table.loc[table["Kind"] != "real", "Data set"].tolist()
    if syn:
        st.caption(f"**Synthetic**: {', '.join(syn)} — invented incidents for trying the dashboard; do not "
                   "cite them. They stay beside real data sets you load.")
    st.caption("Loading a file again updates its incidents in place (same ids). An admin can delete a data set "
               "(below, or `python -m harmmap datasets delete NAME`).")


def delete_problem(name: str | None, typed: str, datasets: list[str]) -> str | None:
    """Why the chosen data set cannot be deleted yet (None: it can).

    Example
    -------
    >>> delete_problem("acled", "acle", ["demo", "acled"])
    "Type the data set's name exactly to confirm."
    >>> delete_problem("demo", "demo", ["demo"]) is not None
    True
    >>> delete_problem("acled", "acled", ["demo", "acled"]) is None
    True
    """
    if not name or name not in datasets:
        return "Choose a data set."
    if len(datasets) == 1:
        return ("This is the only data set: load another before deleting it (an empty store is filled with "
                "the synthetic demo data again on the next start).")
    if typed.strip() != name:
        return "Type the data set's name exactly to confirm."
    return None


_DELETED_KEY = "hm_dp_deleted"


def delete_section(store, user: str) -> None:
    """Admins only (the caller checks ``can("manage")``): choose a data set, give a reason, type its name to
    confirm, delete (:meth:`harmmap.store.Store.delete_dataset`: incidents and overrides in one transaction,
    the removals recorded in the audit trail)."""
    from ui.text import md_text

    done = st.session_state.pop(_DELETED_KEY, None)
    if done:
        def n(k: int, word: str) -> str:
            return f"{k:,} {word}{'' if k == 1 else 's'}"

        st.success(f"Deleted data set **{md_text(done['dataset'])}**: {n(done['incidents'], 'incident')}, "
                   f"{n(done['overrides'], 'analyst override')} removed (kept in the audit trail), "
                   f"{n(done['relinked'], 'duplicate')} of other data sets relinked.", icon=":material/delete:")
    try:
        names = store.datasets()["dataset"].astype(str).tolist()
    except Exception as exc:  # noqa: BLE001 - the page stays up
        st.error(f"Cannot read the list of data sets from the store: {exc}")
        return
    if not names:
        return
    with st.expander("Delete a data set (admin)", icon=":material/delete:"):
        st.caption("Deletes the data set's incidents and the analysts' overrides of them, in one transaction. "
                   "The audit trail keeps every override's history and records the deletion. There is no undo: "
                   "load the file again to restore the incidents (without the overrides).")
        name = st.selectbox("Data set", names, index=None, key="hm_dp_del_name", placeholder="Choose…")
        reason = st.text_input("Reason (goes into the audit trail)", key="hm_dp_del_reason")
        typed = st.text_input("Type the data set's name to confirm", key="hm_dp_del_confirm")
        problem = delete_problem(name, typed, names)
        if problem and name:
            st.caption(md_text(problem))
        if st.button("Delete data set", type="primary", key="hm_dp_delete", icon=":material/delete_forever:",
                     disabled=problem is not None):
            try:
                out = store.delete_dataset(name, user=user, reason=reason)
            except Exception as exc:  # noqa: BLE001 - StoreError and engine failures: the page stays up
                st.error(f"Not deleted: {md_text(exc)}")
                return
            st.cache_data.clear()          # every page's counts and the sidebar's choices change
            for k in ("hm_dp_del_name", "hm_dp_del_reason", "hm_dp_del_confirm"):
                st.session_state.pop(k, None)
            st.session_state[_DELETED_KEY] = out
            st.rerun()


def upload_section(ps: PageState) -> list[Path]:
    """The uploader; saves new uploads under the session's temp folder (original names) and returns
    the saved paths of the files currently uploaded."""
    limit = int(st.get_option("server.maxUploadSize"))
    files = st.file_uploader(
        "Incident files", accept_multiple_files=True, key=f"hm_data_upload_{ps.uploader}",
        help="ACLED CSV/XLSX exports; TimeMap exports (select export_events.json, export_associations.json and "
             "export_sources.json together, or one api.json); any table or GIS file: CSV/TSV, XLSX, JSON records "
             "(a list, or one per line), GeoJSON (also one feature per line), GeoPackage, GeoParquet, zipped "
             "Shapefile, KML.")
    st.caption(limit_text(limit) + " A TimeMap export's three JSON files must be uploaded together.")
    files = files or []
    current = {f.file_id: f for f in files}
    for fid in [k for k in ps.files if k not in current]:           # removed from the uploader
        p = ps.files.pop(fid)
        p.unlink(missing_ok=True)
    taken = {p.relative_to(ps.folder).as_posix().lower() for p in ps.files.values()}
    for fid, f in current.items():
        if fid in ps.files:
            continue
        name = safe_name(f.name)
        sub = ps.folder if name.lower() not in taken else ps.folder / hashlib.sha1(fid.encode()).hexdigest()[:8]
        (path,) = save_files([(name, f.getbuffer())], sub)
        ps.files[fid] = path
        taken.add(path.relative_to(ps.folder).as_posix().lower())
    return [ps.files[f.file_id] for f in files]


def _key(path: Path) -> str:
    return "hm_dp_" + hashlib.sha1(str(path).encode()).hexdigest()[:10]


def file_plan(path: Path, folder: Path) -> Plan:
    """One uploaded file: its format, data set name, preview and (tables) the mapping editor."""
    key = _key(path)
    with st.container(border=True):
        first = preview(path)
        detected = first["format"]
        fmts = list(ingest._detect.FORMATS)
        c1, c2, c3 = st.columns([2, 1.2, 1.4])
        fmt = c2.selectbox("Read as", fmts, index=fmts.index(detected), key=f"{key}_fmt",
                           format_func=lambda f: SHORT_FORMATS[f] + (" (detected)" if f == detected else ""),
                           help="The format is detected from the file; choose another to read it differently "
                                "(e.g. an ACLED-like file as a plain table with your own column mapping).")
        info = first if fmt == detected else preview(path, fmt)
        if info.get("error"):
            c1.markdown(f"**{_md(path.name)}**")
            msg = tidy(info["error"], folder)
            as_ = "" if fmt == detected else KIND_LABELS[fmt]
            st.error(problem_text(path.name, msg, as_=as_), icon=":material/error:")
            return Plan(path, fmt=fmt, error=msg)
        kind = KIND_LABELS.get(info["kind"], info["kind"])
        c1.markdown(f"**{_md(path.name)}**  \n{kind} · {_n(info['rows'], 'record')} · {_n(len(info['columns']), 'column')}")
        if info.get("parts"):
            p = info["parts"]
            c1.caption(f"{p['events']:,} events, {p['associations']:,} associations, {p['sources']:,} sources")
        name = c3.text_input("Data set name", value=info["source"], key=f"{key}_src_{fmt}",
                             help="Incidents are stored under this name; loading again under the same name "
                                  "updates them.").strip()
        for w in info.get("warnings") or []:
            st.warning(tidy(w, folder), icon=":material/warning:")
        mapping, save = None, False
        if info.get("mapping") is not None:
            mapping, save = _mapping_editor(info, key)
        with st.expander(f"First {len(info['sample'])} rows", expanded=info.get("mapping") is not None):
            st.dataframe(info["sample"], hide_index=True, width="stretch",
                         height=min(400, 38 + 35 * max(1, len(info["sample"]))))
    source = name if name and name != info["source"] else None
    if mapping is not None and source:
        mapping.source = source
    return Plan(path, fmt=fmt, source=source, mapping=mapping, save=save)


def _mapping_editor(info: dict, key: str) -> tuple[Mapping | None, bool]:
    """The mapping shown (field -> columns), editable; returns (mapping to pass or None, save?)."""
    guess: Mapping = info["mapping"]
    cols = list(info["columns"])
    origin = ORIGIN_TEXT.get(guess.origin, "").format(preset=guess.preset)
    st.markdown("**Column mapping** — " + origin)
    summary = st.empty()
    problems = st.empty()
    with st.expander("Correct the mapping"):
        choices = {}
        grid = st.columns(3)
        for i, f in enumerate(FIELDS):
            have = [c for c in guess.fields.get(f, []) if c in cols]
            box = grid[i % 3]
            if f in MULTI:
                choices[f] = box.multiselect(FIELD_LABELS[f], cols, default=have, key=f"{key}_m_{f}")
            else:
                opts = [NONE, *cols]
                choices[f] = box.selectbox(FIELD_LABELS[f], opts, index=opts.index(have[0]) if have else 0,
                                           key=f"{key}_m_{f}")
        orders = ["auto", "dmy", "mdy"]
        order = grid[len(FIELDS) % 3].selectbox(
            "Date order (NN/NN/YYYY)", orders, index=orders.index(guess.date_order or "auto"), key=f"{key}_order",
            format_func={"auto": "decide per column", "dmy": "day first", "mdy": "month first"}.get)
        save = st.checkbox("Save this mapping for files with these columns", key=f"{key}_save",
                           help=f"Saved by the header's signature ({signature(cols)}); the next file with the same "
                                "columns is read with it without asking.")
    chosen = mapping_from_choices(choices, order, guess.source)
    chosen.preset = guess.preset
    changed = chosen.fields != guess.fields or chosen.date_order != (guess.date_order or "auto")
    shown = mapping_table(chosen)
    summary.dataframe(shown, hide_index=True, width="content", height=38 + 35 * max(1, len(shown)))
    bad = mapping_problems(chosen, info["kind"])
    if bad:
        problems.warning("\n\n".join(bad), icon=":material/warning:")
    elif changed:
        problems.caption("Your corrections will be used for this file.")
    return (chosen if changed or save else None), save


def run_load(plans: list[Plan], store, ps: PageState) -> None:
    """Load with a progress indicator; keep the reports; clear the caches; rerun so every part of the
    dashboard (sidebar, banner, data set list) sees the new data."""
    n = len(plans)
    with st.status(f"Loading {n} file{'s' if n != 1 else ''}…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(i, total, plan):
            bar.progress(i / total, text=f"{plan.name} ({i + 1} of {total}): reading, checking, classifying, "
                                         "linking duplicates, storing…")

        reports = load(plans, store, rejects_dir=ps.folder / "rejects", progress=progress)
        bar.progress(1.0, text="Done")
        bad = sum(1 for r in reports if r.get("error"))
        status.update(label=f"Loaded {n - bad} of {n} file{'s' if n != 1 else ''}",
                      state="error" if bad else "complete", expanded=False)
    ps.reports = [{**r, "folder": str(ps.folder)} for r in reports]
    ps.loaded_at = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
    for p in ps.files.values():          # the uploads are loaded: start the uploader afresh
        p.unlink(missing_ok=True)
    ps.files.clear()
    shutil.rmtree(ps.folder / "rejects", ignore_errors=True)   # read into the reports already
    ps.uploader += 1
    st.cache_data.clear()
    st.rerun()


def show_reports(ps: PageState) -> None:
    """The last load's report, per file: counts, reasons, warnings, rejected rows and their download."""
    if not ps.reports:
        return
    st.subheader("Load report")
    st.caption(f"Loaded {ps.loaded_at}. Every row read is either loaded or rejected with a reason.")
    for i, r in enumerate(ps.reports):
        v = report_view(r, r.get("folder"))
        with st.container(border=True):
            if v["error"]:
                st.markdown(f"**{_md(v['name'])}** — not loaded")
                st.error(v["error"], icon=":material/error:")
                continue
            st.markdown(f"**{_md(v['name'])}** — {KIND_LABELS.get(v['format'], v['format'])}, data set "
                        f"`{_code(v['source'])}`")
            c = st.columns(4)
            c[0].metric("Read", f"{v['read']:,}")
            c[1].metric("Loaded", f"{v['loaded']:,}")
            c[2].metric("Rejected", f"{v['rejected']:,}")
            c[3].metric("Linked duplicates", f"{v['linked_duplicates']:,}",
                        help="Incidents also reported by an earlier data set (close in space and time): linked, "
                             "not deleted, and counted once.")
            st.caption(v["equation"] + (" ✓" if v["balanced"] else " — does not add up"))
            if v["mapping_saved"]:
                st.caption("The mapping was saved for files with these columns.")
            if v["disagreements"]:
                st.caption(f"{v['disagreements']:,} row(s) name a different oblast than where they lie "
                           "(the location was used).")
            for w in v["warnings"]:
                st.warning(w, icon=":material/warning:")
            rej = r.get("rejects")
            if len(v["reasons"]):
                st.dataframe(v["reasons"], hide_index=True, width="content")
            if rej is not None and len(rej):
                shown = rej.head(SHOWN_REJECTS)
                st.markdown(f"Rejected rows{f' (first {SHOWN_REJECTS:,})' if len(rej) > SHOWN_REJECTS else ''}"
                            ": the original values, the row number and why")
                st.dataframe(_rejects_first(shown), hide_index=True, width="stretch",
                             height=min(400, 38 + 35 * len(shown)))
                st.download_button(f"Download the {len(rej):,} rejected rows (CSV)", rejects_csv(rej),
                                   file_name=ingest.rejects_path(".", v["source"], v["name"]).name, mime="text/csv",
                                   key=f"hm_dp_rej_{i}", on_click="ignore", icon=":material/download:")
    if st.button("Clear the report", key="hm_dp_clear"):
        ps.reports = []
        st.rerun()


def _rejects_first(rej: pd.DataFrame) -> pd.DataFrame:
    lead = [c for c in ("_row", "_reason", "_detail") if c in rej.columns]
    out = rej[lead + [c for c in rej.columns if c not in lead]]
    return out.rename(columns={"_row": "row", "_reason": "reason", "_detail": "detail"})


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _md(text) -> str:
    """Text from a file name or data, inert in Markdown (no links, no emphasis, no HTML)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~])", r"\\\1", str(text))


def _code(text) -> str:
    return str(text).replace("`", "'")


def cleanup(ps: PageState) -> None:
    """Remove the session's upload folder (used by tests)."""
    shutil.rmtree(ps.folder, ignore_errors=True)
