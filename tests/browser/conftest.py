"""Browser test fixtures: a real ``streamlit run dashboard.py`` server on a free port (fresh demo store in
a tmp dir) and Debian's chromium driven by Playwright, with every request to a host other than
localhost blocked and recorded (the map must work offline)."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A streamlit server process; ``started`` is when ``streamlit run`` was launched."""

    def __init__(self, data_dir: Path, boundaries_dir: Path | None = None):
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.log_path = data_dir / "server.log"
        env = dict(os.environ, HARMMAP_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        env.pop("HARMMAP_DATABASE_URL", None)
        if boundaries_dir is not None:
            env["HARMMAP_BOUNDARIES_DIR"] = str(boundaries_dir)
        self.started = time.monotonic()
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; its log:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)     # polling interval, not a fixed wait
        raise RuntimeError(f"streamlit did not answer /_stcore/health in {timeout}s; its log:\n{self.log()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


def boundaries_dir(tmp: Path) -> Path | None:
    """geoBoundaries oblasts from ../shared/datasets configured into ``tmp`` (None when not there)."""
    from harmmap import paths

    src = paths.SHARED_DATASETS / "boundaries" / "geoBoundaries-UKR-ADM1_simplified.geojson"
    if not src.is_file():
        return None
    out = tmp / "boundaries"
    out.mkdir(exist_ok=True)
    r = subprocess.run([sys.executable, "-m", "harmmap", "boundaries", "load", str(src), "--level", "1"],
                       cwd=ROOT, env=dict(os.environ, HARMMAP_BOUNDARIES_DIR=str(out)), capture_output=True, text=True)
    return out if r.returncode == 0 else None


@pytest.fixture(scope="session")
def chromium_ok():
    need(Path(CHROMIUM).exists(), f"Debian chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need(False, "python playwright")


def serving(srv: Server):
    """For a fixture: ``yield from serving(Server(...))`` yields the server once it answers and stops it
    afterwards (also when it never answers)."""
    try:
        srv.wait_healthy()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_ok):
    """A dashboard server on a fresh data dir (the first page load builds the demo store)."""
    tmp = tmp_path_factory.mktemp("dash")
    srv = Server(tmp, boundaries_dir(tmp))
    yield from serving(srv)
    if srv.proc.returncode not in (0, -15, None):
        print(srv.log())


@pytest.fixture(scope="session")
def browser(chromium_ok):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def offline_page(browser, width: int = 1280, height: int = 800, timeout_ms: int = 60_000):
    """A fresh browser context (no cookies, no session) whose requests to other hosts than localhost are
    blocked and listed in ``page.blocked``; returns ``(context, page)``."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    blocked: list[str] = []

    def route(r):
        if urlparse(r.request.url).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    pg = ctx.new_page()
    pg.blocked = blocked
    pg.console = []
    pg.on("console", lambda m: pg.console.append(f"{m.type}: {m.text}"))
    pg.set_default_timeout(timeout_ms)
    return ctx, pg


@pytest.fixture
def page(browser, request):
    """A 1280x800 page whose requests to other hosts are blocked; ``page.blocked`` lists them."""
    ctx, pg = offline_page(browser)
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def map_frame(page):
    """The st_folium iframe that is showing (a re-created map briefly leaves a stale one)."""
    loc = page.locator('iframe[title="streamlit_folium.st_folium"]:visible')
    loc.first.wait_for(state="visible")
    return loc.last, loc.last.content_frame


#: basemap tile servers: the only outside hosts a page may try to reach when offline
TILE_HOSTS = ("basemaps.cartocdn.com", "tile.openstreetmap.org", "server.arcgisonline.com")


def only_tiles_were_blocked(page) -> None:
    """With no internet the only outside requests are basemap tiles (no CDN scripts or styles)."""
    others = [u for u in page.blocked if not any(h in u for h in TILE_HOSTS)]
    assert not others, others


def wait_map(page, text: str, timeout: float = 90):
    """The visible map iframe once it shows ``text`` (in its title block or legend)."""
    deadline = time.monotonic() + timeout
    while True:
        iframe, frame = map_frame(page)
        try:
            frame.get_by_text(text, exact=False).first.wait_for(timeout=5_000)
            return iframe, frame
        except Exception:
            if time.monotonic() > deadline:
                raise


def wait_until(fn, what: str, timeout: float = 60):
    """Poll ``fn`` until it returns something truthy (no fixed sleeps); a raising ``fn`` (a frame being
    redrawn) counts as not yet."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as exc:
            last = exc
        time.sleep(0.1)     # polling interval, not a fixed wait
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def pick(page, box, name: str, done, what: str, *, typed: str | None = None, close: bool = False,
         timeout: float = 60) -> None:
    """Open the drop-down ``box`` (typing ``typed`` to bring a virtualised option into the list), click the
    option ``name`` (``close``: then Escape, for a multiselect's list that stays open; a selectbox's closes
    itself and Escape would clear it), until ``done()``. A rerun that redraws the box closes its list (the
    option is then detached under the mouse), so each try starts again from opening it."""
    def once():
        if not done():
            box.click(timeout=5_000)
            if typed:
                page.keyboard.type(typed)
            page.get_by_role("option", name=name, exact=True).click(timeout=5_000)
            if close:
                page.keyboard.press("Escape")
        return done()
    wait_until(once, what, timeout)
    if close:
        # a list left open (the Escape landed in a rerun that opened it again) hides the rest of the page from
        # role queries, and can cover what is clicked next
        def closed():
            if page.get_by_role("listbox").count():
                page.keyboard.press("Escape")
            return not page.get_by_role("listbox").count()
        wait_until(closed, "the drop-down list closed", timeout)


@functools.lru_cache(maxsize=1)
def _demo_store():
    from harmmap.demo import ensure_demo_store

    return ensure_demo_store(":memory:")


def expected_count(**filters) -> int:
    """What an independent demo store (same n and seed as the server's) counts for these filters."""
    from harmmap.query import Filters

    return _demo_store().count(Filters(**filters))


__all__ = ["Server", "map_frame", "offline_page", "only_tiles_were_blocked", "wait_map", "wait_until",
           "expected_count", "TILE_HOSTS", "shutil"]
