"""Which reader a file needs: ``acled``, ``timemap`` or ``table`` (any table or GIS file).

Example
-------
>>> detect("export_events.json")                                     # doctest: +SKIP
'timemap'
"""

from __future__ import annotations

from pathlib import Path

from harmmap.io import common as C

FORMATS = ("acled", "timemap", "table")


def detect(path) -> str:
    """Guess the format from the path and the first bytes (never reads the whole file)."""
    from harmmap.io import acled, table, timemap

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        if timemap.looks_like_timemap(path):
            return "timemap"
        raise C.ReadError(f"{path}: a folder, but not a TimeMap export (no export_events.json or api.json)")
    s = path.suffix.lower()
    if s == ".json" and not table.is_gis(path) and timemap.looks_like_timemap(path):
        return "timemap"
    if s == ".zip" and timemap.looks_like_timemap(path):      # a zipped export folder
        return "timemap"
    if s == ".json" and acled.looks_like_api_json(path):
        return "acled"
    if s in table.TEXT_SUFFIXES or s in table.XLSX_SUFFIXES:
        try:
            cols = _header(path)
        except Exception:  # noqa: BLE001 - the table reader will give the real message
            return "table"
        if acled.looks_like_acled(cols):
            return "acled"
    return "table"


def _header(path: Path) -> list[str]:
    s = path.suffix.lower()
    if s in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for row in wb.worksheets[0].iter_rows(values_only=True, max_row=20):
                vals = [str(v) for v in row if v is not None]
                if len(vals) >= 2:
                    return vals
        finally:
            wb.close()
        return []
    head = C.sniff_bytes(path)
    if C.looks_binary(head):
        return []
    enc = C.detect_encoding(path)
    text = head.decode(enc, errors="replace").lstrip("\ufeff")
    text, sep = C.split_sep_line(text)
    sep = sep or C.detect_delimiter(text, s)
    import csv
    import io

    return next(csv.reader(io.StringIO(text), delimiter=sep), [])


def read(path, *, fmt: str = "auto", source: str | None = None, **opts):
    """Read any supported file with the right reader (``fmt`` forces one)."""
    from harmmap.io import acled, table, timemap

    fmt = detect(path) if fmt in (None, "auto") else fmt
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from auto, {', '.join(FORMATS)}")
    mod = {"acled": acled, "timemap": timemap, "table": table}[fmt]
    return mod.read(path, source=source, **opts)
