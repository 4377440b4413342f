"""Data exports: CSV (spreadsheet formulas neutralised), GeoJSON, GeoPackage, GeoParquet.

Example
-------
>>> import pandas as pd
>>> csv_bytes(pd.DataFrame({"a": ["=1+1", "ok"]})).decode("utf-8-sig").splitlines()
['a', "'=1+1", 'ok']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FORMULA_START", "neutralise", "csv_bytes"]

#: a cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value):
    """Prefix a text cell that a spreadsheet would run as a formula with ``'`` (OWASP CSV injection)."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets detect the encoding) of ``df`` with every text cell neutralised.

    List cells become ``a; b`` text.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: neutralise("; ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray))
                                                         else v))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out.to_csv(index=False).encode("utf-8-sig")
