"""Any table or GIS file an analyst has: CSV/TSV (delimiter and encoding detected), XLSX, GeoJSON,
GeoPackage, GeoParquet, zipped Shapefile, KML/KMZ, FlatGeobuf.

Columns are mapped to the canonical incident by :func:`guess_mapping` (English, Ukrainian and
Russian header names); a :class:`Mapping` can be shown, corrected and passed in, and is saved
under data/mappings/<signature>.json (signature = hash of the normalised header) so the next file
of the same shape is read the same way without asking. Known shapes have presets (``cir``: the
Centre for Information Resilience monitor export).

Non-point geometries become a point on their surface; the original is kept as ``footprint_wkt``
and the report says how many there were.

Example
-------
>>> m = guess_mapping(["Дата", "Широта", "Довгота", "Опис", "Область"])
>>> m.fields["date"], m.fields["lat"], m.fields["admin1"]
(['Дата'], ['Широта'], ['Область'])
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harmmap import paths, schema
from harmmap.io import common as C

TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
JSON_SUFFIXES = (".json", ".ndjson", ".jsonl")
GIS_SUFFIXES = (".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".zip", ".shp", ".kml", ".kmz", ".fgb",
                ".gml", ".geojsonl", ".geojsons")

#: canonical field -> header names that mean it (compared lower-case, without punctuation)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "event_id", "incident_id", "eventid", "entry", "uid", "fid", "objectid", "record_id", "no",
           "номер", "ід", "ид"),
    "date": ("date", "event_date", "eventdate", "incident_date", "datetime", "date_time", "day", "reported_date",
             "дата", "дата події", "дата события", "date of incident", "date_of_event"),
    "time": ("time", "event_time", "час", "время"),
    "lat": ("lat", "latitude", "y", "ycoord", "y_coord", "point_y", "lat_dd", "latitude_dd", "широта", "lat_y"),
    "lon": ("lon", "lng", "long", "longitude", "x", "xcoord", "x_coord", "point_x", "lon_dd", "longitude_dd",
            "довгота", "долгота", "lon_x"),
    "coords": ("coordinates", "coords", "latlon", "lat_lon", "latlng", "lat_long", "gps", "координати",
               "координаты", "location_coordinates"),
    "wkt": ("wkt", "geometry", "geom", "the_geom", "shape_wkt"),
    "title": ("title", "headline", "заголовок"),
    "description": ("description", "notes", "note", "text", "details", "summary", "brief description",
                    "comment", "comments", "content", "опис", "описание", "примітки", "narrative",
                    "descriptio", "descript", "desc"),
    "location": ("location", "place", "town", "city", "town/city", "settlement", "village", "locality",
                 "place_name", "населений пункт", "місто", "город", "населенный пункт", "name", "назва"),
    "admin1": ("admin1", "oblast", "province", "region", "область", "state", "adm1", "adm1_en", "admin1_name",
               "регіон", "регион"),
    "admin2": ("admin2", "district", "raion", "rayon", "район", "adm2", "adm2_en", "admin2_name"),
    "fatalities": ("fatalities", "killed", "deaths", "dead", "deaths_total", "civilians_killed", "fatalitie", "загиблі",
                   "загинули", "погибшие", "убитые"),
    "injuries": ("injuries", "injured", "wounded", "поранені", "ранені", "раненые", "пострадавшие"),
    "url": ("url", "urls", "link", "links", "source_url", "source_link", "source_urls", "geolocation",
            "посилання", "ссылка", "source_lin", "source_ur"),
    # who reported it: names go to source_labels as "publisher/<name>" (as ACLED's), links to source_urls
    "publisher": ("source", "sources", "publisher", "publishers", "reported by", "reported_by", "media", "outlet",
                  "джерело", "джерела", "источник", "источники", "ЗМІ", "сми"),
    "labels": ("categories", "category", "tags", "tag", "labels", "label", "event_group", "target",
               "target_type", "object_type", "категорія", "категория", "тип обєкта", "об'єкт", "объект"),
    "event_type": ("event_type", "type", "sub_event_type", "event type", "incident_type", "тип", "тип події"),
    "weapon": ("weapon", "weapons", "arms", "munition", "arms/munition", "weapon_system", "weapon system",
               "зброя", "оружие"),
    "actor": ("actor", "actor1", "perpetrator", "attacker"),
}
FIELDS = tuple(SYNONYMS)
MULTI = {"description", "url", "labels", "title", "publisher"}


def _norm(h: str) -> str:
    return re.sub(r"[\s_\-.,/]+", " ", str(h).strip().lower().replace("\ufeff", "").replace("ё", "е")).strip()


_SYN = {f: {_norm(x) for x in xs} for f, xs in SYNONYMS.items()}
_KNOWN = set().union(*_SYN.values())       # every header name that means some field


@dataclass
class Mapping:
    """Which source column(s) feed which canonical field, and how to read them.

    ``fields`` maps a field (see :data:`FIELDS`) to a list of column names: several columns are
    joined (description), collected (url, labels) or the first non-empty one is used.

    Example
    -------
    >>> m = Mapping({"date": ["when"], "lat": ["y"], "lon": ["x"]}, date_order="dmy")
    >>> Mapping.from_dict(m.to_dict()) == m
    True
    """

    fields: dict[str, list[str]] = field(default_factory=dict)
    date_order: str = "auto"
    source: str | None = None
    preset: str | None = None
    origin: str = "guessed"        # guessed | given | saved | preset

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("origin", None)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Mapping:
        f = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (d.get("fields") or {}).items() if v}
        unknown = [k for k in f if k not in FIELDS]
        if unknown:
            raise ValueError(f"unknown mapping field(s) {unknown}; fields are {list(FIELDS)}")
        return cls(fields=f, date_order=d.get("date_order", "auto"), source=d.get("source"),
                   preset=d.get("preset"), origin=d.get("origin", "given"))

    def show(self) -> str:
        """A readable summary, one line per field."""
        lines = [f"{k:12s} <- {', '.join(v)}" for k, v in self.fields.items() if v]
        lines.append(f"{'date order':12s}    {self.date_order}")
        return "\n".join(lines)

    def __eq__(self, other) -> bool:
        return isinstance(other, Mapping) and self.to_dict() == other.to_dict()


def signature(columns) -> str:
    """Hash of the normalised header: files with the same columns share a saved mapping."""
    key = "\x1f".join(sorted(_norm(c) for c in columns))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def mappings_dir() -> Path:
    env = os.environ.get("HARMMAP_MAPPINGS_DIR")
    return Path(env) if env else paths.DATA / "mappings"


def save_mapping(mapping: Mapping, columns) -> Path:
    """Save a mapping for files with these columns; returns the JSON path."""
    d = mappings_dir()
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{signature(columns)}.json"
    body = {"columns": [str(c) for c in columns], **mapping.to_dict()}
    p.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    return p


def saved_mapping(columns) -> Mapping | None:
    p = mappings_dir() / f"{signature(columns)}.json"
    if not p.exists():
        return None
    try:
        m = Mapping.from_dict(json.loads(p.read_text(encoding="utf-8")))
    except (ValueError, json.JSONDecodeError):
        return None
    m.origin = "saved"
    return m


def preset(columns) -> Mapping | None:
    """Mappings for known exports (``cir``: CIR Russia-Ukraine Monitor)."""
    cols = {_norm(c): c for c in columns}
    if {_norm(c) for c in ("entry", "event group", "brief description", "arms/munition")} <= set(cols):
        f = {"id": ["entry"], "date": ["date"], "lat": ["lat"], "lon": ["lon"],
             "description": ["title", "brief description"], "admin1": ["province"], "admin2": ["district"],
             "location": ["town/city"], "weapon": ["arms/munition"], "url": ["link", "geolocation"],
             "labels": ["event_group"]}
        f = {k: [cols[_norm(c)] for c in v if _norm(c) in cols] for k, v in f.items()}
        return Mapping(fields=f, source="cir", preset="cir", origin="preset")
    return None


def guess_mapping(columns, sample: pd.DataFrame | None = None) -> Mapping:
    """Guess which columns hold which canonical field from the header (and a few sample rows).

    Example
    -------
    >>> guess_mapping(["event_date", "latitude", "longitude", "notes", "oblast"]).fields["description"]
    ['notes']
    """
    cols = [str(c) for c in columns]
    used: set[str] = set()
    fields: dict[str, list[str]] = {}
    for f in FIELDS:
        # a repeated header comes back as "notes.1": it means the same field; a nested one ("place.oblast",
        # from JSON) is matched whole, then by its last part
        hits = [c for c in cols if c not in used and (_norm(re.sub(r"\.\d+$", "", c)) in _SYN[f] or (
            "." in c.strip(".") and _norm(c.rsplit(".", 1)[1]) in _SYN[f] and not c.rsplit(".", 1)[1].isdigit()))]
        if not hits:
            continue
        if f not in MULTI:
            hits = hits[:1]
        fields[f] = hits
        used.update(hits)
    if sample is not None and len(sample):
        # a lat/lon pair in one column (or a map link holding one) is coords, whatever the header; a
        # "source" column full of other links is a url column
        for c in cols:
            if c in used or c not in sample.columns or {"lat", "lon"} <= set(fields) or "coords" in fields:
                continue
            vals = C.clean_strings(sample[c].astype("str"))
            vals = vals[vals != ""].reset_index(drop=True)
            if len(vals) >= 1:
                la, lo, _a, _b = _split_coords(vals)
                ok = np.isfinite(la.to_numpy(dtype=float)) & np.isfinite(lo.to_numpy(dtype=float))
                if ok.mean() > 0.8:
                    fields["coords"] = [c]
                    used.add(c)
        for c in cols:
            if c in used:
                continue
            vals = C.clean_strings(sample[c].astype("str")) if c in sample.columns else pd.Series([], dtype="str")
            vals = vals[vals != ""]
            if len(vals) and vals.str.match(r"https?://").mean() > 0.8:
                fields.setdefault("url", []).append(c)
                used.add(c)
        if "date" not in fields:
            for c in cols:
                if c in used or c not in sample.columns:
                    continue
                vals = C.clean_strings(sample[c].astype("str"))
                vals = vals[vals != ""]
                if len(vals) and C.parse_dates(vals.reset_index(drop=True))["date"].notna().mean() > 0.8:
                    fields["date"] = [c]
                    used.add(c)
                    break
    if "lat" in fields and "lon" not in fields or "lon" in fields and "lat" not in fields:
        fields.pop("lat", None)
        fields.pop("lon", None)
    return Mapping(fields=fields)


# ------------------------------------------------------------------------------------------------
# loading raw rows
# ------------------------------------------------------------------------------------------------
def load_raw(path, *, sheet=None) -> tuple[pd.DataFrame, np.ndarray, list[str], pd.DataFrame]:
    """A text table or spreadsheet as a frame of values, with 1-based row numbers, warnings and
    malformed rows (already rejects)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in XLSX_SUFFIXES and not _is_zip(path) and path.stat().st_size and \
            not C.looks_binary(C.sniff_bytes(path)):
        frame, rows, warnings, malformed = C.read_text_table(path)     # a CSV saved under an Excel name
        return frame, rows, [f"named {path.suffix} but it is a text table: read as delimited text"] + warnings, \
            malformed
    if path.suffix.lower() in XLSX_SUFFIXES or (path.suffix.lower() not in TEXT_SUFFIXES and _is_zip(path) and
                                                 _zip_has(path, "xl/workbook.xml")):
        return _load_xlsx(path, sheet)
    if path.suffix.lower() in JSON_SUFFIXES:
        return _load_json_records(path)
    if path.suffix.lower() == ".xls":
        raise C.ReadError(f"{path}: old Excel .xls files are not supported; save it as .xlsx or .csv")
    if path.suffix.lower() in (".ods", ".numbers"):
        raise C.ReadError(f"{path}: {path.suffix} spreadsheets are not supported; save it as .xlsx or .csv")
    return C.read_text_table(path)


def _load_json_records(path: Path):
    """A JSON list of records (``[{...}, ...]``, or one wrapped as ``{"data"|"records"|"items"|"results":
    [...]}``) or newline-delimited JSON records, as a frame with 1-based record numbers (for NDJSON the
    line numbers)."""
    import json

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise C.ReadError(f"{path}: not UTF-8 text ({exc})") from None
    if not text.strip():
        raise C.ReadError(f"{path}: the file is empty")
    rows: list[int] = []
    bad: list[tuple[int, str]] = []
    try:
        doc = json.loads(text)
        recs = doc
        if isinstance(doc, dict):
            recs = next((doc[k] for k in ("data", "records", "items", "results", "rows", "incidents", "events")
                         if isinstance(doc.get(k), list)), None)
        if not isinstance(recs, list):
            raise C.ReadError(f"{path}: JSON, but not a list of records (expected [{{...}}, ...] or "
                              f"{{\"data\": [...]}})")
        rows = list(range(1, len(recs) + 1))
    except json.JSONDecodeError:
        recs = []
        for i, line in enumerate(text.splitlines(), start=1):     # newline-delimited JSON
            if not line.strip():
                continue
            try:
                recs.append(json.loads(line))
                rows.append(i)
            except json.JSONDecodeError as exc:
                bad.append((i, f"line {i} is not JSON: {exc.msg}"))
        if not recs:
            raise C.ReadError(f"{path}: not JSON (neither a document nor one record per line)") from None
    keep = [i for i, r in enumerate(recs) if isinstance(r, dict)]
    bad += [(rows[i], f"record {rows[i]} is not an object") for i in range(len(recs)) if not isinstance(recs[i], dict)]
    frame = pd.json_normalize([recs[i] for i in keep], max_level=0) if keep else pd.DataFrame()
    malformed = pd.DataFrame({"_row": [b[0] for b in bad], "_reason": "malformed_row", "_detail": [b[1] for b in bad]})
    warnings = [f"{len(bad)} record(s) could not be read (they are rejected)"] if bad else []
    return frame, np.asarray([rows[i] for i in keep], dtype=np.int64), warnings, \
        malformed if bad else C._empty_rejects(frame.columns)


def _is_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _zip_has(path: Path, name: str) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return name in z.namelist()
    except zipfile.BadZipFile:
        return False


def _load_xlsx(path: Path, sheet=None):
    import openpyxl

    if path.stat().st_size == 0:
        raise C.ReadError(f"{path}: the file is empty (0 bytes)")
    C.check_zip(path)          # an XLSX is a zip: refuse a bomb before openpyxl unpacks it
    small = path.stat().st_size < 20 * 1024 * 1024
    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=not small)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise C.ReadError(f"{path}: cannot open as an Excel workbook ({type(exc).__name__}: {exc})") from None
    try:
        if sheet is None:
            ws = _incident_sheet(wb)
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        else:
            ws = wb[sheet]
    except (IndexError, KeyError):
        raise C.ReadError(f"{path}: no sheet {sheet!r}; sheets are {wb.sheetnames}") from None
    warnings: list[str] = []
    if len(wb.worksheets) > 1:
        which = "the first sheet" if ws is wb.worksheets[0] else "the first sheet with incident columns,"
        warnings.append(f"read {which} {ws.title!r} of {len(wb.worksheets)} ({wb.sheetnames})")
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    if small and getattr(ws, "merged_cells", None) and ws.merged_cells.ranges:
        n_merged = 0
        for rng in list(ws.merged_cells.ranges):
            v = values[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(values) else None
            for r in range(rng.min_row - 1, min(rng.max_row, len(values))):
                row = values[r]
                for c in range(rng.min_col - 1, rng.max_col):
                    if c < len(row):
                        row[c] = v
            n_merged += 1
        warnings.append(f"{n_merged} merged cell range(s): each cell took the merged value")
    if small:
        # links: a cell's hyperlink, or =HYPERLINK("url", "text") (whose saved value is only the text)
        for row in ws.iter_rows():
            for cell in row:
                target = getattr(getattr(cell, "hyperlink", None), "target", None)
                if target:
                    _add_link(values, cell.row - 1, cell.column - 1, target)
        missing = _formulas_without_values(path, ws.title, values)
        if missing:
            warnings.append(f"{len(missing)} formula cell(s) have no saved value (e.g. {', '.join(missing[:3])}); "
                            "open and save the file in a spreadsheet program to compute them")
    wb.close()
    header_at = _header_row(values)
    if header_at is None:
        raise C.ReadError(f"{path}: sheet {ws.title!r} has no header row (no row with two or more values)")
    header = C._clean_header(["" if v is None else v for v in values[header_at]])
    body, rows = [], []
    for i in range(header_at + 1, len(values)):
        r = values[i]
        if not any(v is not None and str(v).strip() != "" for v in r):
            continue
        r = (r + [None] * len(header))[:len(header)]
        body.append(r)
        rows.append(i + 1)
    frame = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
    return frame, np.asarray(rows, dtype=np.int64), warnings, C._empty_rejects(header)


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Nested values (GeoJSON properties, JSON records) as columns a mapping can name: an object
    ``place: {name, oblast}`` -> ``place.name``, ``place.oblast``; a list -> its items joined by "; "."""
    out = {}
    for c in frame.columns:
        col = frame[c]
        objs = col.map(lambda v: isinstance(v, dict))
        if objs.any():
            sub = pd.json_normalize([v if isinstance(v, dict) else {} for v in col]).add_prefix(f"{c}.")
            for k in sub.columns:
                out[k] = _flatten(sub[[k]])[k].to_numpy()
            continue
        if col.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
            col = col.map(lambda v: "; ".join(str(x) for x in v if x is not None and str(x).strip())
                          if isinstance(v, (list, tuple, np.ndarray)) else v)
        out[c] = col.to_numpy()
    return pd.DataFrame(out, index=frame.index) if out else frame


def _incident_sheet(wb):
    """The first sheet whose header names two known fields (a cover or notes sheet may come first),
    else the first sheet."""
    for ws in wb.worksheets:
        head = [list(r) for r in ws.iter_rows(values_only=True, max_row=20)]
        at = _header_row(head)
        if at is not None and sum(_norm(v) in _KNOWN for v in head[at] if v is not None) >= 2:
            return ws
    return wb.worksheets[0]


def _header_row(values: list[list]) -> int | None:
    """Index of the header row: the first of the first 20 rows with two or more different values
    that names two known fields (a title row above it, merged across the columns, has one value),
    else the first row with two or more different values."""
    first = None
    for i, r in enumerate(values[:20]):
        cells = {str(v).strip() for v in r if v is not None and str(v).strip() != ""}
        if len(cells) < 2:
            continue
        if first is None:
            first = i
        if sum(_norm(c) in _KNOWN for c in cells) >= 2:
            return i
    if first is None:
        first = next((i for i, r in enumerate(values) if len({str(v).strip() for v in r
                                                              if v is not None and str(v).strip() != ""}) >= 2), None)
    return first


_HYPERLINK = re.compile(r'^=\s*HYPERLINK\(\s*"([^"]+)"', re.I)


def _add_link(values: list[list], r: int, c: int, url: str) -> None:
    """Put a cell's link into its value: the URL after the shown text (the source columns take links from
    text; a description keeps its words)."""
    if r >= len(values) or c >= len(values[r]) or not re.match(r"https?://", url):
        return
    text = values[r][c]
    text = "" if text is None else str(text).strip()
    values[r][c] = url if not text or text == url or url in text else f"{text} {url}"


def _formulas_without_values(path: Path, title: str, values) -> list[str]:
    """Cells whose formula has no saved value; ``=HYPERLINK(...)`` formulas give their URL to ``values``."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=False, read_only=True)
        ws = wb[title]
        out = []
        for r_i, row in enumerate(ws.iter_rows()):
            for c_i, cell in enumerate(row):
                v = getattr(cell, "value", None)
                link = _HYPERLINK.match(v) if isinstance(v, str) else None
                if link:
                    _add_link(values, r_i, c_i, link.group(1))
                if isinstance(v, str) and v.startswith("=") and r_i < len(values) and c_i < len(values[r_i]) \
                        and values[r_i][c_i] is None:
                    out.append(f"{cell.coordinate}")
        wb.close()
        return out
    except Exception:  # noqa: BLE001 - only a warning
        return []


def load_gis(path) -> tuple[object, list[str], dict]:
    """A GIS file as a GeoDataFrame in EPSG:4326, with warnings and facts for the report."""
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise C.ReadError(f"{path}: the file is empty (0 bytes)")
    warnings: list[str] = []
    suffix = path.suffix.lower()
    uri = str(path)
    if suffix == ".zip":
        C.check_zip(path)
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.startswith("__MACOSX")]
        shps = [n for n in names if n.lower().endswith(".shp")]
        others = [n for n in names if n.lower().endswith((".gpkg", ".geojson", ".kml", ".fgb"))]
        if shps:
            stem = shps[0][:-4]
            have = {n[len(stem):].lower() for n in names if n.startswith(stem)}
            for part in (".dbf", ".shx"):
                if part not in have:
                    warnings.append(f"the shapefile {shps[0]} has no {part} in the zip"
                                    + (": attributes are missing" if part == ".dbf" else ": it was rebuilt"))
            if ".prj" not in have:
                warnings.append(f"the shapefile {shps[0]} has no .prj (coordinate system)")
            uri = ("extract", shps[0])
            if len(shps) > 1:
                warnings.append(f"the zip holds {len(shps)} shapefiles; read {shps[0]}")
        elif others:
            uri = f"/vsizip/{path}/{others[0]}"
        else:
            raise C.ReadError(f"{path}: the zip holds no shapefile (.shp) or other GIS file "
                              f"(it holds: {', '.join(names[:8]) or 'nothing'})")
    elif suffix == ".shp":
        for part in (".dbf", ".shx", ".prj"):
            if not path.with_suffix(part).exists() and not path.with_suffix(part.upper()).exists():
                warnings.append(f"{path.name} has no {part} beside it")
    try:
        if isinstance(uri, tuple):
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                with zipfile.ZipFile(path) as z:
                    z.extractall(tmp)
                shp = Path(tmp) / uri[1]
                restore = not shp.with_suffix(".shx").exists()
                if restore:
                    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": True})
                try:
                    gdf = gpd.read_file(shp)
                finally:
                    if restore:
                        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
        elif suffix in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            layers = pyogrio.list_layers(uri, ) if suffix in (".kml", ".kmz", ".gpkg") else None
            if layers is not None and len(layers) > 1:
                parts = []
                for name, _ in layers:
                    part = gpd.read_file(uri, layer=name)
                    if len(part):
                        part["layer"] = name
                        parts.append(part)
                gdf = pd.concat(parts, ignore_index=True) if parts else gpd.read_file(uri, layer=layers[0][0])
                gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=parts[0].crs if parts else None)
                warnings.append(f"read {len(layers)} layers ({', '.join(str(n) for n, _ in layers[:5])})")
            else:
                gdf = gpd.read_file(uri)
    except (C.ReadError, FileNotFoundError):
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL/pyarrow raise many kinds
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise C.ReadError(f"{path}: cannot read as a GIS file ({msg})") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise C.ReadError(f"{path}: no geometry column")
    if gdf.crs is None:
        b = gdf.total_bounds if len(gdf) else np.array([0, 0, 0, 0])
        if np.all(np.isfinite(b)) and -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90:
            warnings.append("no coordinate system given (.prj missing?): the coordinates look like degrees, "
                            "so EPSG:4326 (WGS 84) was assumed")
            gdf = gdf.set_crs("EPSG:4326")
        else:
            raise C.ReadError(f"{path}: no coordinate system given and the coordinates are not degrees "
                              f"(bounds {b.round(1).tolist()}); add the .prj file")
    elif gdf.crs.to_epsg() != 4326:
        warnings.append(f"reprojected from {gdf.crs.to_string()} to EPSG:4326")
        gdf = gdf.to_crs("EPSG:4326")
    return gdf, warnings, {}


# ------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------
def is_gis(path) -> bool:
    path = Path(path)
    s = path.suffix.lower()
    if s in (".json", ".ndjson", ".jsonl"):
        try:
            with open(path, "rb") as fh:
                head = fh.read(2048).decode("utf-8", errors="replace")
            return '"FeatureCollection"' in head or '"Feature"' in head
        except OSError:
            return False
    if s == ".zip":
        return not _zip_has(path, "xl/workbook.xml")
    return s in GIS_SUFFIXES


def read(path, *, source: str | None = None, mapping: Mapping | dict | None = None, date_order: str | None = None,
         sheet=None, save: bool = True, today=None, **_opts) -> C.ReadResult:
    """Read a table or GIS file into canonical incidents.

    Parameters
    ----------
    path : CSV/TSV/TXT, XLSX, GeoJSON, GPKG, (Geo)Parquet, zipped Shapefile, KML/KMZ, FlatGeobuf.
    source : data set name (default: the preset's, the saved mapping's, else the file name).
    mapping : a :class:`Mapping` (or its dict) to use instead of the guessed one; it is saved for
        files with the same header (``save=False`` to not save).
    date_order : "auto" (per column), "dmy" or "mdy"; overrides the mapping's.

    Example
    -------
    >>> r = read("strikes.xlsx", mapping={"fields": {"date": ["Коли"], "lat": ["Y"], "lon": ["X"]}})  # doctest: +SKIP
    >>> r.report["mapping"]["fields"]["date"]                                            # doctest: +SKIP
    ['Коли']
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    geo = None
    warnings: list[str] = []
    malformed = None
    if is_gis(path):
        gdf, warnings, _ = load_gis(path)
        geo = gdf.geometry.reset_index(drop=True)
        attrs = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name])).reset_index(drop=True)
        frame = attrs
        rows = np.arange(1, len(frame) + 1, dtype=np.int64)
        fmt = "gis"
    else:
        frame, rows, warnings, malformed = load_raw(path, sheet=sheet)
        fmt = "table"
    # nested values come only from JSON and GIS attributes (a text table's cells are strings)
    raw = C.to_text_frame(_flatten(frame) if fmt == "gis" or path.suffix.lower() in JSON_SUFFIXES else frame)
    columns = list(raw.columns)
    if isinstance(mapping, dict):
        mapping = Mapping.from_dict(mapping)
    if mapping is not None:
        mapping.origin = "given"
        missing = [c for cols in mapping.fields.values() for c in cols if c not in columns]
        if missing:
            raise C.ReadError(f"{path}: the mapping names column(s) {missing} that the file does not have "
                              f"(columns: {columns})")
        if save and columns:
            save_mapping(mapping, columns)
    else:
        mapping = saved_mapping(columns) or preset(columns) or guess_mapping(columns, raw.head(200))
    order = date_order or mapping.date_order or "auto"
    source = source or mapping.source or _slug(path.stem)
    n = len(raw)
    f = mapping.fields

    def first(name: str) -> pd.Series:
        out = pd.Series([""] * n, index=raw.index, dtype="str")
        for c in f.get(name, []):
            v = C.clean_strings(raw[c])
            out = out.where(out != "", v)
        return out

    problems = C.Problems(n)
    by_name = False
    footprints = pd.Series([pd.NA] * n, dtype="string")
    non_point = 0
    raw_lat = raw_lon = None
    if geo is not None:
        import shapely

        g = np.asarray(geo.values, dtype=object)
        empty = shapely.is_missing(g) | shapely.is_empty(g)
        valid = shapely.is_valid(g)
        bad = ~empty & ~valid
        if bad.any():
            reasons = shapely.is_valid_reason(g[bad])
            det = np.full(n, None, dtype=object)
            det[bad] = [f"invalid geometry: {r}" for r in reasons]
            problems.add_mask(bad, "invalid_geometry", det)
        kinds = np.array([geom.geom_type if geom is not None else "" for geom in g], dtype=object)
        is_pt = kinds == "Point"
        conv = ~empty & ~is_pt & valid
        pts = g.copy()
        if conv.any():
            pts[conv] = shapely.point_on_surface(g[conv])
            footprints[conv] = shapely.to_wkt(g[conv], rounding_precision=6)
            non_point = int(conv.sum())
        with np.errstate(invalid="ignore"):
            ok_pt = ~empty & valid
            lon = pd.Series(np.where(ok_pt, shapely.get_x(np.where(ok_pt, pts, None)), np.nan))
            lat = pd.Series(np.where(ok_pt, shapely.get_y(np.where(ok_pt, pts, None)), np.nan))
        raw = raw.copy()
        raw["_wkt"] = pd.Series(shapely.to_wkt(g, rounding_precision=7), dtype="str").fillna("")
        missing_geom = empty.copy()
        if "lat" in f and "lon" in f:  # attribute coordinates fill features without geometry
            alat, alon = C.parse_coordinate(first("lat")), C.parse_coordinate(first("lon"))
            lat = lat.where(lat.notna(), alat)
            lon = lon.where(lon.notna(), alon)
            missing_geom &= ~(np.isfinite(alat.to_numpy(dtype=float)) & np.isfinite(alon.to_numpy(dtype=float)))
        problems.add_mask(missing_geom, "no_coordinates", "the feature has no geometry (and no lat/lon properties)")
    elif "lat" in f and "lon" in f:
        raw_lat, raw_lon = first("lat"), first("lon")
        lat, lon = C.parse_coordinate(raw_lat), C.parse_coordinate(raw_lon)
    elif "coords" in f:
        lat, lon, raw_lat, raw_lon = _split_coords(first("coords"))
    elif "wkt" in f:
        import shapely

        txt = first("wkt")
        g = shapely.from_wkt(txt.where(txt != "", None).to_numpy(dtype=object), on_invalid="ignore")
        bad = (txt != "").to_numpy() & shapely.is_missing(g)
        problems.add_mask(bad, "invalid_geometry", [f"WKT {t[:60]!r} cannot be parsed" for t in txt])
        invalid = ~shapely.is_missing(g) & ~shapely.is_valid(g)
        if invalid.any():
            problems.add_mask(invalid, "invalid_geometry",
                              np.array([f"invalid geometry: {r}" if r else "" for r in
                                        shapely.is_valid_reason(g)], dtype=object))
        pts = np.where(~shapely.is_missing(g) & ~shapely.is_empty(g), shapely.point_on_surface(g), None)
        nonpt = ~shapely.is_missing(g) & (shapely.get_type_id(g) != 0)
        footprints[nonpt] = shapely.to_wkt(g[nonpt], rounding_precision=6)
        non_point = int(nonpt.sum())
        with np.errstate(invalid="ignore"):
            lat, lon = pd.Series(shapely.get_y(pts)), pd.Series(shapely.get_x(pts))
    elif "location" in f:
        by_name = True
        # no coordinates at all: place the rows by their town's name, at town precision
        lat, lon, placed, town_oblast = _place_by_name(first("location"), first("admin1"), problems)
        warnings.append(f"no coordinate columns: {placed} of {n} rows placed at their town's centre by its name "
                        "(geo precision 'town'); the others are rejected as unknown_place")
    else:
        raise C.ReadError(f"{path}: no coordinate columns found (looked for lat/latitude/y/широта and "
                          f"lon/lng/longitude/x/довгота, or a coordinates or WKT column; columns are "
                          f"{', '.join(columns[:15])}). Pass a mapping, e.g. "
                          "--mapping '{\"fields\": {\"lat\": [\"...\"], \"lon\": [\"...\"]}}'")
    lat = pd.Series(np.asarray(lat, dtype=float))
    lon = pd.Series(np.asarray(lon, dtype=float))
    reason, detail = C.check_coordinates(lat, lon, raw_lat, raw_lon)
    swapped = reason == "swapped_coordinates"
    with_xy = np.isfinite(lat.to_numpy()) & np.isfinite(lon.to_numpy())
    if geo is None and with_xy.sum() >= 3 and swapped.sum() > 0.8 * with_xy.sum():
        warnings.append(f"latitude and longitude columns look swapped in {int(swapped.sum())} of "
                        f"{int(with_xy.sum())} rows: they were swapped back for the whole file")
        lat, lon = lon, lat
        raw_lat, raw_lon = raw_lon, raw_lat
        reason, detail = C.check_coordinates(lat, lon, raw_lat, raw_lon)
    problems.add(reason, detail)
    if "date" in f:
        dates = C.parse_dates(first("date") if "time" not in f else _with_time(first("date"), first("time")),
                              order=order, today=today, column=f["date"][0])
        problems.add(dates["reason"], dates["detail"])
    else:
        dates = pd.DataFrame({"date": pd.Series([pd.NaT] * n, dtype="datetime64[ns]"),
                              "time": pd.Series([pd.NA] * n, dtype="string")})
        problems.add_mask(np.ones(n, dtype=bool), "no_date", "the file has no date column (map one with a mapping)")
        warnings.append("no date column found: every row is rejected as no_date")
    prefix = f"{source}:"
    if "id" in f:
        own = first("id")
        ids = prefix + own.where(own != "", "row-" + pd.Series(rows, dtype="str"))
        id_label = f["id"][0]
    else:
        key_cols = [c for k in ("date", "lat", "lon", "coords", "wkt", "description", "title", "location")
                    for c in f.get(k, [])] or list(raw.columns)
        ids = prefix + C.content_ids(raw, key_cols)
        id_label = "content (no id column)"
        if geo is not None:
            ids = prefix + C.content_ids(raw, key_cols + ["_wkt"])
    C.mark_duplicate_ids(ids, rows, problems, label=id_label)

    desc = _join_texts([raw[c] for c in f.get("title", []) + f.get("description", [])], n)
    labels = _collect([raw[c] for c in f.get("labels", [])], n, split=True)
    pub_cols = [raw[c] for c in f.get("publisher", [])]
    for lab, names in zip(labels, _publishers(pub_cols, n), strict=True):
        lab.extend(x for x in names if x not in lab)
    urls = [list(dict.fromkeys(u)) for u in _collect_urls([raw[c] for c in f.get("url", [])] + pub_cols, n)]
    parsed = pd.DataFrame({
        "incident_id": ids, "source": source, "date": dates["date"].to_numpy(), "time": dates["time"].to_numpy(),
        "date_precision": dates["precision"].to_numpy() if "precision" in dates else "day",
        "lon": lon.to_numpy(), "lat": lat.to_numpy(),
        "geo_precision": "town" if by_name else "exact", "footprint_wkt": footprints.to_numpy(),
        "admin1_raw": (first("admin1").where(first("admin1") != "", town_oblast) if by_name else
                       first("admin1")).replace("", pd.NA), "admin2": first("admin2").replace("", pd.NA),
        "location": first("location").replace("", pd.NA), "description": desc.replace("", pd.NA),
        "event_type": first("event_type").replace("", pd.NA), "source_labels": labels,
        "fatalities": _counts(first("fatalities")), "injuries": _counts(first("injuries")),
        "actor": first("actor").replace("", pd.NA), "weapon": first("weapon").replace("", pd.NA),
        "source_urls": urls,
    })
    extra = {"mapping": mapping.to_dict(), "mapping_origin": mapping.origin, "signature": signature(columns),
             "non_point_geometries": non_point}
    if non_point:
        warnings.append(f"{non_point} non-point geometr{'y' if non_point == 1 else 'ies'}: located at a point on "
                        "the surface; the shape is kept in footprint_wkt")
    result = C.finish(raw, rows, parsed, problems, path=path, fmt=fmt, source=source, warnings=warnings,
                      extra_rejects=malformed, extra=extra)
    return result


def _slug(s: str) -> str:
    s = re.sub(r"[^\w]+", "_", s.strip().lower()).strip("_")
    return s or "table"


def _with_time(d: pd.Series, t: pd.Series) -> pd.Series:
    return d.where((t == "") | d.str.contains(":", regex=False), d + " " + t)


def _counts(s: pd.Series) -> pd.Series:
    return schema.to_count(s.str.replace(",", ".", regex=False))


def _join_texts(cols: list[pd.Series], n: int) -> pd.Series:
    if not cols:
        return pd.Series([""] * n, dtype="str")
    cols = [C.clean_strings(c) for c in cols]
    if len(cols) == 1:
        return cols[0]
    out = []
    for vals in zip(*cols, strict=False):
        parts: list[str] = []
        for v in vals:
            v = v.strip()
            if not v or any(v in p for p in parts):
                continue
            parts = [p for p in parts if p not in v] + [v]
        out.append("\n".join(parts))
    return pd.Series(out, index=cols[0].index, dtype="str")


def _collect(cols: list[pd.Series], n: int, split: bool = False) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(n)]
    for c in cols:
        for i, v in enumerate(C.clean_strings(c)):
            if v:
                vals = [x.strip() for x in re.split(r"[;|]", v)] if split else [v]
                out[i].extend(x for x in vals if x and x not in out[i])
    return out


def _place_by_name(places: pd.Series, oblasts: pd.Series, problems: C.Problems):
    """Coordinates (and oblast) of each row's town by name (see :func:`harmmap.gazetteer.place_point`);
    rows not found are marked ``unknown_place`` with the reason."""
    from harmmap import gazetteer

    n = len(places)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    oblast = np.full(n, "", dtype=object)
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    for i, (p, a) in enumerate(zip(places, oblasts, strict=True)):
        hit, why = gazetteer.place_point(p, a or None)
        if hit is None:
            reason[i], detail[i] = "unknown_place", why + "; add latitude and longitude columns"
        else:
            lat[i], lon[i], oblast[i] = hit[2], hit[3], hit[1]
    problems.add(reason, detail)
    return pd.Series(lat), pd.Series(lon), int(np.isfinite(lat).sum()), pd.Series(oblast, dtype="str")


def _publishers(cols: list[pd.Series], n: int) -> list[list[str]]:
    """'Suspilne; UNIAN' -> ['publisher/Suspilne', 'publisher/UNIAN'] (links are taken as URLs instead)."""
    out: list[list[str]] = [[] for _ in range(n)]
    for c in cols:
        for i, v in enumerate(C.clean_strings(c)):
            if v:
                rest = C.URL_RE.sub(" ", v)
                names = [x.strip(" ,.") for x in re.split(r"[;|\n]", rest)]
                out[i].extend(f"publisher/{x}" for x in names if x and f"publisher/{x}" not in out[i])
    return out


def _collect_urls(cols: list[pd.Series], n: int) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(n)]
    for c in cols:
        for i, u in enumerate(C.split_urls(c)):
            out[i].extend(u)
    return out


_MAP_LINK = re.compile(r"(?:[?&](?:q|ll|query|center)=|/@|/place/|#map=\d+/)(-?\d{1,3}\.\d+)(?:,|%2C|/)\s*(-?\d{1,3}\.\d+)")


def _split_coords(s: pd.Series):
    """'48.5, 35.1' / '48.5 35.1' / '48,5; 35,1' / a map link (Google Maps ?q=lat,lon, /@lat,lon,
    /place/lat,lon; OpenStreetMap #map=z/lat/lon) -> lat, lon."""
    s = s.reset_index(drop=True)
    link = s.str.extract(_MAP_LINK)
    s = s.where(link[0].isna(), link[0] + ", " + link[1])
    part = s.str.extract(r"^\s*\(?\s*(?P<a>[^;,\s]+(?:[,.]\d+)?)\s*[;,\s]\s*(?P<b>[^;,\s]+)\s*\)?\s*$")
    semi = s.str.contains(";", regex=False)
    alt = s.str.extract(r"^\s*(?P<a>[^;]+);\s*(?P<b>[^;]+)$")
    a = part["a"].where(~semi, alt["a"]).fillna("")
    b = part["b"].where(~semi, alt["b"]).fillna("")
    return C.parse_coordinate(a), C.parse_coordinate(b), a, b
