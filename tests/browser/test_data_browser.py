"""The Data page in a real browser: upload a small CSV (good rows, one without coordinates, one outside
Ukraine) and an empty file, correct the mapping, load, read the report and download the rejects.

Loading adds incidents, and other browser tests compare the shared ``server``'s counts (per oblast,
per clicked hexagon) with an independent demo store; so this test runs its own dashboard on a small
demo store (as test_hostile_browser does), and the shared server keeps exactly the demo data.
"""

from __future__ import annotations

import csv
import re

import pytest

from tests.browser.conftest import Server, pick, serving, wait_until

pytestmark = pytest.mark.browser

NAME = "hm_data_page_browser"
DEMO_N = 500
ROWS = [
    ("id", "date", "lat", "lon", "place", "what"),
    (1, "2023-03-01", 49.99, 36.23, "Kharkiv", "Missile hit a school"),
    (2, "2023-03-02", 50.45, 30.52, "Kyiv", "Drone hit a power substation"),
    (3, "2023-03-03", 46.48, 30.73, "Odesa", "Port warehouse damaged"),
    (4, "2023-03-04", "", "", "Sumy", '=HYPERLINK("http://evil.example","click") no coordinates'),
    (5, "2023-03-05", 55.75, 37.62, "Moscow", "outside Ukraine"),
]


@pytest.fixture(scope="module")
def data_server(tmp_path_factory, chromium_ok):
    """A dashboard of its own, on a store holding a small synthetic demo data set (no first-run build)."""
    from harmmap.demo import ensure_demo_store

    tmp = tmp_path_factory.mktemp("data_page")
    ensure_demo_store(str(tmp / "harmmap.duckdb"), n=DEMO_N).close()
    srv = Server(tmp)
    yield from serving(srv)


def grid_texts(page) -> list[str]:
    """The text of every st.dataframe on the page (from the grid's accessible table), one per frame."""
    return ["|".join(c.inner_text() for c in d.locator('[role="gridcell"]').all())
            for d in page.locator('[data-testid="stDataFrame"]').all()]


def test_upload_correct_mapping_load_report_and_rejects(data_server, page, artifacts, tmp_path):
    server = data_server
    good = tmp_path / f"{NAME}.csv"
    with open(good, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(ROWS)
    empty = tmp_path / f"{NAME}_empty.csv"
    empty.write_bytes(b"")

    # open the dashboard first: on a just-started server a deep link runs the page without the
    # entrypoint until one session has run st.navigation (a Streamlit quirk, reported to the lead)
    page.goto(server.url + "/")
    page.get_by_text("HarmMap", exact=True).first.wait_for(timeout=120_000)
    page.goto(server.url + "/data")
    page.get_by_text("Loaded data sets").wait_for(timeout=120_000)
    before = wait_until(lambda: next((t for t in grid_texts(page) if "demo|SYNTHETIC" in t), None),
                        "the data sets table")
    assert before.startswith(f"demo|SYNTHETIC (invented demo data)|{DEMO_N}|")
    page.get_by_text("Up to 200 MB per file", exact=False).wait_for()

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(good), str(empty)])
    page.get_by_text("Column mapping", exact=False).first.wait_for()
    # the bad file is named with its problem, before loading
    page.get_by_text(f"Cannot read {empty.name}: the file is empty (0 bytes)").wait_for()
    # the automatic mapping: coordinates, date, id, place found; "what" not (yet)
    mapping = wait_until(lambda: next((t for t in grid_texts(page) if t.startswith("Id|id")), None),
                         "the mapping table")
    assert "Latitude|lat" in mapping and "Longitude|lon" in mapping and "Date|date" in mapping
    assert "what" not in mapping

    # correct it: the description is in the column "what"
    page.get_by_text("Correct the mapping").click()
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Description")
    # a rerun (the expander opening) can close the dropdown between typing and choosing: pick retries
    pick(page, box.locator("input"), "what",
         lambda: any(t.startswith("Id|id") and "Description|what" in t for t in grid_texts(page)),
         "the corrected mapping", typed="what", close=True)
    page.get_by_text("Your corrections will be used for this file.").wait_for()
    assert not page.get_by_role("checkbox", name="Save this mapping for files with these columns").is_checked()
    page.set_viewport_size({"width": 1280, "height": 2600})
    page.get_by_text("Read as").first.wait_for()
    page.screenshot(path=str(artifacts / "data_page_mapping.png"))
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name=re.compile(r"Load 2 files")).click()
    page.get_by_text("Load report").wait_for(timeout=120_000)
    page.get_by_text("5 read = 3 loaded + 2 rejected ✓").wait_for()
    metrics = wait_until(lambda: [m.inner_text() for m in page.locator('[data-testid="stMetric"]').all()
                                  if m.inner_text().strip()], "the report's numbers")
    assert [[x for x in m.split("\n") if x.strip()][:2] for m in metrics[:3]] == \
        [["Read", "5"], ["Loaded", "3"], ["Rejected", "2"]]
    assert metrics[3].startswith("Linked duplicates")
    page.get_by_text(f"{empty.name}: the file is empty (0 bytes)", exact=True).wait_for()
    grids = wait_until(lambda: [t for t in grid_texts(page) if "no_coordinates" in t]
                       if any("Moscow" in t for t in grid_texts(page)) else None,
                       "the reasons table and the rejected rows")
    assert any("no_coordinates|1" in t and "outside_study_area|1" in t for t in grids)       # reasons
    assert any("Moscow" in t and "no coordinates" in t for t in grids)                         # rejected rows

    # the rejects download: all rejected rows, formulas neutralised
    button = page.get_by_role("button", name=re.compile(r"Download the 2 rejected rows"))
    assert button.is_visible()
    with page.expect_download() as dl:
        button.click()
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    assert dl.value.suggested_filename == f"{NAME}-rejects.csv"
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert "Moscow" in text and "_reason" in text

    # the data set is listed (other tests' data sets are not asserted on)
    datasets = wait_until(lambda: next((t for t in grid_texts(page) if f"{NAME}|real|3|" in t), None),
                          "the new data set in the table")
    assert datasets.startswith(f"{NAME}|real|3|") and f"|{NAME}.csv|demo|SYNTHETIC" in datasets
    assert not page.locator('[data-testid="stException"]').count()

    page.set_viewport_size({"width": 1280, "height": 2200})
    page.get_by_text("5 read = 3 loaded + 2 rejected ✓").wait_for()
    page.screenshot(path=str(artifacts / "data_page.png"))
