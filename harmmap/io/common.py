"""What every reader shares: dates, coordinates, the study area, rejects and :class:`ReadResult`.

A reader turns a file into two frames: the rows it could load (the canonical incident table) and
the rows it could not (the original values as strings, with ``_row``, ``_reason`` and ``_detail``).
``read == loaded + rejected`` always: nothing is dropped silently.

Reject reasons are stable identifiers (users' scripts count them):

==================== ====================================================================
no_coordinates       latitude or longitude missing or not a number
out_of_range         latitude beyond +-90 or longitude beyond +-180
swapped_coordinates  latitude and longitude look swapped (swapping them lands in Ukraine)
outside_study_area   a valid point outside Ukraine (Russia, Belarus, Moldova, the open sea...), or an
                     ACLED row whose country is not Ukraine
invalid_geometry     a geometry that cannot be used (unparseable WKT, self-intersection...)
no_date              the date is empty
unparseable_date     the date is not a date (or not a real day, e.g. 31/02/2022)
ambiguous_date       day and month cannot be told apart (e.g. 05/06/2022 in a column that never says)
future_date          the date is after today
duplicate_id         the id (or, without ids, the same content) was already used by an earlier row
malformed_row        the row does not fit the table (more fields than the header, or a truncated last row)
unknown_place        a file without coordinates: the row's place is not a town HarmMap knows by name
==================== ====================================================================

Example
-------
>>> import pandas as pd
>>> d = parse_dates(pd.Series(["2022-03-01", "13 May 2022", "24/02/2022 10:30", ""]))
>>> [str(x.date()) if pd.notna(x) else None for x in d["date"]]
['2022-03-01', '2022-05-13', '2022-02-24', None]
>>> list(d["reason"])
[None, None, None, 'no_date']
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from harmmap import schema

REASONS = ("no_coordinates", "out_of_range", "swapped_coordinates", "outside_study_area",
           "invalid_geometry", "no_date", "unparseable_date", "ambiguous_date", "future_date",
           "duplicate_id", "malformed_row", "unknown_place")

#: strings that mean "no value" in the files people send us
NULL_STRINGS = frozenset({"", "nan", "none", "null", "n/a", "na", "#n/a", "-", "--", "?", "nil", "<na>",
                          "nat", "#value!", "#ref!", "#div/0!"})

# a small margin (about 5 km) around the (simplified) country polygon, in degrees: coastal and border points stay
STUDY_BUFFER_DEG = 0.05
#: a table with more columns than this is refused (a wrong delimiter, or not a table of incidents)
MAX_COLUMNS = 5_000
#: a zip (zipped shapefile, XLSX) that would unpack to more than this is refused (zip bomb)
MAX_UNZIPPED_BYTES = 2 * 1024**3
MAX_ZIP_RATIO = 200
#: UTF-8 with some lines in Windows Cyrillic (two files pasted together): each invalid byte is read as cp1251
MIXED_UTF8_CP1251 = "utf-8+cp1251"


def _cp1251_fallback(err: UnicodeDecodeError):
    return err.object[err.start:err.end].decode("cp1251", errors="replace"), err.end


codecs.register_error("harmmap_cp1251", _cp1251_fallback)


def check_zip(path: Path) -> None:
    """Refuse a zip that would unpack to more than :data:`MAX_UNZIPPED_BYTES` or that compresses
    suspiciously well (a zip bomb), before anything is unpacked. Raises :class:`ReadError`."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise ReadError(f"{path}: not a valid zip file ({exc})") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNZIPPED_BYTES or (total > 100 * 1024**2 and total / packed > MAX_ZIP_RATIO):
        raise ReadError(f"{path}: refused: the zip would unpack to {total / 1024**2:,.0f} MB from "
                        f"{packed / 1024**2:,.1f} MB (looks like a zip bomb; limit {MAX_UNZIPPED_BYTES / 1024**3:.0f} GB "
                        f"and {MAX_ZIP_RATIO}x compression)")


class ReadError(ValueError):
    """A file that cannot be read at all (empty, binary, no usable columns...).

    The message names the file and the problem; the CLI prints it and exits with status 2.
    """


@dataclass
class ReadResult:
    """What a reader returns.

    Attributes
    ----------
    incidents : canonical GeoDataFrame (``schema.conform``); categories are left to ``enrich``.
    rejects : the rows that could not be loaded: original values as strings, ``_row`` (1-based
        line/row/feature number in the file), ``_reason`` and ``_detail``.
    report : ``{path, format, source, read, loaded, rejected, reasons: {reason: count}, warnings, ...}``
        with ``read == loaded + rejected``.
    """

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    report: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        r = self.report
        return (f"ReadResult({r.get('path')!r}, format={r.get('format')!r}, read={r.get('read')}, "
                f"loaded={r.get('loaded')}, rejected={r.get('rejected')}, reasons={r.get('reasons')})")


# ------------------------------------------------------------------------------------------------
# text files: encoding, delimiter, rows with their line numbers
# ------------------------------------------------------------------------------------------------
def sniff_bytes(path: Path, n: int = 65536) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def looks_binary(head: bytes) -> bool:
    """True when the first bytes are not text (NUL bytes, or many control characters)."""
    if not head:
        return False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head[:4096] if b < 9 or 13 < b < 32)
    return ctrl > 0.05 * min(len(head), 4096)


def detect_encoding(path: Path) -> str:
    """utf-8-sig (BOM), utf-8, utf-16, cp1251 (Cyrillic from Windows), else latin-1.

    The whole file is checked incrementally for UTF-8 (a sample is not enough: one cp1251 byte
    at the end would break the read). cp1251 is chosen when charset-normalizer says so or when
    the bytes decode to mostly Cyrillic letters.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("місто,дата\\nХарків,2022-03-01\\n".encode("cp1251"))
    >>> detect_encoding(p)
    'cp1251'
    """
    head = sniff_bytes(path, 4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                dec.decode(chunk)
            dec.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = sniff_bytes(path, 1 << 18)
    data = sample if len(sample) < (1 << 18) else open(path, "rb").read(1 << 24)
    # lines with non-ASCII text: valid UTF-8 ones and invalid ones (a line of single-byte Cyrillic is
    # almost never valid UTF-8 by accident)
    utf8_lines = bad_lines = 0
    for line in data.splitlines():
        if max(line, default=0) < 128:
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            bad_lines += 1
    if utf8_lines and bad_lines and utf8_lines >= 0.2 * bad_lines:
        return MIXED_UTF8_CP1251        # UTF-8 text with some lines in a single-byte code page
    try:
        text = sample.decode("cp1251")
        # Cyrillic text has whole words of Cyrillic letters; Latin-1 accents read as cp1251 give
        # Latin words with one Cyrillic letter in them ("cafй")
        words = [w for w in re.findall(r"[^\W\d_]+", text) if any(ord(c) > 127 for c in w)]
        cyr = sum(1 for w in words if all("\u0400" <= c <= "\u04ff" for c in w))
        if words and cyr / len(words) > 0.6:
            return "cp1251"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        if best is not None and best.encoding:
            enc = best.encoding.replace("_", "-")
            if enc in ("cp1251", "windows-1251", "koi8-r", "koi8-u", "cp1252", "windows-1252"):
                return enc
    except Exception:  # noqa: BLE001 - detection is best effort; latin-1 never fails
        pass
    return "latin-1"


def detect_delimiter(text: str, suffix: str = "") -> str:
    """Comma, semicolon, tab or pipe: the one that splits the first lines most consistently."""
    if suffix in (".tsv", ".tab"):
        return "\t"
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|").delimiter
    except csv.Error:
        pass
    best, score = ",", -1.0
    for d in (",", ";", "\t", "|"):
        counts = [ln.count(d) for ln in lines]
        if not counts[0]:
            continue
        same = sum(1 for c in counts if c == counts[0]) / len(counts)
        s = same * 10 + counts[0] / 100
        if s > score:
            best, score = d, s
    return best


def read_text_table(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[str], pd.DataFrame]:
    """Read a delimited text file as strings.

    Returns ``(frame, line_numbers, warnings, malformed)``: every value a string ('' when empty),
    the 1-based line where each record starts (the header is line 1), and the rows that did not
    fit the table (as a rejects frame with ``_reason`` = ``malformed_row``).
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise ReadError(f"{path}: the file is empty (0 bytes)")
    head = sniff_bytes(path)
    if looks_binary(head):
        raise ReadError(f"{path}: this is not a text table (binary content; is it a spreadsheet, a zip "
                        "or an image with the wrong name?)")
    enc = detect_encoding(path)
    warnings: list[str] = []
    errors = "replace"
    if enc == MIXED_UTF8_CP1251:
        enc, errors = "utf-8", "harmmap_cp1251"
        warnings.append("mixed text encodings: the file is UTF-8 but some lines are in Windows Cyrillic "
                        "(cp1251); those bytes were read as cp1251")
    elif enc not in ("utf-8", "utf-8-sig"):
        warnings.append(f"text encoding detected as {enc} (not UTF-8)")
    text_head = head.decode(enc, errors=errors)
    if text_head.startswith("\ufeff"):
        text_head = text_head[1:]
    if not text_head.strip():
        raise ReadError(f"{path}: the file has no text (only blank lines)")
    text_head, sep = split_sep_line(text_head)
    skip = 1 if sep else 0
    sep = sep or detect_delimiter(text_head, path.suffix.lower())
    ncols = text_head.lstrip("\ufeff").split("\n", 1)[0].count(sep) + 1
    more = "" if "\n" in text_head else " or more"
    if ncols > MAX_COLUMNS:
        raise ReadError(f"{path}: the header has {ncols:,}{more} columns "
                        f"(more than {MAX_COLUMNS:,}): not a table of incidents, or a wrong delimiter")
    with open(path, "rb") as fh:
        fh.seek(max(size - 1, 0))
        ends_nl = fh.read(1) in (b"\n", b"\r")
    frame = None
    if ends_nl and enc in ("utf-8", "utf-8-sig", "cp1251", "latin-1", "cp1252"):
        try:
            frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_filter=False, skiprows=skip,
                                skip_blank_lines=False, encoding=enc, encoding_errors=errors, engine="c")
        except (pd.errors.ParserError, ValueError, UnicodeDecodeError):
            frame = None
    if frame is not None:
        frame.columns = _clean_header(list(frame.columns))
        frame = frame.fillna("")
        newlines = np.zeros(len(frame), dtype=np.int64)
        for c in frame.columns:
            s = frame[c]
            has = s.str.contains("\n", regex=False)
            if has.any():
                newlines += s.str.count("\n").to_numpy(dtype=np.int64)
        header_lines = skip + 1 + sum(str(c).count("\n") for c in frame.columns)
        lines = header_lines + 1 + np.concatenate([[0], np.cumsum(1 + newlines)[:-1]]) if len(frame) else \
            np.array([], dtype=np.int64)
        blank = np.ones(len(frame), dtype=bool)
        for c in frame.columns:
            blank &= (frame[c] == "").to_numpy()
        keep = ~blank
        frame = frame.loc[keep].reset_index(drop=True)
        return frame, np.asarray(lines)[keep].astype(np.int64), warnings, _empty_rejects(frame.columns)
    return _read_text_slow(path, enc, sep, warnings, errors, skip)


def split_sep_line(text: str) -> tuple[str, str | None]:
    """Excel's "sep=;" first line names the delimiter and is not the header: (the text after it, the
    delimiter), or (text, None) when there is no such line."""
    m = re.match(r"sep=(.)\r?\n", text)
    return (text[m.end():], m.group(1)) if m else (text, None)


def _clean_header(cols: list) -> list[str]:
    out, seen = [], {}
    for i, c in enumerate(cols):
        c = str(c).strip().lstrip("\ufeff")
        if not c or c.startswith("Unnamed:"):
            c = f"column_{i + 1}"
        if c in seen:
            seen[c] += 1
            c = f"{c}.{seen[c]}"
        else:
            seen[c] = 0
        out.append(c)
    return out


def _read_text_slow(path: Path, enc: str, sep: str, warnings: list[str], errors: str = "replace", skip: int = 0):
    """The careful path (Python's csv module): exact line numbers, ragged and truncated rows."""
    with open(path, encoding=enc, errors=errors, newline="") as fh:
        text = fh.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    if skip:
        text = text.split("\n", skip)[-1]
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    csv.field_size_limit(1 << 30)
    header = None
    rows: list[list[str]] = []
    lines: list[int] = []
    bad: list[tuple[int, list[str], str]] = []
    prev = skip
    try:
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not any(x.strip() for x in rec):
                continue
            if header is None:
                header = _clean_header(rec)
                continue
            rows.append(rec)
            lines.append(start)
    except csv.Error as exc:
        warnings.append(f"the file could not be read past line {prev + 1}: {exc}")
    if header is None:
        raise ReadError(f"{path}: no header row found")
    n = len(header)
    good_rows, good_lines = [], []
    for i, (rec, ln) in enumerate(zip(rows, lines, strict=False)):
        last = i == len(rows) - 1
        if len(rec) > n and any(x.strip() for x in rec[n:]):
            bad.append((ln, rec, f"line {ln} has {len(rec)} fields but the header has {n} "
                                 f"(wrong delimiter or an unquoted {sep!r} in a value?)"))
        elif len(rec) < n and last and not text.endswith(("\n", "\r")):
            bad.append((ln, rec, f"line {ln} has {len(rec)} of {n} fields and the file ends there: "
                                 "the file looks truncated"))
        else:
            if len(rec) < n:
                rec = rec + [""] * (n - len(rec))
            good_rows.append(rec[:n])
            good_lines.append(ln)
    if good_rows:
        cols = list(zip(*good_rows, strict=False))
        frame = pd.DataFrame({h: pd.array(c, dtype="str") for h, c in zip(header, cols, strict=False)})
    else:
        frame = pd.DataFrame({h: pd.Series([], dtype="str") for h in header})
    malformed = _empty_rejects(header)
    if bad:
        recs = []
        for ln, rec, why in bad:
            d = {h: (rec[j] if j < len(rec) else "") for j, h in enumerate(header)}
            if len(rec) > n:
                d["_extra"] = sep.join(rec[n:])
            d.update(_row=ln, _reason="malformed_row", _detail=why)
            recs.append(d)
        malformed = pd.DataFrame(recs)
    return frame, np.asarray(good_lines, dtype=np.int64), warnings, malformed


def _empty_rejects(columns) -> pd.DataFrame:
    return pd.DataFrame({**{c: pd.Series([], dtype="str") for c in columns},
                         "_row": pd.Series([], dtype="int64"), "_reason": pd.Series([], dtype="str"),
                         "_detail": pd.Series([], dtype="str")})


# ------------------------------------------------------------------------------------------------
# values
# ------------------------------------------------------------------------------------------------
def clean_strings(s: pd.Series) -> pd.Series:
    """Strip; NaN-like strings ('nan', 'NULL', 'n/a', '-'...) become ''."""
    s = s.astype("str").fillna("").str.strip()
    low = s.str.lower()
    return s.where(~low.isin(NULL_STRINGS), "")


_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEWnsewПпСсЮюЗзВв])?\s*(?P<deg>[-+]?\d+(?:[.,]\d+)?)\s*(?:°|º|˚|d|deg|\s)\s*
        (?:(?P<min>\d+(?:[.,]\d+)?)\s*(?:'|′|’|m|min|\s)?\s*)?
        (?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:"|″|''|s|sec)?\s*)?
        (?P<h2>[NSEWnsewПпСсЮюЗзВв])?\s*$""", re.X)
_DEC_HEMI = re.compile(r"^\s*(?P<h1>[NSEWnsew])?\s*(?P<v>[-+]?\d+(?:[.,]\d+)?)\s*°?\s*(?P<h2>[NSEWnsew])?\s*$")


def parse_coordinate(values: pd.Series) -> pd.Series:
    """Coordinates as strings -> floats (NaN when not a coordinate).

    Handles decimal points or commas ("48,4567"), degree signs, hemisphere letters ("48.5N",
    "E 35.1") and degrees-minutes-seconds ("48°27'15\\"N", "48 27 15 N").

    Example
    -------
    >>> parse_coordinate(pd.Series(["48.5", "48,5", "48°30'00\\"N", "30 30 0 W", "x"])).tolist()
    [48.5, 48.5, 48.5, -30.5, nan]
    """
    s = clean_strings(pd.Series(values, dtype="object").astype("str"))
    num = pd.to_numeric(s.str.replace(",", ".", regex=False).where(s.str.count(",") <= 1, ""),
                        errors="coerce").astype("float64")
    todo = num.isna() & (s != "")
    if todo.any():
        num.loc[todo] = [_parse_dms(v) for v in s[todo]]
    return num


def _parse_dms(v: str) -> float:
    v = v.replace("\u2032", "'").replace("\u2033", '"').replace("''", '"')
    m = _DEC_HEMI.match(v) or _DMS.match(v)
    if not m:
        return math.nan
    gd = m.groupdict()
    try:
        if "v" in gd:
            val = float(gd["v"].replace(",", "."))
        else:
            deg = float(gd["deg"].replace(",", "."))
            mins = float(gd["min"].replace(",", ".")) if gd.get("min") else 0.0
            secs = float(gd["sec"].replace(",", ".")) if gd.get("sec") else 0.0
            if mins >= 60 or secs >= 60:
                return math.nan
            val = abs(deg) + mins / 60 + secs / 3600
            if deg < 0:
                val = -val
    except ValueError:
        return math.nan
    hemi = (gd.get("h1") or gd.get("h2") or "").upper()
    if hemi in ("S", "W", "Ю", "З"):
        val = -abs(val)
    return val


_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
# Ukrainian and Russian month names (the genitive of "7 березня 2022", "7 марта 2022 г."): their first
# three letters tell them apart
for _i, _names in enumerate((("січ",), ("лют",), ("бер",), ("кві",), ("тра",), ("чер",), ("лип",), ("сер",),
                             ("вер",), ("жов",), ("лис",), ("гру",)), start=1):
    _MONTHS.update(dict.fromkeys(_names, _i))
for _i, _names in enumerate((("янв",), ("фев",), ("мар",), ("апр",), ("мая", "май"), ("июн",), ("июл",),
                             ("авг",), ("сен",), ("окт",), ("ноя",), ("дек",)), start=1):
    _MONTHS.update(dict.fromkeys(_names, _i))
_MON = r"(?P<mon>[A-Za-zА-Яа-яІіЇїЄєҐґ]{3,10})"
_YEAR_WORD = r"(?:\s*(?:г|р|рік|року|года|год)\.?)?"
_TIME = r"(?:[ T,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp][Mm])?(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
_RE_ISO = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME + r"\s*$")
_RE_NUM = re.compile(r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})" + _TIME + r"\s*$")
_RE_DMONY = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[ \-]+" + _MON + r"\.?,?[ \-]+(?P<y>\d{4}|\d{2})"
                       + _YEAR_WORD + _TIME + r"\s*$")
_RE_MONDY = re.compile(r"^" + _MON + r"\.?[ \-]+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?[ \-]+(?P<y>\d{4})"
                       + _TIME + r"\s*$")
_RE_MONY = re.compile(r"^" + _MON + r"\.?,?[ \-]+(?P<y>\d{4})" + _YEAR_WORD + r"\s*$")
_RE_WEEK = re.compile(r"^(?P<y>\d{4})-?W(?P<w>\d{1,2})$", re.I)
_RE_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})$")


def parse_dates(values: pd.Series, order: str = "auto", *, today: dt.date | None = None,
                column: str = "date") -> pd.DataFrame:
    """Parse a column of date strings (with or without times) in one go.

    ``order`` says how to read ``NN/NN/YYYY``: ``"dmy"`` (most of Europe), ``"mdy"`` (the US) or
    ``"auto"``: decided per *column*: if any value has a first part above 12 the column is
    day-first, if any has a second part above 12 it is month-first. When the column never says,
    values whose day and month differ are rejected as ``ambiguous_date``, unless the order is
    ``"auto-dmy"`` or ``"auto-mdy"``: decided per column, else the given one (a format whose own
    files use one order, re-saved by a spreadsheet in another locale).
    ISO dates, "13 May 2022", "May 13, 2022" and 20220513 are read whatever the order.

    Returns a frame indexed like ``values`` with ``date`` (datetime64, midnight), ``time``
    ("HH:MM" or NA; "00:00" counts as no time: exports use it for "unknown"), ``reason`` (None or
    a reject reason), ``detail`` and ``precision`` ("day"; "month" for "March 2022", the 1st;
    "week" for "2022-W10", its Monday).

    Example
    -------
    >>> r = parse_dates(pd.Series(["05/06/2022", "24/02/2022"]))
    >>> str(r["date"].iloc[0].date()), r["reason"].tolist()
    ('2022-06-05', [None, None])
    >>> parse_dates(pd.Series(["05/06/2022"]))["reason"].tolist()
    ['ambiguous_date']
    """
    values = pd.Series(values)
    codes, uniq = pd.factorize(values.astype("object"), use_na_sentinel=False)
    if len(uniq) < len(values):  # files repeat dates: parse each distinct value once
        res = _parse_dates(pd.Series(uniq, dtype="object"), order, today, column)
        out = res.iloc[codes].reset_index(drop=True)
        out.index = values.index
        return out
    return _parse_dates(values, order, today, column)


def _parse_dates(values: pd.Series, order: str, today, column: str) -> pd.DataFrame:
    idx = values.index
    raw = pd.Series(values, dtype="object")
    conv = raw.map(_from_datetime_like)
    s = clean_strings(conv.astype("str").where(conv.notna(), ""))
    n = len(s)
    y = np.full(n, -1, dtype=np.int64)
    m = np.full(n, -1, dtype=np.int64)
    d = np.full(n, -1, dtype=np.int64)
    hh = np.full(n, -1, dtype=np.int64)
    mm = np.full(n, -1, dtype=np.int64)
    matched = np.zeros(n, dtype=bool)

    def take(ext: pd.DataFrame, ycol="y", mcol="m", dcol="d", months=False):
        ok = ext[ycol].notna().to_numpy() & ~matched
        if not ok.any():
            return ok
        yy = pd.to_numeric(ext[ycol], errors="coerce").fillna(-1).astype("int64").to_numpy()
        yy = np.where((yy >= 0) & (yy < 100), yy + 2000, yy)           # "07-Mar-22"
        if months:
            mo = ext[mcol].str.lower().map(lambda x: _MONTHS.get(x[:4] if x and x[:4] == "sept" else
                                                                  (x if x in _MONTHS else (x or "")[:3]), -1)
                                           if isinstance(x, str) else -1)
            mo = pd.to_numeric(mo, errors="coerce").fillna(-1).astype("int64").to_numpy()
            ok &= mo > 0
        else:
            mo = pd.to_numeric(ext[mcol], errors="coerce").fillna(-1).astype("int64").to_numpy()
        dd = pd.to_numeric(ext[dcol], errors="coerce").fillna(-1).astype("int64").to_numpy()
        y[ok], m[ok], d[ok] = yy[ok], mo[ok], dd[ok]
        if "H" in ext.columns:
            h_ = pd.to_numeric(ext["H"], errors="coerce").fillna(-1).astype("int64").to_numpy()
            mi = pd.to_numeric(ext["M"], errors="coerce").fillna(-1).astype("int64").to_numpy()
            ap = ext["ampm"].fillna("").str.lower().to_numpy()
            h_ = np.where((ap == "pm") & (h_ >= 0) & (h_ < 12), h_ + 12, h_)
            h_ = np.where((ap == "am") & (h_ == 12), 0, h_)
            hh[ok], mm[ok] = h_[ok], mi[ok]
            if "tz" in ext.columns:
                _to_kyiv(ext["tz"].to_numpy(dtype=object), ok, y, m, d, hh, mm)
        matched[ok] = True
        return ok

    nonempty = (s != "").to_numpy()
    if n:
        take(s.str.extract(_RE_ISO))
        take(s.str.extract(_RE_DMONY), mcol="mon", months=True)
        take(s.str.extract(_RE_MONDY), mcol="mon", months=True)
        take(s.str.extract(_RE_COMPACT))
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    if n and (nonempty & ~matched).any():
        ext = s.str.extract(_RE_NUM)
        ok = ext["a"].notna().to_numpy() & ~matched
        if ok.any():
            a = pd.to_numeric(ext["a"], errors="coerce").fillna(-1).astype("int64").to_numpy()
            b = pd.to_numeric(ext["b"], errors="coerce").fillna(-1).astype("int64").to_numpy()
            yy = pd.to_numeric(ext["y"], errors="coerce").fillna(-1).astype("int64").to_numpy()
            yy = np.where(yy < 100, yy + 2000, yy)
            col_order = order
            if order.startswith("auto"):
                day_first = bool(((a > 12) & ok).any())
                month_first = bool(((b > 12) & ok).any())
                if day_first and not month_first:
                    col_order = "dmy"
                elif month_first and not day_first:
                    col_order = "mdy"
                else:
                    col_order = "mixed" if day_first else order[5:] or "unknown"
            if col_order == "dmy":
                dd, mo = a, b
            elif col_order == "mdy":
                dd, mo = b, a
            else:
                # decide per value where the value itself says; otherwise it is ambiguous
                dd = np.where(a > 12, a, np.where(b > 12, b, np.where(a == b, a, -1)))
                mo = np.where(a > 12, b, np.where(b > 12, a, np.where(a == b, a, -1)))
                amb = ok & (dd < 0)
                why = ("the column mixes day-first and month-first dates" if col_order == "mixed" else
                       "no value in the column has a day above 12")
                for i in np.flatnonzero(amb):
                    reason[i] = "ambiguous_date"
                    detail[i] = (f"{column} {s.iat[i]!r} could be {a[i]:02d}/{b[i]:02d} as day/month or "
                                 f"month/day, and {why}; say which with --date-order dmy or mdy (Python: "
                                 f"date_order='dmy')")
                ok = ok & ~amb
            y[ok], m[ok], d[ok] = yy[ok], mo[ok], dd[ok]
            h_ = pd.to_numeric(ext["H"], errors="coerce").fillna(-1).astype("int64").to_numpy()
            mi = pd.to_numeric(ext["M"], errors="coerce").fillna(-1).astype("int64").to_numpy()
            ap = ext["ampm"].fillna("").str.lower().to_numpy()
            h_ = np.where((ap == "pm") & (h_ >= 0) & (h_ < 12), h_ + 12, h_)
            hh[ok], mm[ok] = h_[ok], mi[ok]
            matched |= ok
    # coarser dates: "March 2022" / "березень 2022" (month), "2022-W10" (ISO week, its Monday)
    precision = np.full(n, "day", dtype=object)
    if n and (nonempty & ~matched).any():
        ok = take(s.str.extract(_RE_MONY).assign(d="1"), mcol="mon", months=True)
        precision[ok] = "month"
        wk = s.str.extract(_RE_WEEK)
        okw = wk["y"].notna().to_numpy() & ~matched
        for i in np.flatnonzero(okw):
            try:
                monday = dt.date.fromisocalendar(int(wk["y"].iat[i]), int(wk["w"].iat[i]), 1)
            except ValueError:
                continue
            y[i], m[i], d[i] = monday.year, monday.month, monday.day
            matched[i], precision[i] = True, "week"
    frame = pd.DataFrame({"year": np.where(matched, y, 2000), "month": np.where(matched, m, 1),
                          "day": np.where(matched, d, 1)})
    date = pd.to_datetime(frame, errors="coerce") if n else pd.Series([], dtype="datetime64[ns]")
    date = pd.Series(np.asarray(date, dtype="datetime64[ns]"), index=idx)
    bad_day = matched & date.isna().to_numpy()
    date[~matched | bad_day] = pd.NaT
    today = today or dt.date.today()
    future = matched & ~bad_day & (date.to_numpy() > np.datetime64(today, "ns"))
    for i in range(n):
        if reason[i] is not None:
            continue
        if not nonempty[i]:
            reason[i], detail[i] = "no_date", f"{column} is empty"
        elif not matched[i]:
            reason[i], detail[i] = "unparseable_date", f"{column} {s.iat[i]!r} is not a date this reader knows"
        elif bad_day[i]:
            reason[i], detail[i] = "unparseable_date", f"{column} {s.iat[i]!r} is not a real day"
        elif future[i]:
            reason[i], detail[i] = "future_date", f"{column} {s.iat[i]!r} is after today ({today})"
    date[pd.Series(reason, index=idx).notna()] = pd.NaT
    has_time = matched & (hh >= 0) & (hh < 24) & (mm >= 0) & (mm < 60) & ~((hh == 0) & (mm == 0))
    time = pd.Series([f"{h:02d}:{mi:02d}" if t else None for h, mi, t in zip(hh, mm, has_time, strict=False)],
                     index=idx, dtype="string")
    return pd.DataFrame({"date": date, "time": time, "reason": pd.Series(reason, index=idx, dtype=object),
                         "detail": pd.Series(detail, index=idx, dtype=object),
                         "precision": pd.Series(precision, index=idx, dtype=object)})


@functools.lru_cache(maxsize=1)
def _kyiv_zone():
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name in ("Europe/Kyiv", "Europe/Kiev"):     # older time zone databases know only the old spelling
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:
            continue
    return dt.timezone(dt.timedelta(hours=2))


def _to_kyiv(tz, ok, y, m, d, hh, mm) -> None:
    """A time with a UTC offset ("Z", "+02:00") is a moment: the incident's date and time are Kyiv's
    local ones at that moment (22:30Z on 12 March is 00:30 on 13 March in Kyiv), in place."""
    kyiv = _kyiv_zone()
    for i in np.flatnonzero(ok & pd.notna(pd.Series(tz)).to_numpy()):
        z = str(tz[i])
        try:
            off = dt.timedelta(0) if z == "Z" else (1 if z[0] == "+" else -1) * dt.timedelta(
                hours=int(z[1:3]), minutes=int(z[-2:]))
            t = dt.datetime(int(y[i]), int(m[i]), int(d[i]), max(int(hh[i]), 0), max(int(mm[i]), 0),
                            tzinfo=dt.timezone(off)).astimezone(kyiv)
        except (ValueError, OverflowError):
            continue
        y[i], m[i], d[i], hh[i], mm[i] = t.year, t.month, t.day, t.hour, t.minute


_RE_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_RE_EPOCH = re.compile(r"^\d{10}(?:\d{2,3})?$")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _from_datetime_like(v):
    """Dates that are not text: datetimes, Excel serial day numbers (44997 = 2023-03-12, as a
    General-format cell or a CSV saved from one shows them) and Unix epoch seconds or milliseconds
    (ArcGIS and many APIs) -> ISO text; anything else unchanged."""
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and np.isfinite(v):
        v = repr(float(v)).removesuffix(".0") if float(v) != int(v) else str(int(v))
    if isinstance(v, str):
        t = v.strip()
        if _RE_SERIAL.match(t) and 20000 <= float(t) <= 80000:
            return _from_datetime_like(_EXCEL_EPOCH + dt.timedelta(days=float(t)))
        if _RE_EPOCH.match(t):
            secs = int(t) / (1000 if len(t) > 10 else 1)
            if 946684800 <= secs <= 4102444800:          # 2000-2100: anything else is not a date here
                return _from_datetime_like(dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs))
    return v


# ------------------------------------------------------------------------------------------------
# the study area and coordinate checks
# ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _study_polygon(key):
    from harmmap import gazetteer

    b = gazetteer.boundaries(1)
    if b is None or b.empty:
        return None
    import shapely

    poly = shapely.union_all(shapely.make_valid(b.geometry.values)).buffer(STUDY_BUFFER_DEG)
    shapely.prepare(poly)
    return poly


def study_area():
    """The configured country polygon (plus territorial waters) or None (then STUDY_BBOX is used)."""
    from harmmap import gazetteer

    return _study_polygon(gazetteer.boundaries_key(1))


def in_study_area(lon: np.ndarray, lat: np.ndarray, area=None) -> np.ndarray:
    """Boolean array: which points fall in the study area (polygon if configured, else the bbox)."""
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    w, s, e, n = schema.STUDY_BBOX
    inside = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    if area is None:
        area = study_area()
    if area is not None and inside.any():
        idx = np.flatnonzero(inside)
        inside[idx] = shapely.contains_xy(area, lon[idx], lat[idx])
    return inside


def check_coordinates(lat: pd.Series, lon: pd.Series, raw_lat=None, raw_lon=None,
                      area=None) -> tuple[np.ndarray, np.ndarray]:
    """Reasons (or None) and details for parsed coordinates, in this order: no_coordinates,
    swapped_coordinates, out_of_range, outside_study_area."""
    la = np.asarray(lat, dtype=float)
    lo = np.asarray(lon, dtype=float)
    n = len(la)
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    missing = ~np.isfinite(la) | ~np.isfinite(lo)
    rng = ~missing & ((np.abs(la) > 90) | (np.abs(lo) > 180))
    ok = ~missing & ~rng
    inside = np.zeros(n, dtype=bool)
    if ok.any():
        inside[ok] = in_study_area(lo[ok], la[ok], area)
    cand = ~missing & ~inside
    swapped = np.zeros(n, dtype=bool)
    if cand.any():
        swapped[cand] = in_study_area(la[cand], lo[cand], area)
    rl = None if raw_lat is None else np.asarray(raw_lat, dtype=object)
    ro = None if raw_lon is None else np.asarray(raw_lon, dtype=object)
    for i in np.flatnonzero(~inside):
        if missing[i]:
            what = []
            if not np.isfinite(la[i]):
                what.append(f"latitude {rl[i]!r}" if rl is not None and str(rl[i]) else "latitude is empty")
            if not np.isfinite(lo[i]):
                what.append(f"longitude {ro[i]!r}" if ro is not None and str(ro[i]) else "longitude is empty")
            reason[i], detail[i] = "no_coordinates", "; ".join(w if "empty" in w else w + " is not a number"
                                                               for w in what)
        elif swapped[i]:
            reason[i], detail[i] = "swapped_coordinates", (
                f"lat {la[i]:g}, lon {lo[i]:g} is not in Ukraine but lat {lo[i]:g}, lon {la[i]:g} is: "
                "latitude and longitude look swapped")
        elif rng[i]:
            reason[i], detail[i] = "out_of_range", f"lat {la[i]:g}, lon {lo[i]:g} is not on Earth (|lat|<=90, |lon|<=180)"
        else:
            reason[i], detail[i] = "outside_study_area", f"lat {la[i]:g}, lon {lo[i]:g} is outside Ukraine"
    return reason, detail


# ------------------------------------------------------------------------------------------------
# assembling a ReadResult
# ------------------------------------------------------------------------------------------------
class Problems:
    """Collects one reason per row (the first found) and its detail."""

    def __init__(self, n: int):
        self.reason = np.full(n, None, dtype=object)
        self.detail = np.full(n, None, dtype=object)

    def add(self, reason, detail) -> None:
        reason = np.asarray(reason, dtype=object)
        detail = np.asarray(detail, dtype=object)
        take = pd.isna(self.reason) & ~pd.isna(reason)
        self.reason[take] = reason[take]
        self.detail[take] = detail[take]

    def add_mask(self, mask, reason: str, details) -> None:
        mask = np.asarray(mask, dtype=bool)
        r = np.where(mask, reason, None).astype(object)
        d = np.asarray(details, dtype=object) if not isinstance(details, str) else np.full(len(r), details,
                                                                                           dtype=object)
        self.add(r, np.where(mask, d, None))

    @property
    def ok(self) -> np.ndarray:
        return pd.isna(self.reason)


def content_ids(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """A stable content hash (12 hex digits) for rows without an id of their own."""
    key = pd.Series([""] * len(df), index=df.index, dtype="str")
    for c in cols:
        if c in df.columns:
            key = key + "\x1f" + df[c].astype("str").fillna("")
    return key.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:12])


def mark_duplicate_ids(ids: pd.Series, rows: np.ndarray, problems: Problems, label: str = "id") -> None:
    """Reject later rows whose id an earlier good row already used."""
    ok = problems.ok
    sub = ids[ok]
    dup = sub.duplicated(keep="first")
    if not dup.any():
        return
    first_row = {}
    for _i, v, r in zip(np.flatnonzero(ok), sub, rows[ok], strict=False):
        first_row.setdefault(v, r)
    mask = np.zeros(len(ids), dtype=bool)
    det = np.full(len(ids), None, dtype=object)
    pos = np.flatnonzero(ok)[dup.to_numpy()]
    mask[pos] = True
    for p in pos:
        det[p] = f"{label} {ids.iat[p]!r} was already used by row {first_row[ids.iat[p]]}"
    problems.add_mask(mask, "duplicate_id", det)


def finish(raw: pd.DataFrame, rows: np.ndarray, parsed: pd.DataFrame, problems: Problems, *,
           path, fmt: str, source: str, warnings: list[str] | None = None,
           extra_rejects: pd.DataFrame | None = None, extra: dict | None = None) -> ReadResult:
    """Split parsed rows into incidents and rejects; build the report.

    ``raw`` holds the original values (anything; turned into strings for the rejects), ``rows``
    the 1-based row numbers, ``parsed`` the canonical fields (with ``geometry`` or ``lon``/``lat``).
    """
    ok = problems.ok
    raw = raw.reset_index(drop=True)
    parsed = parsed.reset_index(drop=True)
    good = parsed.loc[ok].copy()
    if "source" not in good.columns:
        good["source"] = source
    incidents = schema.conform(good) if len(good) else schema.empty()
    incidents = incidents.reset_index(drop=True)
    rej = raw.loc[~ok].copy()
    for c in rej.columns:
        rej[c] = rej[c].map(_to_text).astype("str")
    rej["_row"] = np.asarray(rows)[~ok].astype(np.int64)
    rej["_reason"] = pd.Series(problems.reason[~ok], index=rej.index, dtype="str")
    rej["_detail"] = pd.Series(problems.detail[~ok], index=rej.index, dtype="str")
    if extra_rejects is not None and len(extra_rejects):
        rej = pd.concat([rej, extra_rejects], ignore_index=True)
    rej = rej.sort_values("_row", kind="stable").reset_index(drop=True)
    reasons = {str(k): int(v) for k, v in rej["_reason"].value_counts().sort_index().items()}
    report = {"path": str(path), "format": fmt, "source": source, "read": int(len(raw) + (
        0 if extra_rejects is None else len(extra_rejects))), "loaded": int(len(incidents)),
        "rejected": int(len(rej)), "reasons": reasons, "warnings": list(warnings or [])}
    if not report["read"]:
        report["warnings"].append("the file has no rows of data (a header only, or nothing below it)")
    elif not report["loaded"] and len(rej):
        top = max(reasons, key=reasons.get)
        first = rej.loc[rej["_reason"] == top].iloc[0]
        report["warnings"].append(f"none of the {report['read']} rows loaded: {reasons[top]} are {top}, e.g. line "
                                  f"{first['_row']}: {first['_detail']}")
    if extra:
        report.update(extra)
    assert report["read"] == report["loaded"] + report["rejected"]
    return ReadResult(incidents, rej, report)


def _to_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    if v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (list, tuple)):
        return ";".join(_to_text(x) for x in v)
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.isoformat(sep=" ")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def to_text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every value as a string ('' for missing), for rejects and for parsing."""
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        out[str(c)] = df[c].map(_to_text).astype("str") if df[c].dtype == object or not \
            pd.api.types.is_string_dtype(df[c]) else df[c].fillna("").astype("str")
    return out


#: an http(s) link inside text
URL_RE = re.compile(r"https?://[^\s,;|\"'<>]+")


def split_urls(s: pd.Series) -> list[list[str]]:
    """Extract http(s) links from text cells (several per cell allowed)."""
    return [URL_RE.findall(v) if v else [] for v in s.astype("str").fillna("")]
