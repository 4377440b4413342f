"""Users, roles and passwords for a small team (the dashboard's optional login; no Streamlit here).

A password file holds one user per line, ``name:role:hash`` (``#`` starts a comment), where ``hash`` is
``pbkdf2_sha256$iterations$salt$digest`` (hex). Roles, from least to most:

- ``viewer``: sees every page and downloads what the pages offer;
- ``editor``: also corrects categories and loads data;
- ``admin``: also manages data sets.

Create or update a user with ``python -m harmmap users add NAME --role editor --file users.txt`` (asks for
the password). Point the dashboard at the file with ``HARMMAP_PASSWORD_FILE`` or ``password_file`` under
``[harmmap]`` in ``.streamlit/secrets.toml``.

Example
-------
>>> h = hash_password("correct horse", iterations=1000)
>>> check_password("correct horse", h), check_password("wrong", h)
(True, False)
>>> allowed("editor", "correct"), allowed("viewer", "correct")
(True, False)
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROLES", "ACTIONS", "User", "local_user", "hash_password", "check_password", "read_users", "authenticate",
           "allowed", "add_user", "AuthError"]

ROLES = ("viewer", "editor", "admin")
#: action -> the least role allowed to do it
ACTIONS = {"view": "viewer", "download": "viewer", "correct": "editor", "load": "editor", "manage": "admin"}
ITERATIONS = 310_000


class AuthError(ValueError):
    """A malformed password file or an unknown role (the message names the file and line)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations)).hex()
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, digest)


def read_users(path: str | os.PathLike) -> dict[str, tuple[str, str]]:
    """name -> (role, hash). Raises :class:`AuthError` naming the file and line of a bad entry."""
    users: dict[str, tuple[str, str]] = {}
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 2)
        if len(parts) != 3 or not parts[0]:
            raise AuthError(f"{path}, line {i}: expected name:role:hash")
        name, role, h = parts
        if role not in ROLES:
            raise AuthError(f"{path}, line {i}: unknown role {role!r} (roles: {', '.join(ROLES)})")
        users[name] = (role, h)
    return users


def authenticate(path: str | os.PathLike, name: str, password: str) -> User | None:
    """The user when the name and password match the file, else None (same time for unknown names)."""
    users = read_users(path)
    role, h = users.get(name, ("viewer", hash_password("x", iterations=1000, salt="00")))
    ok = check_password(password, h)
    return User(name, role) if ok and name in users else None


def allowed(role: str | None, action: str) -> bool:
    """May ``role`` do ``action`` (view, download, correct, load, manage)?"""
    if role not in ROLES or action not in ACTIONS:
        return False
    return ROLES.index(role) >= ROLES.index(ACTIONS[action])


def add_user(path: str | os.PathLike, name: str, role: str, password: str) -> None:
    """Add or replace a user in the password file (created with mode 600)."""
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if not name or ":" in name or name.strip() != name:
        raise AuthError(f"a user name must be non-empty, with no ':' and no surrounding spaces: {name!r}")
    if len(password) < 8:
        raise AuthError("a password needs at least 8 characters")
    p = Path(path)
    lines = p.read_text(encoding="utf-8").splitlines() if p.exists() else []
    lines = [ln for ln in lines if ln.split(":", 1)[0] != name]
    lines.append(f"{name}:{role}:{hash_password(password)}")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(p, 0o600)


def local_user(given: str | None = None, default: str = "analyst") -> str:
    """The name to record when no login says who it is: ``given``, else ``$HARMMAP_USER``, else the login
    name of the process, else ``default``."""
    for name in (given, os.environ.get("HARMMAP_USER")):
        if name and name.strip():
            return name.strip()
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry (containers)
        return default
