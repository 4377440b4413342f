"""Optional login (Streamlit only): none (one analyst on a laptop), a password file for small teams, or
Streamlit's OIDC login (``st.login``) when ``[auth]`` is configured in ``.streamlit/secrets.toml``.

When login is on, :func:`require_login` stops every run before any page, sidebar or download is drawn until
the user has signed in. Roles (viewer, editor, admin) come from the password file, or for OIDC from
``[harmmap.roles]`` in the secrets (email = "role"; default ``viewer``). See :mod:`harmmap.auth`.
"""

from __future__ import annotations

import getpass
import os
import time

import streamlit as st

from harmmap import auth

__all__ = ["require_login", "current_user", "can", "login_mode"]

_KEY = "harmmap_user"
_FAILS = "harmmap_login_failures"


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets.toml: no login configured there
        return {}


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
    return st.session_state.get(_KEY) or auth.User(os.environ.get("HARMMAP_USER") or _os_user(), "admin")


def can(action: str) -> bool:
    """May the signed-in user do ``action`` (view, download, correct, load, manage)?"""
    return auth.allowed(current_user().role, action)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "analyst"


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
        email = str(st.user.get("email") or st.user.get("name") or "user")
        role = _secrets().get("harmmap", {}).get("roles", {}).get(email, "viewer")
        user = auth.User(email, role if role in auth.ROLES else "viewer")
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
                st.logout()
            st.rerun()
    return user
