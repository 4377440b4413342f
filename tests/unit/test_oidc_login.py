"""OIDC login without a browser: roles from an OIDC identity (ui/auth.oidc_user), and the test provider
(tests/oidc_provider.py) refusing what a real one refuses; its id_token passes Authlib's own checks."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.oidc_provider import OIDCProvider

ROLES = {"Ed@Example.org": "editor", "boss@example.org": "admin", "typo@example.org": "superuser"}


@pytest.mark.parametrize("claims, expected", [
    ({"email": "ed@example.org", "name": "Ed"}, ("ed@example.org", "editor")),           # case-insensitive
    ({"email": "boss@example.org", "email_verified": True}, ("boss@example.org", "admin")),
    ({"email": "boss@example.org", "email_verified": False}, ("boss@example.org", "viewer")),  # unverified
    ({"email": "boss@example.org", "email_verified": "false"}, ("boss@example.org", "viewer")),
    ({"name": "boss@example.org"}, ("boss@example.org", "viewer")),     # a display name is not an email
    ({"sub": "123"}, ("123", "viewer")),
    ({"email": "typo@example.org"}, ("typo@example.org", "viewer")),    # unknown role: least privilege
    ({"email": "someone@example.org"}, ("someone@example.org", "viewer")),
])
def test_oidc_user_roles(claims, expected):
    from ui.auth import oidc_user

    u = oidc_user(claims, ROLES)
    assert (u.name, u.role) == expected


def _post(url: str, form: dict) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=urlencode(form).encode())) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def _authorize(idp: OIDCProvider, **extra) -> dict:
    q = dict(client_id=idp.client_id, redirect_uri="http://localhost:9/oauth2callback", response_type="code",
             scope="openid email profile", state="st8", nonce="n0nce", **extra)
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(f"{idp.issuer}/authorize?{urlencode(q)}")
    assert e.value.code == 302
    loc = e.value.headers["Location"]
    assert loc.startswith(q["redirect_uri"] + "?")
    return {k: v[0] for k, v in parse_qs(urlparse(loc).query).items()}


def test_provider_code_flow_and_refusals():
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt
    from joserfc.jwk import KeySet

    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    with OIDCProvider({"ann@example.org": "Ann"}, auto_user="ann@example.org") as idp:
        back = _authorize(idp, code_challenge=challenge, code_challenge_method="S256")
        assert back["state"] == "st8"
        form = dict(grant_type="authorization_code", code=back["code"],
                    redirect_uri="http://localhost:9/oauth2callback", client_id=idp.client_id)
        assert _post(f"{idp.issuer}/token", dict(form, client_secret="wrong"))[0] == 401
        assert _post(f"{idp.issuer}/token", dict(form, client_secret=idp.client_secret,
                                                 code_verifier="x" * 50))[1]["error"] == "invalid_grant"
        # a wrong client secret leaves the code alone, a failed PKCE check uses it up: get a fresh one
        back = _authorize(idp, code_challenge=challenge, code_challenge_method="S256")
        form["code"] = back["code"]
        status, tok = _post(f"{idp.issuer}/token", dict(form, client_secret=idp.client_secret,
                                                        code_verifier=verifier))
        assert status == 200 and tok["token_type"] == "Bearer"
        assert _post(f"{idp.issuer}/token", dict(form, client_secret=idp.client_secret,
                                                 code_verifier=verifier))[1]["error"] == "invalid_grant"   # once

        keys = KeySet.import_key_set(json.load(urllib.request.urlopen(f"{idp.issuer}/jwks")))
        t = jwt.decode(tok["id_token"], keys, algorithms=["RS256"])
        claims = CodeIDToken(t.claims, t.header, {"iss": {"values": [idp.issuer]}},
                             {"nonce": "n0nce", "client_id": idp.client_id, "access_token": tok["access_token"]})
        claims.validate()                       # what Authlib (and so st.login) checks: iss, aud, exp, nonce, at_hash
        assert claims["email"] == "ann@example.org" and claims["name"] == "Ann"

        req = urllib.request.Request(f"{idp.issuer}/userinfo",
                                     headers={"Authorization": f"Bearer {tok['access_token']}"})
        assert json.load(urllib.request.urlopen(req))["email"] == "ann@example.org"
        assert _authorize(idp, prompt="none")["code"]            # auto_user signs in without a page
        with pytest.raises(urllib.error.HTTPError) as e:          # an unregistered redirect is refused
            urllib.request.urlopen(f"{idp.issuer}/authorize?" + urlencode(
                dict(client_id=idp.client_id, redirect_uri="http://evil.example/cb", response_type="code",
                     scope="openid", state="s")))
        assert e.value.code == 400
