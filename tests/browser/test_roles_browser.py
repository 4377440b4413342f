"""Roles in a real browser (password file, ``HARMMAP_COARSEN_KM=5``): a viewer's map and detail panel carry
coarsened coordinates and no Delete; an admin sees exact ones and deletes a data set after confirming."""

from __future__ import annotations

import pandas as pd
import pytest

from harmmap import auth, schema
from tests.browser.conftest import Server, map_frame, pick, serving, wait_until

pytestmark = pytest.mark.browser

EXACT = (36.23456, 49.98765)


@pytest.fixture(scope="module")
def roles_server(tmp_path_factory, chromium_ok):
    from harmmap.demo import ensure_demo_store

    tmp = tmp_path_factory.mktemp("roles")
    s = ensure_demo_store(str(tmp / "harmmap.duckdb"), n=2000)      # the server's store (HARMMAP_DATA_DIR)
    s.write_incidents(schema.conform(pd.DataFrame({
        "incident_id": ["ext:1"], "source": ["ext"], "date": ["2023-05-01"], "lon": [EXACT[0]], "lat": [EXACT[1]],
        "categories": [["health"]], "location": ["Kharkiv"], "description": ["Field hospital hit"]})), "ext")
    s.close()
    users = tmp / "users.txt"
    auth.add_user(users, "vera", "viewer", "vera-password")
    auth.add_user(users, "ada", "admin", "ada-password")
    mp = pytest.MonkeyPatch()
    mp.setenv("HARMMAP_PASSWORD_FILE", str(users))
    mp.setenv("HARMMAP_COARSEN_KM", "5")
    srv = Server(tmp)
    mp.undo()
    yield from serving(srv)


def sign_in(page, server, name: str, path: str = "/?ids=ext:1"):
    page.goto(server.url + path)
    page.get_by_label("User name").fill(name)
    page.locator("input[type=password]").fill(f"{name}-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for()


def test_a_viewer_sees_coarsened_places_and_no_delete(roles_server, page, artifacts):
    sign_in(page, roles_server, "vera")
    coords = page.locator(".hm-coords").first
    coords.wait_for()
    assert "coarsened to ~5 km" in coords.inner_text() and "49.98765" not in coords.inner_text()
    iframe, frame = map_frame(page)
    frame.locator(".leaflet-interactive").first.wait_for()
    html = frame.locator("html").inner_html()
    assert "36.23456" not in html and "49.98765" not in html
    page.screenshot(path=str(artifacts / "roles_viewer_detail.png"))
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Data", exact=True).click()
    page.get_by_text("Loaded data sets").wait_for()
    page.get_by_text("loading data needs the editor role").wait_for()
    assert page.get_by_text("Delete a data set (admin)").count() == 0


def test_an_admin_sees_exact_places_and_deletes_a_data_set(roles_server, page, artifacts):
    sign_in(page, roles_server, "ada")
    coords = page.locator(".hm-coords").first
    coords.wait_for()
    assert "49.98765, 36.23456 (exact)" in coords.inner_text()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Data", exact=True).click()
    page.get_by_text("Delete a data set (admin)").click()
    box = page.locator(".st-key-hm_dp_del_name [data-testid='stSelectbox']")
    pick(page, box, "ext", lambda: box.locator("input").input_value() == "ext", "the data set ext chosen")
    page.get_by_label("Reason (goes into the audit trail)").fill("test data")
    page.get_by_label("Type the data set's name to confirm").fill("ext")
    page.get_by_label("Type the data set's name to confirm").press("Enter")
    button = page.get_by_role("button", name="Delete data set")
    wait_until(lambda: button.is_enabled(), "the Delete button enabled by the typed name")
    button.click()
    page.get_by_text("Deleted data set").wait_for()
    page.screenshot(path=str(artifacts / "roles_admin_deleted.png"))
    table = page.locator('[data-testid="stDataFrame"]').first
    wait_until(lambda: "ext" not in table.inner_text().split(), "ext gone from the data sets table")
