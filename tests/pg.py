"""A PostgreSQL + PostGIS server for tests.

``postgres_url()`` returns ``$HARMMAP_TEST_POSTGRES_URL`` when set; otherwise, when Debian's
PostgreSQL 15 is installed, it starts a throwaway cluster in a temporary directory on a free
port (run as the ``postgres`` user when we are root, since initdb refuses root), waits until it
accepts connections (polling, no fixed sleep), creates the PostGIS extension and returns its URL.
The cluster is stopped and removed at interpreter exit (or by :func:`stop`). ``$HARMMAP_TEST_PG_OPTS`` adds
server settings (benchmarks: ``-c shared_buffers=4GB``, as a team server would have).

Each pytest-xdist worker starts its own cluster (own port and directory).

Example
-------
>>> url = postgres_url()          # doctest: +SKIP
>>> url.startswith("postgresql://")  # doctest: +SKIP
True
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
_STATE: dict = {}


def available() -> bool:
    """Whether a server can be had: the environment names one, or PostgreSQL 15 is installed."""
    return bool(os.environ.get("HARMMAP_TEST_POSTGRES_URL")) or (BIN / "initdb").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(_as_postgres(cmd), capture_output=True, text=True, **kw)


def postgres_url(timeout: float = 60.0) -> str:
    """The URL of a PostgreSQL server with PostGIS for tests (started on first call)."""
    env = os.environ.get("HARMMAP_TEST_POSTGRES_URL")
    if env:
        return env
    if "url" in _STATE:
        return _STATE["url"]
    if not (BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL 15 is not installed ({BIN / 'initdb'} is missing)")
    import psycopg

    tmp = Path(tempfile.mkdtemp(prefix="harmmap-pg-"))
    data, sock, log = tmp / "data", tmp / "sock", tmp / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
        tmp.chmod(0o700)
    r = _run([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
    if r.returncode:
        raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")
    port = _free_port()
    opts = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50 "
            + os.environ.get("HARMMAP_TEST_PG_OPTS", "")).strip()
    r = _run([str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-s", "start"])
    if r.returncode:
        raise RuntimeError(f"pg_ctl start failed: {r.stderr or r.stdout}\n{_tail(log)}")
    _STATE.update(tmp=tmp, data=data, log=log, opts=opts)
    atexit.register(stop)
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2, autocommit=True) as con:
                con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            break
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                stop()
                raise RuntimeError(f"PostgreSQL did not start in {timeout}s: {exc}\n{_tail(log)}") from None
            time.sleep(0.05)
    _STATE["url"] = url
    return url


def _tail(log: Path, n: int = 20) -> str:
    try:
        return "\n".join(log.read_text().splitlines()[-n:])
    except OSError:
        return ""


def stop() -> None:
    """Stop and remove the throwaway cluster, if this process started one."""
    data = _STATE.pop("data", None)
    tmp = _STATE.pop("tmp", None)
    _STATE.pop("url", None)
    if data is not None:
        _run([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-s", "stop"])
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def pause() -> None:
    """Stop the throwaway server, keeping its data (fault tests: the server goes away)."""
    if "data" not in _STATE:
        raise RuntimeError("no throwaway cluster to pause (HARMMAP_TEST_POSTGRES_URL is set?)")
    _run([str(BIN / "pg_ctl"), "-D", str(_STATE["data"]), "-m", "fast", "-s", "-w", "stop"])


def resume(timeout: float = 60.0) -> None:
    """Start the paused server again on the same port and wait until it answers."""
    import psycopg

    r = _run([str(BIN / "pg_ctl"), "-D", str(_STATE["data"]), "-l", str(_STATE["log"]), "-o", _STATE["opts"],
              "-s", "-w", "start"])
    if r.returncode:
        raise RuntimeError(f"pg_ctl start failed: {r.stderr or r.stdout}\n{_tail(_STATE['log'])}")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(_STATE["url"], connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
