"""Streamlit's OIDC login (``st.login``) against a real local OpenID Connect provider (tests/oidc_provider.py),
in a real browser: before signing in no page shows data or a download; signing in goes through the provider
(discovery, authorize, code exchange with PKCE, RS256 id_token checked against the JWKS); the role comes
from ``[harmmap.roles]`` in the secrets; signing out ends the session at the provider too."""

from __future__ import annotations

import importlib.util
import secrets

import pytest

from tests.browser.conftest import Server, map_frame, offline_page, serving, wait_until
from tests.conftest import need
from tests.oidc_provider import OIDCProvider

pytestmark = pytest.mark.browser

USERS = {"vera@example.org": "Vera Viewer", "Ed@Example.org": "Ed Editor",
         # listed as admin in the secrets, but the provider has not verified this address
         "mal@example.org": {"name": "Mal Unverified", "email_verified": False}}
ONE = "demo:000001"     # an incident of the demo store, opened in the detail panel by ?ids=


@pytest.fixture(scope="module")
def idp():
    # Streamlit's OIDC routes use Authlib's Starlette client, which imports httpx (the streamlit[auth] extra)
    for mod in ("authlib", "httpx"):
        need(importlib.util.find_spec(mod) is not None, f"{mod} (Streamlit's OIDC login needs it)")
    with OIDCProvider(USERS) as provider:
        yield provider


@pytest.fixture(scope="module")
def oidc_server(tmp_path_factory, chromium_ok, idp):
    tmp = tmp_path_factory.mktemp("oidc")
    sec = tmp / "secrets.toml"
    cookie_secret = secrets.token_hex(32)
    sec.write_text(
        "[auth]\n"
        'redirect_uri = "http://localhost:{port}/oauth2callback"\n'      # Streamlit fills in server.port
        f'cookie_secret = "{cookie_secret}"\n'
        f'client_id = "{idp.client_id}"\n'
        f'client_secret = "{idp.client_secret}"\n'
        f'server_metadata_url = "{idp.metadata_url}"\n'
        "\n[harmmap.roles]\n"
        '"ed@example.org" = "editor"\n'          # emails compare case-insensitively
        '"mal@example.org" = "admin"\n', encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("STREAMLIT_SECRETS_FILES", str(sec))      # = --secrets.files; nothing in the repository's .streamlit
    mp.delenv("HARMMAP_PASSWORD_FILE", raising=False)
    srv = Server(tmp)
    srv.cookie_secret = cookie_secret
    mp.undo()
    yield from serving(srv)


def _locked(page) -> None:
    """Only the sign-in screen: no map, chart, table, download or filter sidebar."""
    page.get_by_role("button", name="Sign in").wait_for()
    body = page.locator("body").inner_text()
    assert "Synthetic demo data" not in body and "Filters" not in body and "Signed in as" not in body
    for sel in ('iframe[title="streamlit_folium.st_folium"]', '[data-testid="stDownloadButton"]',
                '[data-testid="stVegaLiteChart"]', '[data-testid="stDataFrame"]', '[data-testid="stFileUploader"]'):
        assert page.locator(sel).count() == 0, sel


def _sign_in(page, server, idp, who: str, shot=None) -> None:
    page.goto(server.url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Test identity provider").wait_for()          # the provider's own page, on 127.0.0.1
    assert page.url.startswith(idp.issuer + "/authorize?")
    if shot:
        page.screenshot(path=str(shot))
    page.get_by_role("button", name=f"Continue as {idp.display_name(who)}").click()
    page.get_by_text("Signed in as").first.wait_for()
    assert page.url.startswith(server.url)


@pytest.mark.parametrize("path", ["/", "/map", "/trends", "/patterns", "/data", "/audit", "/briefing?present=1",
                                  "/?adm1=Kharkiv"])
def test_nothing_is_shown_before_signing_in(oidc_server, page, path):
    page.goto(oidc_server.url + path)
    _locked(page)


@pytest.mark.parametrize("right_secret", [False, True], ids=["wrong-secret", "control-right-secret"])
def test_a_forged_identity_cookie_is_ignored(oidc_server, browser, right_secret):
    """Streamlit signs its identity cookie with cookie_secret: one signed with another secret signs nobody in.
    The control (the right secret) shows the cookie does reach the server, and why cookie_secret is secret."""
    import json

    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    value = json.dumps({"email": "ed@example.org", "email_verified": True, "is_logged_in": True,
                        "origin": oidc_server.url, "provider": "default"})
    secret = oidc_server.cookie_secret if right_secret else secrets.token_hex(32)
    ctx, page = offline_page(browser)
    try:
        ctx.add_cookies([{"name": "_streamlit_user", "url": oidc_server.url,
                          "value": create_signed_value(secret, "_streamlit_user", value).decode()}])
        page.goto(oidc_server.url + "/data")
        if right_secret:
            page.get_by_text("Signed in as").first.wait_for()
            page.locator('[data-testid="stFileUploader"]').first.wait_for()       # ed is an editor
        else:
            _locked(page)
    finally:
        ctx.close()


def test_viewer_signs_in_through_the_provider_and_out_again(oidc_server, idp, browser, page, artifacts):
    start = len(idp.events)
    _sign_in(page, oidc_server, idp, "vera@example.org", artifacts / "oidc-provider.png")
    flow = [e for e, _ in idp.events[start:] if e != "discovery"]   # Streamlit re-reads discovery per request
    assert flow == ["authorize", "authorize", "token", "jwks"], flow     # account page, chosen account, code
    authorize = [d for e, d in idp.events[start:] if e == "authorize"][-1]
    assert authorize["code_challenge_method"] == "S256" and authorize["scope"] == "openid email profile"
    assert authorize["redirect_uri"] == oidc_server.url + "/oauth2callback"
    assert [d["status"] for e, d in idp.events[start:] if e == "token"] == [200]

    side = page.locator('[data-testid="stSidebar"]')
    wait_until(lambda: "vera@example.org" in side.inner_text() and "(viewer)" in side.inner_text(),
               "the signed-in viewer in the sidebar")
    iframe, frame = map_frame(page)
    frame.locator(".hm-head").first.wait_for()
    wait_until(lambda: page.locator('[data-testid="stStatusWidget"]').count() == 0, "the run to finish")
    map_frame(page)[1].locator(".hm-head").first.wait_for()
    page.screenshot(path=str(artifacts / "oidc-signed-in.png"))

    # a viewer sees the Data page's list but may not load files, and reads an incident without correcting it
    page.goto(oidc_server.url + "/data")
    page.get_by_text("loading data needs the editor role").wait_for()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    page.goto(oidc_server.url + f"/?ids={ONE}")
    page.get_by_text("correcting categories needs the editor role").wait_for()
    assert page.get_by_text("Correct the categories").count() == 0

    # another browser (no identity cookie) is still locked out
    other_ctx, other = offline_page(browser)
    try:
        other.goto(oidc_server.url + "/trends")
        _locked(other)
    finally:
        other_ctx.close()

    before = len(idp.events)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    wait_until(lambda: "logout" in [e for e, _ in idp.events[before:]], "the provider's end_session_endpoint")
    logout = dict(idp.events[before:])["logout"]
    assert logout["client_id"] == idp.client_id and logout.get("id_token_hint")
    assert not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]
    _locked(page)
    page.goto(oidc_server.url + "/data")
    _locked(page)


def test_editor_role_from_secrets(oidc_server, idp, page):
    _sign_in(page, oidc_server, idp, "Ed@Example.org")
    side = page.locator('[data-testid="stSidebar"]')
    wait_until(lambda: "Ed@Example.org" in side.inner_text() and "(editor)" in side.inner_text(),
               "the signed-in editor in the sidebar")
    page.goto(oidc_server.url + "/data")
    page.locator('[data-testid="stFileUploader"]').first.wait_for()
    assert page.get_by_text("loading data needs the editor role").count() == 0
    page.goto(oidc_server.url + f"/?ids={ONE}")
    page.get_by_text("Correct the categories").wait_for()
    assert page.get_by_text("correcting categories needs the editor role").count() == 0


def test_no_role_for_an_unverified_email(oidc_server, idp, page):
    """``[harmmap.roles]`` says admin, but the provider marks the address unverified: a viewer."""
    _sign_in(page, oidc_server, idp, "mal@example.org")
    side = page.locator('[data-testid="stSidebar"]')
    wait_until(lambda: "mal@example.org" in side.inner_text() and "(viewer)" in side.inner_text(),
               "the unverified user signed in as a viewer")
    page.goto(oidc_server.url + "/data")
    page.get_by_text("loading data needs the editor role").wait_for()
