"""AppTests (through the entrypoint) of the correction form under the incident detail and of the
Corrections page, on a store holding the hostile data set (tests/hostile.py) with one override.

Form submission needs a second run, which AppTest does not give an st.navigation app (see
tests/app/test_dashboard.py); the browser test tests/browser/test_hostile_browser.py saves, reverts and
meets a conflict."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import hostile

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "dashboard.py")


@pytest.fixture(scope="module")
def store_env(tmp_path_factory):
    from harmmap.store import open_store

    tmp = tmp_path_factory.mktemp("corr")
    url = str(tmp / "harmmap.duckdb")
    hostile.build_store(url, tmp)
    s = open_store(url)
    s.set_override("hostile:004", ["water"], hostile.PAYLOADS["img_onerror"], hostile.PAYLOADS["formula"], 0)
    s.close()
    mp = pytest.MonkeyPatch()
    mp.setenv("HARMMAP_DATABASE_URL", url)
    mp.delenv("HARMMAP_USER", raising=False)
    yield url
    mp.undo()


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_opens_the_detail_with_the_correction_form(store_env):
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.query_params["ids"] = "hostile:004"
    run(at)
    html = "\n".join(str(h.proto.body) for h in at.get("html"))
    assert "hostile:004" in html and "Analyst override" in html and "Analyst (wins)" in html
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html and "<img src=x" not in html
    cats = at.multiselect(key="hm_fix_cats_hostile:004_0")
    assert cats.value == ["water"] and "unclassified" not in cats.options
    assert at.text_input(key="hm_fix_user_hostile:004_0").value == ""
    assert {b.label for b in at.get("button")} >= {"Save", "Revert to the classifier"}


def test_corrections_page_lists_the_override(store_env):
    at = run(AppTest.from_file(ENTRY, default_timeout=120))
    run(at.switch_page(str(ROOT / "app_pages" / "audit.py")))
    df = at.dataframe[0].value
    assert df["incident_id"].tolist() == ["hostile:004"] and df["new"].tolist() == ["Water"]
    assert df["link"].tolist() == ["/?ids=hostile:004"] and df["user"].tolist() == [hostile.PAYLOADS["img_onerror"]]
    assert "1 of 1 changes" in "\n".join(c.value for c in at.caption)
