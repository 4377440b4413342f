"""Readers: one module per source format, each ``read(path, *, source=None, **opts) -> ReadResult``.

- :mod:`harmmap.io.acled`: ACLED CSV/XLSX exports.
- :mod:`harmmap.io.timemap`: Bellingcat TimeMap exports (the JSON trio or an api.json).
- :mod:`harmmap.io.table`: any table or GIS file, with a column mapping that is guessed, shown,
  corrected and remembered.
- :mod:`harmmap.io.detect`: which one a file needs; ``read(path, fmt="auto")``.
- :mod:`harmmap.io.common`: dates, coordinates, the study area, rejects and the report.
"""

from harmmap.io.common import REASONS, ReadError, ReadResult
from harmmap.io.detect import FORMATS, read
from harmmap.io.detect import detect as detect_format

__all__ = ["FORMATS", "REASONS", "ReadError", "ReadResult", "detect_format", "read"]
