"""A minimal OpenID Connect provider for tests (no internet needed): Streamlit's ``st.login`` talks to it
exactly as it would to Google or Keycloak (discovery, authorization code flow with PKCE, RS256-signed
``id_token`` checked against the JWKS, RP-initiated logout).

It serves, on ``http://127.0.0.1:<free port>``:

- ``/.well-known/openid-configuration``: the discovery document;
- ``/authorize``: checks the client, response type and redirect URI, then either signs in ``auto_user`` at
  once or shows a tiny page with one "Continue as NAME" button per configured user, and redirects back to
  the client with ``code`` and ``state``;
- ``/token``: exchanges a code (once; client secret by HTTP Basic or in the body; PKCE S256 checked) for an
  ``access_token`` and an ``id_token`` carrying ``iss``, ``sub``, ``aud``, ``iat``, ``exp``, ``nonce`` (from the
  authorize request), ``at_hash``, ``email``, ``email_verified`` and ``name``;
- ``/jwks``: the public key; ``/userinfo``: the claims for a bearer access token;
- ``/logout``: the ``end_session_endpoint`` (redirects to ``post_logout_redirect_uri``).

Every request is appended to ``events`` as ``(endpoint, details)``, so a test can check the flow went through.

Example
-------
>>> with OIDCProvider({"ann@example.org": "Ann"}, auto_user="ann@example.org") as idp:
...     import json, urllib.request
...     meta = json.load(urllib.request.urlopen(idp.metadata_url))
...     meta["issuer"] == idp.issuer, meta["id_token_signing_alg_values_supported"]
(True, ['RS256'])
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

__all__ = ["OIDCProvider"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class OIDCProvider:
    """A local OIDC provider on 127.0.0.1 in a background thread (``start``/``stop`` or a ``with`` block).

    Parameters
    ----------
    users
        email -> display name of the accounts that may sign in, or -> a dict of claims that replace the
        defaults (e.g. ``{"name": "Mal", "email_verified": False}``).
    client_id, client_secret
        The one registered client.
    redirect_uris
        Redirect URIs the client may use; ``None`` accepts any ``http://localhost...`` or
        ``http://127.0.0.1...`` URI (the client's port is often not known when the provider starts).
    auto_user
        Sign this email in without showing the account page.
    """

    def __init__(self, users: dict[str, str | dict], *, client_id: str = "harmmap-test",
                 client_secret: str | None = None, redirect_uris: list[str] | None = None,
                 auto_user: str | None = None, lifetime: int = 600):
        self.users = dict(users)
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.redirect_uris = redirect_uris
        self.auto_user = auto_user
        self.lifetime = lifetime
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"},
                                       private=True)
        self.events: list[tuple[str, dict]] = []
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- life cycle -------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> OIDCProvider:
        provider = self

        class Handler(_Handler):
            idp = provider

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def endpoints(self) -> list[str]:
        """The endpoints hit so far, in order."""
        with self._lock:
            return [e for e, _ in self.events]

    # --- protocol ---------------------------------------------------------------------------------

    def metadata(self) -> dict:
        i = self.issuer
        return {
            "issuer": i,
            "authorization_endpoint": f"{i}/authorize",
            "token_endpoint": f"{i}/token",
            "userinfo_endpoint": f"{i}/userinfo",
            "jwks_uri": f"{i}/jwks",
            "end_session_endpoint": f"{i}/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}

    def redirect_ok(self, uri: str) -> bool:
        if self.redirect_uris is not None:
            return uri in self.redirect_uris
        u = urlparse(uri)
        return u.scheme == "http" and u.hostname in ("localhost", "127.0.0.1")

    def issue_code(self, email: str, params: dict[str, str]) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"email": email, "client_id": params["client_id"],
                                 "redirect_uri": params["redirect_uri"], "nonce": params.get("nonce"),
                                 "code_challenge": params.get("code_challenge"),
                                 "code_challenge_method": params.get("code_challenge_method"),
                                 "expires": time.time() + 60}
        return code

    def display_name(self, email: str) -> str:
        u = self.users[email]
        return u.get("name", email) if isinstance(u, dict) else u

    def claims(self, email: str) -> dict:
        u = self.users[email]
        return {"sub": hashlib.sha256(email.encode()).hexdigest()[:24], "email": email, "email_verified": True,
                "name": self.display_name(email), **(u if isinstance(u, dict) else {})}

    def exchange(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        """The token endpoint: (HTTP status, JSON body)."""
        cid, csecret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if cid != self.client_id or not secrets.compare_digest(csecret, self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)     # a code works once
        if grant is None or grant["expires"] < time.time() or grant["client_id"] != cid:
            return 400, {"error": "invalid_grant", "error_description": "unknown, used or expired code"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if grant["code_challenge"]:
            verifier = form.get("code_verifier", "")
            if _b64url(hashlib.sha256(verifier.encode()).digest()) != grant["code_challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access = secrets.token_urlsafe(24)
        now = int(time.time())
        claims = dict(self.claims(grant["email"]), iss=self.issuer, aud=cid, iat=now, exp=now + self.lifetime,
                      auth_time=now, at_hash=_b64url(hashlib.sha256(access.encode()).digest()[:16]))
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        with self._lock:
            self._tokens[access] = {"email": grant["email"], "expires": now + self.lifetime}
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": self.lifetime,
                     "scope": "openid email profile", "id_token": id_token}

    def account_page(self, params: dict[str, str]) -> str:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items())
        buttons = "".join(f'<button name="login_email" value="{html.escape(e)}">Continue as {html.escape(n)}'
                          f'</button><br>' for e, n in ((e, self.display_name(e)) for e in self.users))
        return (f"<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1>"
                f'<p>Choose an account for {html.escape(params.get("client_id", ""))}</p>'
                f'<form method="post" action="/authorize">{hidden}{buttons}</form>')


class _Handler(BaseHTTPRequestHandler):
    idp: OIDCProvider

    def log_message(self, format, *args):     # noqa: A002 - quiet; the events list records requests
        pass

    def _send(self, status: int, body: bytes | str | dict, ctype: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, url: str) -> None:
        self._send(302, b"", "text/plain", {"Location": url})

    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

    def _form(self) -> dict[str, str]:
        n = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode("utf-8")).items()}

    def _event(self, name: str, details: dict) -> None:
        with self.idp._lock:
            self.idp.events.append((name, details))

    def do_GET(self):  # noqa: N802 - http.server's naming
        path = urlparse(self.path).path
        idp = self.idp
        if path == "/.well-known/openid-configuration":
            self._event("discovery", {})
            return self._send(200, idp.metadata())
        if path == "/jwks":
            self._event("jwks", {})
            return self._send(200, idp.jwks())
        if path == "/authorize":
            return self._authorize(self._query())
        if path == "/userinfo":
            auth = self.headers.get("Authorization", "")
            tok = idp._tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
            self._event("userinfo", {"ok": tok is not None})
            if tok is None or tok["expires"] < time.time():
                return self._send(401, {"error": "invalid_token"})
            return self._send(200, idp.claims(tok["email"]))
        if path == "/logout":
            q = self._query()
            self._event("logout", q)
            target = q.get("post_logout_redirect_uri")
            if target and idp.redirect_ok(target):
                return self._redirect(target)
            return self._send(200, "<!doctype html><p>Signed out.</p>", "text/html")
        self._send(404, {"error": "not_found"})

    def do_POST(self):  # noqa: N802
        path = urlparse(self.path).path
        if path == "/authorize":
            return self._authorize(self._form())
        if path == "/token":
            form = self._form()
            basic = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                from urllib.parse import unquote

                cid, _, sec = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
                basic = (unquote(cid), unquote(sec))
            status, body = self.idp.exchange(form, basic)
            self._event("token", {"status": status, "error": body.get("error")})
            return self._send(status, body)
        self._send(404, {"error": "not_found"})

    def _authorize(self, params: dict[str, str]) -> None:
        idp = self.idp
        chosen = params.pop("login_email", None) or idp.auto_user
        self._event("authorize", {k: params.get(k) for k in ("client_id", "redirect_uri", "scope", "prompt",
                                                             "code_challenge_method")} | {"user": chosen})
        if params.get("client_id") != idp.client_id:
            return self._send(400, "<p>Unknown client.</p>", "text/html")
        redirect_uri = params.get("redirect_uri", "")
        if not idp.redirect_ok(redirect_uri):
            return self._send(400, "<p>Redirect URI not registered.</p>", "text/html")
        back = {"state": params["state"]} if "state" in params else {}
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return self._redirect(f"{redirect_uri}?{urlencode(dict(back, error='invalid_request'))}")
        if chosen is None:
            return self._send(200, idp.account_page(params), "text/html; charset=utf-8")
        if chosen not in idp.users:
            return self._redirect(f"{redirect_uri}?{urlencode(dict(back, error='access_denied'))}")
        code = idp.issue_code(chosen, params)
        self._redirect(f"{redirect_uri}?{urlencode(dict(back, code=code))}")
