"""Bellingcat TimeMap exports: the trio in a folder (export_events.json, export_associations.json,
export_sources.json) or one api.json with ``Events``/``Associations``/``Sources`` keys.

Dates are month-first ("02/24/2022", also "3/4/2022"); "00:00" means no time. An event's labels
are association ids resolved to their full filter path ("Type of area affected/Residential",
"Weapon System/Cluster munitions") in ``source_labels``; ``weapon`` is the Weapon System title(s)
("Unknown" left out); ``source_urls`` are the sources' paths ("HIDDEN" skipped); ``graphic`` TRUE
adds the label "graphic". ``incident_id`` is "bellingcat:" + the event id.

Example
-------
>>> from harmmap.io import timemap
>>> r = timemap.read("bellingcat_export/")                        # doctest: +SKIP
>>> r.incidents.loc[0, "source_labels"]                           # doctest: +SKIP
['Type of area affected/Commercial', 'Weapon System/Air strike']
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from harmmap.io import common as C

TRIO = ("export_events.json", "export_associations.json", "export_sources.json")


def find_parts(path) -> tuple[Path, object, object, object]:
    """Locate and load (events, associations, sources) for a folder, one of the trio, an api.json, or
    a zip of an export folder."""
    path = Path(path)
    if path.suffix.lower() == ".zip" and path.is_file():
        return _zip_parts(path)
    if path.is_dir():
        ev = path / TRIO[0]
        if not ev.exists():
            cands = sorted(path.glob("*.json"))
            for c in cands:
                data = _load(c)
                if isinstance(data, dict) and _key(data, "events") is not None:
                    return c, _key(data, "events"), _key(data, "associations") or [], _key(data, "sources") or {}
            raise C.ReadError(f"{path}: no {TRIO[0]} (nor an api.json with Events) in this folder")
        folder = path
    else:
        data = _load(path)
        if isinstance(data, dict) and _key(data, "events") is not None:
            return path, _key(data, "events"), _key(data, "associations") or [], _key(data, "sources") or {}
        if not isinstance(data, list):
            raise C.ReadError(f"{path}: not a TimeMap export (expected a list of events or an object "
                              "with an Events key)")
        folder = path.parent
        ev = path
    events = _load(ev)
    if not isinstance(events, list):
        raise C.ReadError(f"{ev}: not a TimeMap events list")
    assoc = _load(folder / TRIO[1]) if (folder / TRIO[1]).exists() else []
    sources = _load(folder / TRIO[2]) if (folder / TRIO[2]).exists() else {}
    return ev, events, assoc, sources


def _zip_file_names(path: Path) -> set[str]:
    """The (lower-case) file names in a zip, whatever their folder; empty for a broken zip."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return {Path(n).name.lower() for n in zf.namelist() if not n.endswith("/")}
    except (zipfile.BadZipFile, OSError):
        return set()


def _zip_parts(path: Path):
    """The trio from a zip of an export folder (the events file's folder inside the zip holds the others)."""
    import zipfile

    C.check_zip(path)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        ev = next((n for n in sorted(names) if Path(n).name.lower() == TRIO[0]), None)
        if ev is None:
            raise C.ReadError(f"{path}: a zip without {TRIO[0]}: not a TimeMap export")
        folder = ev[:len(ev) - len(Path(ev).name)]

        def load(full: str, empty):
            if full not in names:
                return empty
            try:
                return json.loads(zf.read(full).decode("utf-8-sig"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise C.ReadError(f"{path}!{full}: not valid JSON ({exc})") from None

        events, assoc, sources = load(ev, None), load(folder + TRIO[1], []), load(folder + TRIO[2], {})
    if not isinstance(events, list):
        raise C.ReadError(f"{path}!{ev}: not a TimeMap events list")
    return Path(f"{path}!{ev}"), events, assoc, sources


def _key(d: dict, name: str):
    for k, v in d.items():
        if str(k).lower() == name:
            return v
    return None


def _load(p: Path):
    try:
        with open(p, encoding="utf-8-sig") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise C.ReadError(f"{p}: not valid JSON ({exc})") from None


def looks_like_timemap(path) -> bool:
    path = Path(path)
    if path.is_dir():
        return (path / TRIO[0]).exists() or any(p.name.lower() == "api.json" for p in path.glob("*.json"))
    if path.suffix.lower() == ".zip":
        return TRIO[0] in _zip_file_names(path)
    if path.suffix.lower() != ".json":
        return False
    if path.name in TRIO:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace").lower()
    except OSError:
        return False
    return '"events"' in head or ('"associations"' in head and '"latitude"' in head)


def read(path, *, source: str | None = None, today=None, date_order: str | None = None, **_opts) -> C.ReadResult:
    """Read a TimeMap export (folder with the trio, one of its files, or an api.json).

    Parameters
    ----------
    path : folder or file.
    source : data set name (default ``"bellingcat"``).

    Example
    -------
    >>> read("export/").report["read"]                              # doctest: +SKIP
    701
    """
    path = Path(path)
    source = source or "bellingcat"
    ev_path, events, assoc, sources = find_parts(path)
    warnings: list[str] = []
    if isinstance(assoc, dict):
        assoc = list(assoc.values())
    amap = {}
    for a in assoc or []:
        if isinstance(a, dict) and "id" in a:
            fp = a.get("filter_paths") or [a.get("title", "")]
            amap[str(a["id"])] = ([str(x) for x in fp if x is not None], str(a.get("title") or (fp[-1] if fp else "")))
    if isinstance(sources, list):
        sources = {str(s.get("id")): s for s in sources if isinstance(s, dict)}
    events = [e if isinstance(e, dict) else {"_value": e} for e in events]
    n = len(events)
    raw = pd.DataFrame.from_records(events) if n else pd.DataFrame(
        columns=["id", "date", "time", "latitude", "longitude"])
    for c in ("id", "date", "time", "latitude", "longitude", "description", "location", "graphic"):
        if c not in raw.columns:
            raw[c] = ""
    text = C.to_text_frame(raw)
    rows = np.arange(1, n + 1, dtype=np.int64)
    problems = C.Problems(n)
    lat = C.parse_coordinate(text["latitude"])
    lon = C.parse_coordinate(text["longitude"])
    problems.add(*C.check_coordinates(lat, lon, text["latitude"], text["longitude"]))
    dt_text = C.clean_strings(text["date"])
    tm = C.clean_strings(text["time"])
    # TimeMap writes MM/DD/YYYY; a column that says otherwise (24/02/2022) is read day-first
    order = date_order if date_order in ("dmy", "mdy") else "auto-mdy"
    dates = C.parse_dates(dt_text.where(tm == "", dt_text + " " + tm), order=order, today=today, column="date")
    problems.add(dates["reason"], dates["detail"])
    own = C.clean_strings(text["id"])
    ids = "bellingcat:" + own.where(own != "", "row-" + C.content_ids(text, ["date", "latitude", "longitude",
                                                                              "description"]))
    C.mark_duplicate_ids(ids, rows, problems, label="id")

    unknown_assoc: set[str] = set()
    unknown_src: set[str] = set()
    labels, weapons, urls = [], [], []
    for e in events:
        lab, weap = [], []
        for aid in e.get("associations") or []:
            a = amap.get(str(aid))
            if a is None:
                unknown_assoc.add(str(aid))
                continue
            fp, title = a
            lab.append("/".join(fp))
            if fp and fp[0].strip().lower() == "weapon system" and title.strip().lower() != "unknown":
                weap.append(title)
        if str(e.get("graphic", "")).strip().upper() in ("TRUE", "1", "YES"):
            lab.append("graphic")
        u = []
        for sid in e.get("sources") or []:
            s = sources.get(str(sid)) if isinstance(sources, dict) else None
            if s is None:
                unknown_src.add(str(sid))
                continue
            for p in s.get("paths") or []:
                p = str(p).strip()
                if p and p.upper() != "HIDDEN" and p not in u:
                    u.append(p)
        labels.append(lab)
        weapons.append("; ".join(weap) if weap else None)
        urls.append(u)
    if unknown_assoc:
        warnings.append(f"{len(unknown_assoc)} association id(s) not in the associations table "
                        f"(e.g. {sorted(unknown_assoc)[:3]}): those labels were left out")
    if unknown_src:
        warnings.append(f"{len(unknown_src)} source id(s) not in the sources table: their links were left out")
    parsed = pd.DataFrame({
        "incident_id": ids, "source": source, "date": dates["date"], "time": dates["time"],
        "lon": lon, "lat": lat, "geo_precision": "exact",
        "location": C.clean_strings(text["location"]).replace("", pd.NA),
        "description": text["description"].replace("", pd.NA),
        "source_labels": labels, "weapon": pd.Series(weapons, dtype="string"), "source_urls": urls,
    })
    return C.finish(text, rows, parsed, problems, path=path, fmt="timemap", source=source, warnings=warnings,
                    extra={"events_file": str(ev_path)})
