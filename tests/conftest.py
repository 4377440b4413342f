"""Shared fixtures. One fixture builder (``tests/fixtures.py``) feeds unit, app and browser tests.

Under ``CI=true`` nothing skips for want of a component (chromium, PostGIS, ../shared/datasets):
a missing one is a failure there. On a laptop such tests skip with the reason.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harmmap import paths  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(ok: bool, what: str) -> None:
    """Skip (laptop) or fail (CI) when a component the test needs is missing."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing, and under CI=true nothing skips for want of a component")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def datasets() -> Path:
    """../shared/datasets (read in place; never copied into the repository)."""
    need(paths.SHARED_DATASETS.is_dir(), f"the shared data sets at {paths.SHARED_DATASETS}")
    return paths.SHARED_DATASETS
