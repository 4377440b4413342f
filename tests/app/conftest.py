"""AppTest helpers shared by the page tests: the entrypoint, page paths, a fresh demo store per module, and
markdown-escaped data text read back as plain text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")


def page(name: str) -> str:
    """The path of app_pages/<name>.py (for AppTest.switch_page)."""
    return str(ROOT / "app_pages" / f"{name}.py")


def plain(text: str) -> str:
    """Data text is markdown-escaped on the pages (ui/text.py md_text); read it back as the user sees it."""
    return re.sub(r"\\(.)", r"\1", text)


@pytest.fixture(scope="module")
def store_env(tmp_path_factory):
    """HARMMAP_DATABASE_URL at a new DuckDB file for this module (the first run builds the demo data there)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HARMMAP_DATABASE_URL", str(tmp_path_factory.mktemp("app") / "harmmap.duckdb"))
    yield
    mp.undo()
