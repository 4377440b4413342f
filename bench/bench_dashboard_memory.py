"""Benchmark the dashboard process's memory: a real ``streamlit run dashboard.py`` on a given store,
its Map, Trends and Patterns pages opened in headless Chromium, the server's resident memory read
after each page; beside it the baseline, the same pages' data loaded into pandas in one process.

    python bench/bench_store.py --n 1000000 --keep /tmp/bench_1m.duckdb      # a store to measure
    python bench/bench_dashboard_memory.py --db /tmp/bench_1m.duckdb

Target (issue 8): the dashboard process under 1 GB. The figure is the server's RSS (``VmRSS``) after
each page and its peak (``VmHWM``), from /proc; DuckDB's cache of the file counts (it lives in the
process). Uses Debian's chromium through Playwright (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ("map", "trends", "patterns")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_mem(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    vals = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                vals[k] = int(v.split()[0]) / 1024
    return vals.get("VmRSS", 0.0), vals.get("VmHWM", 0.0)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)     # polling interval
    raise RuntimeError(f"streamlit did not answer in {timeout}s")


def wait_page_done(page, timeout: float) -> float:
    """Poll until the script run is over: the app has rendered and the 'running' widget is gone
    for a few consecutive polls. Returns the seconds it took."""
    t0 = time.monotonic()
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout * 1000)
    quiet = 0
    while time.monotonic() - t0 < timeout:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        skeleton = page.locator('[data-testid="stSkeleton"]').count() > 0
        quiet = 0 if (running or skeleton) else quiet + 1
        if quiet >= 6:
            return time.monotonic() - t0
        time.sleep(0.5)     # polling interval
    raise TimeoutError(f"the page was still running after {timeout:.0f} s")


def dashboard(db: str, pages: tuple[str, ...], timeout: float, env_extra: dict[str, str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://localhost:{port}"
    tmp = tempfile.mkdtemp(prefix="harmmap-mem-")
    env = dict(os.environ, HARMMAP_DATABASE_URL=db, HARMMAP_DATA_DIR=tmp, PYTHONUNBUFFERED="1", **env_extra)
    log = open(Path(tmp) / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
                             "--server.port", str(port), "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    rows = []
    try:
        wait_healthy(url, proc)
        rss, hwm = proc_mem(proc.pid)
        rows.append({"page": "(started)", "seconds": 0.0, "rss_mb": rss, "peak_mb": hwm})
        print(f"  server started: RSS {rss:,.0f} MB", flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page = ctx.new_page()
            for name in pages:
                page.goto(f"{url}/{name}")
                try:
                    secs = wait_page_done(page, timeout)
                    status = "done"
                except TimeoutError as exc:
                    secs, status = timeout, str(exc)
                rss, hwm = proc_mem(proc.pid)
                errors = page.locator('[data-testid="stException"]').count()
                rows.append({"page": name, "seconds": secs, "rss_mb": rss, "peak_mb": hwm, "status": status,
                             "exceptions": errors})
                print(f"  {name}: {status} in {secs:.1f} s; server RSS {rss:,.0f} MB, peak {hwm:,.0f} MB"
                      + (f"; {errors} exception(s) shown" if errors else ""), flush=True)
            ctx.close()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return rows


BASELINE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
def rss():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
from harmmap.query import Filters
from harmmap.store import open_store
from ui.patterns import COLUMNS
before = rss()
s = open_store(sys.argv[1], read_only=True)
t = time.perf_counter()
# what the three pages would hold if each loaded its incidents into pandas (the patterns
# analyses' columns cover the map's points and the trends' series)
df = s.incidents(Filters(), columns=list(COLUMNS) + ["source", "description", "location"])
print(json.dumps({"rows": len(df), "seconds": time.perf_counter() - t, "rss_mb": rss(), "import_mb": before}))
"""


def baseline(db: str) -> dict:
    r = subprocess.run([sys.executable, "-c", BASELINE, db, str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        return {"error": (r.stderr or r.stdout).strip().splitlines()[-1:]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", action="append", required=True, help="a DuckDB file or postgresql:// URL (repeatable)")
    p.add_argument("--pages", default=",".join(PAGES))
    p.add_argument("--timeout", type=float, default=600, help="seconds a page may run")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    args = p.parse_args(argv)
    pages = tuple(x for x in args.pages.split(",") if x)
    extra = dict(e.split("=", 1) for e in args.env)
    for db in args.db:
        print(f"{db}:", flush=True)
        rows = dashboard(db, pages, args.timeout, extra)
        peak = max(r["peak_mb"] for r in rows)
        line = f"  dashboard peak RSS {peak:,.0f} MB ({'under' if peak < 1024 else 'OVER'} the 1 GB target)"
        if not args.no_baseline:
            b = baseline(db)
            if "error" in b:
                line += f"; baseline failed: {b['error']}"
            else:
                line += (f"; baseline: {b['rows']:,} rows of the pages' columns in pandas: process RSS "
                         f"{b['rss_mb']:,.0f} MB ({b['rss_mb'] / peak:.1f}x the dashboard), loaded in "
                         f"{b['seconds']:.1f} s")
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
