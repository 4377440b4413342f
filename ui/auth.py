"""Optional login (Streamlit only): none (one analyst on a laptop), a password file for small teams, or
Streamlit's OIDC login (``st.login``) when ``[auth]`` is configured in ``.streamlit/secrets.toml``.

When login is on, :func:`require_login` stops every run before any page, sidebar or download is drawn until
the user has signed in. Roles (viewer, editor, admin) come from the password file, or for OIDC from
``[harmmap.roles]`` in the secrets (email = "role"; default ``viewer``). See :mod:`harmmap.auth`.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from harmmap import auth

__all__ = ["require_login", "current_user", "can", "login_mode", "settings", "oidc_user"]

_KEY = "harmmap_user"
_FAILS = "harmmap_login_failures"


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets.toml: no login configured there
        return {}


def settings() -> dict:
    """The ``[harmmap]`` table of ``.streamlit/secrets.toml`` (empty when there is none)."""
    sec = _secrets().get("harmmap", {})
    return dict(sec) if isinstance(sec, dict) else {}


def login_mode() -> tuple[str, str | None]:
    """("password", file) | ("oidc", None) | ("none", None)."""
    sec = _secrets()
    pw = os.environ.get("HARMMAP_PASSWORD_FILE") or sec.get("harmmap", {}).get("password_file")
    if pw:
        return "password", pw
    if sec.get("auth"):
        return "oidc", None
    return "none", None


def current_user() -> auth.User:
    """Who is signed in (set by :func:`require_login` on every run)."""
    return st.session_state.get(_KEY) or auth.User(auth.local_user(), "admin")


def can(action: str) -> bool:
    """May the signed-in user do ``action`` (view, download, correct, load, manage)?"""
    return auth.allowed(current_user().role, action)


def oidc_user(claims: dict, roles: dict) -> auth.User:
    """The user for an OIDC identity (``st.user``): named by its email (else name, else sub); a role from
    ``roles`` (``[harmmap.roles]``: email -> role, case-insensitive) only for an email claim the provider has
    not marked unverified, so a display name that looks like an email gets no role. Default ``viewer``.

    >>> oidc_user({"email": "Ed@Example.org", "name": "Ed"}, {"ed@example.org": "editor"})
    User(name='Ed@Example.org', role='editor')
    >>> oidc_user({"name": "ed@example.org"}, {"ed@example.org": "admin"})
    User(name='ed@example.org', role='viewer')
    >>> oidc_user({"email": "ed@example.org", "email_verified": "false"}, {"ed@example.org": "admin"}).role
    'viewer'
    """
    email = str(claims.get("email") or "").strip()
    role = "viewer"
    if email and str(claims.get("email_verified", True)).lower() != "false":
        role = {str(k).strip().lower(): v for k, v in roles.items()}.get(email.lower(), "viewer")
    return auth.User(email or str(claims.get("name") or claims.get("sub") or "user"),
                     role if role in auth.ROLES else "viewer")


def _password_form(path: str) -> None:
    st.markdown("## HarmMap")
    st.caption("Sign in to see incident data.")
    if st.session_state.get(_FAILS, 0) >= 5:
        time.sleep(2)                     # slow down guessing within a session
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        ok = st.form_submit_button("Sign in", type="primary")
    if ok:
        try:
            user = auth.authenticate(path, name.strip(), password)
        except (auth.AuthError, OSError) as exc:
            st.error(f"The password file cannot be read: {exc}")
            return
        if user is None:
            st.session_state[_FAILS] = st.session_state.get(_FAILS, 0) + 1
            st.error("Wrong user name or password.")
            return
        st.session_state[_KEY] = user
        st.session_state.pop("login_password", None)
        st.rerun()


def require_login() -> auth.User:
    """Return the signed-in user, or draw the sign-in screen and stop the run."""
    mode, path = login_mode()
    if mode == "none":
        user = current_user()
        st.session_state[_KEY] = user
        return user
    if mode == "oidc":
        if not st.user.is_logged_in:
            st.markdown("## HarmMap")
            st.button("Sign in", on_click=st.login, type="primary")
            st.stop()
        user = oidc_user(st.user.to_dict(), _secrets().get("harmmap", {}).get("roles", {}))
        st.session_state[_KEY] = user
    else:
        user = st.session_state.get(_KEY)
        if user is None:
            _password_form(path)
            st.stop()
    with st.sidebar:
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.caption(f"Signed in as **{user.name}** ({user.role})")
        if c2.button("Sign out", key="logout"):
            st.session_state.pop(_KEY, None)
            if mode == "oidc":
                st.logout()     # sends the browser to /auth/logout; a rerun here would drop that redirect
                st.stop()
            st.rerun()
    return user
