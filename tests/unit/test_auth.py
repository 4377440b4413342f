"""The password file, roles and the users command."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from harmmap import auth
from tests.conftest import ROOT


def test_add_authenticate_and_roles(tmp_path):
    f = tmp_path / "users.txt"
    auth.add_user(f, "olena", "editor", "s3cret-pass")
    auth.add_user(f, "ivan", "viewer", "another-pass")
    auth.add_user(f, "olena", "admin", "new-pass-123")          # replaces
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert "s3cret" not in f.read_text()
    assert auth.authenticate(f, "olena", "new-pass-123") == auth.User("olena", "admin")
    assert auth.authenticate(f, "olena", "s3cret-pass") is None
    assert auth.authenticate(f, "nobody", "new-pass-123") is None
    assert auth.allowed("viewer", "download") and not auth.allowed("viewer", "load")
    assert auth.allowed("editor", "correct") and not auth.allowed("editor", "manage")
    assert not auth.allowed("root", "view") and not auth.allowed("admin", "fly")


@pytest.mark.parametrize("line, message", [("just-a-name", "expected name:role:hash"),
                                           ("x:superuser:abc", "unknown role 'superuser'")])
def test_a_bad_password_file_names_the_file_and_line(tmp_path, line, message):
    f = tmp_path / "users.txt"
    f.write_text("# team\n" + line + "\n")
    with pytest.raises(auth.AuthError) as exc:
        auth.read_users(f)
    assert "users.txt, line 2" in str(exc.value) and message in str(exc.value)


def test_weak_or_odd_input_is_refused(tmp_path):
    with pytest.raises(auth.AuthError):
        auth.add_user(tmp_path / "u", "a", "editor", "short")
    with pytest.raises(auth.AuthError):
        auth.add_user(tmp_path / "u", "a:b", "editor", "long-enough")


def test_users_command(tmp_path):
    f = tmp_path / "users.txt"
    r = subprocess.run([sys.executable, "-m", "harmmap", "users", "add", "maria", "--role", "editor", "--file", str(f),
                        "--password-stdin"], input="correct-horse\n", cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "harmmap", "users", "list", "--file", str(f)], cwd=ROOT,
                       capture_output=True, text=True)
    assert "maria" in r.stdout and "editor" in r.stdout
