"""Where things live: the project root, its data folder, and the shared data sets beside it.

Nothing reads relative to the working directory; everything goes through these.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DEFAULT_DB = Path(os.environ.get("HARMMAP_DATA_DIR", DATA)) / "harmmap.duckdb"
TAXONOMY = DATA / "taxonomy.toml"
#: Third-party data sets for tests, evaluation and benchmarks only (never copied into the repo).
SHARED_DATASETS = Path(os.environ.get("HARMMAP_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
