"""With login on, no page and no data is reachable before signing in (real browser, password file)."""

from __future__ import annotations

import pytest

from harmmap import auth
from tests.browser.conftest import Server, map_frame, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory, chromium_ok):
    tmp = tmp_path_factory.mktemp("locked")
    users = tmp / "users.txt"
    auth.add_user(users, "viewer1", "viewer", "viewer-pass-1")
    mp = pytest.MonkeyPatch()
    mp.setenv("HARMMAP_PASSWORD_FILE", str(users))
    srv = Server(tmp)
    mp.undo()
    yield from serving(srv)


@pytest.mark.parametrize("path", ["/", "/trends", "/data", "/audit", "/briefing?present=1", "/?adm1=Kharkiv"])
def test_nothing_is_shown_before_signing_in(locked_server, page, path):
    page.goto(locked_server.url + path)
    page.get_by_role("button", name="Sign in").wait_for()
    body = page.locator("body").inner_text()
    assert "Synthetic demo data" not in body and "Filters" not in body
    assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 0
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0


def test_wrong_password_then_sign_in(locked_server, page, artifacts):
    page.goto(locked_server.url + "/")
    page.get_by_label("User name").fill("viewer1")
    page.locator("input[type=password]").fill("nope")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Wrong user name or password.").wait_for()
    page.screenshot(path=str(artifacts / "login.png"))
    page.locator("input[type=password]").fill("viewer-pass-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for()
    iframe, frame = map_frame(page)
    frame.locator(".hm-head").first.wait_for()
    assert "viewer" in page.locator('[data-testid="stSidebar"]').inner_text()
