"""Map bench: bytes of map per render and Python build time, HarmMap beside the naive folium approaches.

For each size (demo generator, DuckDB files built once under ``--dir``):

* HarmMap: ``layers.compose.build_map`` at the country view (auto: clusters or hexagons by count), and in
  heat mode; the store aggregates, the browser gets at most ~2 MB.
* Naive, measured in the same run: every incident as a ``folium.CircleMarker``; every incident in
  ``folium.plugins.MarkerCluster``; every incident in ``folium.plugins.HeatMap``. The naive approaches are
  capped (``--naive-max``, default 100,000 for the heat map and 10,000 for markers; larger sizes say
  "skipped") because they do not finish in reasonable time or memory beyond that.

Printed: seconds to build the map in Python (median of ``--repeat``), bytes of the rendered HTML, and the
ratios naive / HarmMap at the same size. With ``--browser`` also the time real Chromium takes from
opening the rendered map (a static HTML file using the project's ``static/`` assets) to the map drawn
(legend visible), for 50 incidents and for each size.

With ``--app``: the real Streamlit app (``streamlit run dashboard.py`` on each demo store) in Chromium
(Playwright, ``/usr/bin/chromium``), beside the naive app (``bench/naive_map_app.py``: every incident as a
CircleMarker through st_folium, and as MarkerCluster) measured in the same run:

* page -> map: from ``page.goto`` to the map drawn (its legend, or the naive map's markers), on a cold
  server (first visit: caches empty) and warm (a second visitor);
* click -> detail: the page opened zoomed in on a quiet place (``?view=lat,lon,13``: single incidents),
  the map settled, then a click on an incident until the detail panel shows its description;
* bytes per render: the websocket bytes the browser received for the page run (the map's HTML and
  everything else the page sends), and the map's own HTML;
* server memory: RSS of the streamlit process after the click (and its peak, VmHWM).

The naive app is capped (``--naive-timeout``, default 90 s per step; and ``--naive-rss-gb``): past that
it is reported as "did not finish in N s". The 50-incident HarmMap app is the baseline for the targets
(at 1M: page -> map within 1.5x of it; click -> detail under 1 s); ratios are printed.

Run: ``python bench/bench_map.py [--sizes 10000,100000,1000000] [--dir /tmp/benchmap] [--browser] [--app]``
(``--app --no-static`` skips the static-HTML part.)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
import folium.plugins  # noqa: E402

from harmmap.query import Filters  # noqa: E402
from harmmap.store import open_store  # noqa: E402
from layers.compose import build_map  # noqa: E402


def ensure_db(n: int, folder: Path) -> Path:
    db = folder / f"demo_{n}.duckdb"
    if not db.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"building {db} ({n:,} incidents)...", flush=True)
        subprocess.run([sys.executable, "-m", "harmmap", "demo", "--n", str(n), "--db", str(db)], cwd=ROOT,
                       check=True)
    return db


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def harmmap_render(store, mode: str = "auto"):
    res = build_map(store, Filters(), mode=mode, tiles="none")
    return res, res.map.get_root().render()


def naive_render(df, kind: str) -> str:
    m = folium.Map(location=[48.6, 31.3], zoom_start=6, tiles=None)
    pts = df[["lat", "lon"]].to_numpy().tolist()
    if kind == "circlemarker":
        for lat, lon in pts:
            folium.CircleMarker([lat, lon], radius=4).add_to(m)
    elif kind == "markercluster":
        folium.plugins.MarkerCluster(pts).add_to(m)
    else:
        folium.plugins.HeatMap(pts).add_to(m)
    return m.get_root().render()


def browser_time(html: str, timeout_s: float = 300) -> float | None:
    """Seconds from opening the map HTML (assets from static/) to its legend or title visible."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    html = html.replace('"/app/static/', f'"file://{ROOT}/static/').replace("'/app/static/", f"'file://{ROOT}/static/")
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as f:
        f.write(html)
        path = f.name
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium",
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"])
        pg = b.new_page(viewport={"width": 1280, "height": 800})
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        t = time.perf_counter()
        pg.goto(f"file://{path}", timeout=timeout_s * 1000)
        pg.wait_for_function("() => document.querySelector('.hm-legend, .hm-head, .leaflet-marker-icon, "
                             ".leaflet-interactive, canvas.leaflet-heatmap-layer')",
                             timeout=timeout_s * 1000)
        # one frame after the content appeared: what the analyst sees
        pg.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        dt = time.perf_counter() - t
        b.close()
    Path(path).unlink(missing_ok=True)
    return dt


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


# ------------------------------------------------------------------------------------------------
# the real app in Chromium (--app)
# ------------------------------------------------------------------------------------------------
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class AppServer:
    """``streamlit run SCRIPT`` on a free port with ``env``; ``rss()`` reads its memory from /proc."""

    def __init__(self, script: Path, env: dict, log: Path):
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            self.port = sk.getsockname()[1]
        self.url = f"http://localhost:{self.port}"
        self._log = open(log, "w")
        self.log_path = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.maxMessageSize", "2000"],
            cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1", **env), stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited; log:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("streamlit did not start")

    def rss(self, field: str = "VmRSS") -> int | None:
        """Bytes of memory of the server process (``VmRSS`` now, ``VmHWM`` its peak)."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class Overrun(Exception):
    """The step did not finish in time (or the server went over its memory cap)."""


def _until(fn, timeout: float, server: AppServer | None = None, rss_cap: float | None = None):
    """Poll ``fn`` until truthy; Overrun after ``timeout`` s or when the server's RSS passes ``rss_cap``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = fn()
        except Exception:   # noqa: BLE001 - a frame being redrawn: not yet
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            raise Overrun(f"did not finish in {timeout:.0f} s")
        if server is not None and rss_cap and (server.rss() or 0) > rss_cap:
            raise Overrun(f"server passed {rss_cap / 2**30:.0f} GB RSS")
        time.sleep(0.05)    # polling interval


def _map_frame(page):
    """The visible st_folium iframe's Frame (None while there is none)."""
    loc = page.locator('iframe[title="streamlit_folium.st_folium"]:visible')
    if not loc.count():
        return None
    h = loc.last.element_handle(timeout=5_000)
    return h.content_frame() if h else None


def _idle(page) -> bool:
    return page.locator('[data-testid="stStatusWidget"]').count() == 0 or \
        not page.locator('[data-testid="stStatusWidget"]').first.is_visible()


def _settled(page, timeout: float, server=None, rss_cap=None) -> None:
    """Wait until the app is idle and the map has not been re-created for a while (after its first view
    report the page reruns, and a view-dependent map may be rebuilt once)."""
    last, since = None, time.monotonic()

    def quiet():
        nonlocal last, since
        fr = _map_frame(page)
        ident = fr.evaluate("() => window.map ? window.map._leaflet_id : null") if fr else None
        if ident is None or not _idle(page) or ident != last:
            last, since = ident, time.monotonic()
            return False
        return time.monotonic() - since > 1.5
    _until(quiet, timeout, server, rss_cap)


class Recorder:
    """Websocket bytes the page received since ``reset()``."""

    def __init__(self, page):
        self.bytes = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload):
        self.bytes += len(payload if isinstance(payload, (bytes, bytearray)) else str(payload).encode())

    def reset(self):
        self.bytes = 0


def _new_page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.route("**/*", lambda r: r.continue_() if "localhost" in r.request.url or "127.0.0.1" in r.request.url
              else r.abort())
    pg = ctx.new_page()
    pg.set_default_timeout(300_000)
    return ctx, pg


def quiet_place(db: Path) -> tuple[float, float]:
    """An incident with few others near it (so that the map zoomed in on it shows single incidents)."""
    store = open_store(str(db), read_only=True)
    try:
        cand = store.incidents(Filters(), columns=["geometry"], limit=400, order="incident_id")
        for r in cand.iloc[::7].itertuples():
            d = 0.08
            n = store.count(Filters(bbox=(r.lon - d, r.lat - d, r.lon + d, r.lat + d)))
            if 1 <= n <= 600:
                return float(r.lat), float(r.lon)
        r = cand.iloc[0]
        return float(r["lat"]), float(r["lon"])
    finally:
        store.close()


def measure_app(browser, server: AppServer, kind: str, place: tuple[float, float], timeout: float,
                rss_cap: float | None = None) -> dict:
    """Page -> map (cold, warm), click -> detail, bytes, memory for one app (``kind``: harmmap | naive)."""
    drawn_sel = (".hm-legend" if kind == "harmmap" else
                 "path.leaflet-interactive, .leaflet-marker-icon")
    out: dict = {}

    def open_page(url: str, label: str):
        ctx, pg = _new_page(browser)
        rec = Recorder(pg)
        t = time.perf_counter()
        try:
            pg.goto(url, timeout=timeout * 1000)
            _until(lambda: (_map_frame(pg) and _map_frame(pg).locator(drawn_sel).count() > 0), timeout,
                   server, rss_cap)
            out[f"{label}_s"] = time.perf_counter() - t
            out[f"{label}_bytes"] = rec.bytes
            fr = _map_frame(pg)
            out[f"{label}_map_html"] = len((fr.evaluate("() => document.documentElement.outerHTML") or "").encode())
        except Overrun as exc:
            out[f"{label}_s"] = None
            out[f"{label}_err"] = str(exc)
            ctx.close()
            return None, None, None
        return ctx, pg, rec

    ctx, pg, rec = open_page(server.url + "/", "cold")
    if ctx is None:
        return out
    ctx.close()
    ctx, pg, rec = open_page(server.url + "/", "warm")
    if ctx is None:
        return out
    ctx.close()
    # click -> detail: zoomed in on a quiet place, the map settled, then a click on an incident
    lat, lon = place
    # HarmMap re-centres a zoomed-in map on its snapped query box after the first view report (so that small
    # pans rebuild nothing): at zoom 13 the incident stays in view; the naive map never moves
    zoom = 13 if kind == "harmmap" else 18
    ctx, pg, rec = open_page(server.url + f"/?view={lat:.5f},{lon:.5f},{zoom}", "zoomed")
    if ctx is None:
        return out
    try:
        _settled(pg, timeout, server, rss_cap)
        # the incident drawn nearest the map's centre (an SVG circle or a marker, not a cluster)
        nearest = """() => { const m = window.map, s = m.getSize(), c = s.divideBy(2); let best = null, bd = 1e18;
            m.eachLayer(l => { if (!(l instanceof L.CircleMarker || l instanceof L.Marker) || !l.getLatLng) return;
                if ((L.MarkerCluster && l instanceof L.MarkerCluster) || l.getChildCount) return;
                const p = m.latLngToContainerPoint(l.getLatLng());
                if (p.x < 40 || p.y < 40 || p.x > s.x - 40 || p.y > s.y - 40) return;
                const d = p.distanceTo(c); if (d < bd) { bd = d; best = [p.x, p.y]; } });
            return best; }"""
        xy = _until(lambda: _map_frame(pg).evaluate(nearest), timeout, server, rss_cap)
        box = pg.locator('iframe[title="streamlit_folium.st_folium"]:visible').last.bounding_box()
        rec.reset()
        t = time.perf_counter()
        pg.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        _until(lambda: pg.get_by_text("Description", exact=True).first.is_visible()
               or pg.get_by_text("description is graphic", exact=False).first.is_visible(), timeout, server, rss_cap)
        out["click_s"] = time.perf_counter() - t
        out["click_bytes"] = rec.bytes
    except Overrun as exc:
        out["click_s"] = None
        out["click_err"] = str(exc)
    finally:
        ctx.close()
    out["rss"] = server.rss()
    out["rss_peak"] = server.rss("VmHWM")
    return out


def run_app_bench(sizes: list[int], folder: Path, naive_timeout: float, rss_cap_gb: float,
                  naive_max: int | None = None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from harmmap import paths
    from harmmap.demo import ensure_demo_store

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        tmp = Path(tmp)
        bdir = tmp / "boundaries"
        adm1 = paths.SHARED_DATASETS / "boundaries" / "geoBoundaries-UKR-ADM1_simplified.geojson"
        if adm1.is_file():
            subprocess.run([sys.executable, "-m", "harmmap", "boundaries", "load", str(adm1), "--level", "1"],
                           cwd=ROOT, env=dict(os.environ, HARMMAP_BOUNDARIES_DIR=str(bdir)), check=True,
                           capture_output=True)
        # the naive app runs from a copy beside a link to static/ (Streamlit serves <script dir>/static)
        naive_dir = tmp / "naive"
        naive_dir.mkdir()
        naive_script = naive_dir / "naive_map_app.py"
        naive_script.write_text((ROOT / "bench" / "naive_map_app.py").read_text())
        (naive_dir / "static").symlink_to(ROOT / "static")
        s50 = tmp / "demo_50.duckdb"
        ensure_demo_store(str(s50), n=50).close()
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for n, db in [(50, s50)] + [(n, ensure_db(n, folder)) for n in sizes]:
            place = quiet_place(db)
            row = {"n": n, "place": place}
            env = {"HARMMAP_DATABASE_URL": str(db), "HARMMAP_DATA_DIR": str(tmp),
                   "HARMMAP_BOUNDARIES_DIR": str(bdir)}
            srv = AppServer(ROOT / "dashboard.py", env, tmp / f"harmmap_{n}.log")
            try:
                row["harmmap"] = measure_app(browser, srv, "harmmap", place, 300)
            finally:
                srv.stop()
            print(f"{n:,} HarmMap: {json.dumps(row['harmmap'])}", flush=True)
            if n != 50:
                for kind in ("circlemarker", "markercluster"):
                    if naive_max is not None and n > naive_max:
                        row[kind] = {"cold_s": None, "cold_err": f"not run (above --naive-max {naive_max:,})"}
                        continue
                    srv = AppServer(naive_script, {"NAIVE_DB": str(db), "NAIVE_KIND": kind, "HARMMAP_ROOT": str(ROOT)},
                                    tmp / f"naive_{kind}_{n}.log")
                    try:
                        row[kind] = measure_app(browser, srv, "naive", place, naive_timeout, rss_cap_gb * 2**30)
                    finally:
                        srv.stop()
                    print(f"{n:,} naive {kind}: {json.dumps(row[kind])}", flush=True)
            rows.append(row)
        browser.close()
    return rows


def _sec(d: dict, k: str) -> str:
    v = d.get(f"{k}_s") if d else None
    if v is not None:
        return f"{v:6.2f} s"
    err = (d or {}).get(f"{k}_err") or (d or {}).get("cold_err") or "not measured"
    return err


def print_app(rows: list[dict]) -> None:
    base = next(r for r in rows if r["n"] == 50)["harmmap"]
    print("\nThe real app in Chromium (page -> map drawn; click on an incident -> detail shown)")
    for r in rows:
        for kind, label in (("harmmap", "HarmMap"), ("circlemarker", "naive CircleMarker"),
                            ("markercluster", "naive MarkerCluster")):
            d = r.get(kind)
            if d is None:
                continue
            rss = f"{d['rss'] / 2**20:,.0f} MB (peak {d['rss_peak'] / 2**20:,.0f} MB)" if d.get("rss") else "-"
            print(f"{r['n']:>10,} {label:<20} page->map cold {_sec(d, 'cold'):>22} warm {_sec(d, 'warm'):>22} "
                  f"| click->detail {_sec(d, 'click'):>22} | bytes/render "
                  f"{mb(d['warm_bytes']) if d.get('warm_bytes') else '-':>9} "
                  f"(map HTML {mb(d['warm_map_html']) if d.get('warm_map_html') else '-'}), "
                  f"click {mb(d['click_bytes']) if d.get('click_bytes') is not None else '-'} | server RSS {rss}")
    print("\nRatios")
    for r in rows:
        h = r["harmmap"]
        parts = []
        for k in ("cold", "warm"):
            if h.get(f"{k}_s") and base.get(f"{k}_s"):
                parts.append(f"page->map {k} {h[f'{k}_s'] / base[f'{k}_s']:.2f}x the 50-incident map")
        if h.get("click_s"):
            parts.append(f"click {h['click_s']:.2f} s ({'<' if h['click_s'] < 1 else '>='} 1 s)")
        for kind in ("circlemarker", "markercluster"):
            d = r.get(kind)
            if not d:
                continue
            for k, hk in (("cold", "cold"), ("click", "click")):
                if d.get(f"{k}_s") and h.get(f"{hk}_s"):
                    parts.append(f"{kind} {k} {d[f'{k}_s'] / h[f'{hk}_s']:.1f}x slower")
                elif h.get(f"{hk}_s"):
                    parts.append(f"{kind} {k}: {d.get(f'{k}_err') or d.get('cold_err') or 'not measured'}")
            if d.get("warm_bytes") and h.get("warm_bytes"):
                parts.append(f"{kind} bytes {d['warm_bytes'] / h['warm_bytes']:.1f}x")
        print(f"{r['n']:>10,}: " + "; ".join(parts))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--dir", default="/tmp/benchmap")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--naive-markers-max", type=int, default=10_000)
    ap.add_argument("--naive-heat-max", type=int, default=100_000)
    ap.add_argument("--browser", action="store_true", help="also time real Chromium from open to map drawn")
    ap.add_argument("--app", action="store_true", help="the real Streamlit app vs the naive app in Chromium")
    ap.add_argument("--no-static", action="store_true", help="skip the static-HTML part (with --app)")
    ap.add_argument("--naive-timeout", type=float, default=90.0, help="seconds per naive step before giving up")
    ap.add_argument("--naive-rss-gb", type=float, default=6.0, help="stop a naive server past this RSS")
    ap.add_argument("--naive-max", type=int, default=None, help="do not run the naive app above this size")
    ap.add_argument("--json", default=None, help="also write the app figures to this file")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    if a.app:
        app_rows = run_app_bench(sizes, Path(a.dir), a.naive_timeout, a.naive_rss_gb, a.naive_max)
        print_app(app_rows)
        if a.json:
            Path(a.json).write_text(json.dumps(app_rows, indent=1, default=str))
        if a.no_static:
            return 0
    rows = []
    for n in sizes:
        store = open_store(str(ensure_db(n, Path(a.dir))), read_only=True)
        total = store.count(Filters())
        (t_auto, (res, html_auto)) = timed(lambda s=store: harmmap_render(s), a.repeat)
        (t_heat, (_, html_heat)) = timed(lambda s=store: harmmap_render(s, "heat"), a.repeat)
        row = {"n": total, "mode": res.mode, "t_auto": t_auto, "b_auto": len(html_auto.encode()),
               "t_heat": t_heat, "b_heat": len(html_heat.encode())}
        df = None
        if total <= max(a.naive_markers_max, a.naive_heat_max):
            df = store.incidents(Filters(), columns=["geometry"])
        for kind, cap in (("circlemarker", a.naive_markers_max), ("markercluster", a.naive_markers_max),
                          ("heatmap", a.naive_heat_max)):
            if total <= cap:
                t, html = timed(lambda k=kind, d=df: naive_render(d, k), 1)
                row[f"t_{kind}"], row[f"b_{kind}"] = t, len(html.encode())
            else:
                row[f"t_{kind}"] = row[f"b_{kind}"] = None
        if a.browser:
            row["browser_auto"] = browser_time(html_auto)
            row["browser_heat"] = browser_time(html_heat)
        rows.append(row)
        store.close()
        print(f"{total:,}: done", flush=True)

    print("\nPython build time (s) and bytes of map HTML per render (tiles none, country view)")
    print(f"{'incidents':>10} {'HarmMap (mode)':>24} {'HarmMap heat':>22} {'CircleMarker':>22} "
          f"{'MarkerCluster':>22} {'folium HeatMap':>22}")
    for r in rows:
        def cell(t, b):
            return f"{t:7.2f}s {mb(b):>10}" if t is not None else f"{'skipped (cap)':>19}"
        print(f"{r['n']:>10,} {r['t_auto']:6.2f}s {mb(r['b_auto']):>9} ({r['mode'][:5]}) "
              f"{cell(r['t_heat'], r['b_heat']):>22} {cell(r['t_circlemarker'], r['b_circlemarker']):>22} "
              f"{cell(r['t_markercluster'], r['b_markercluster']):>22} {cell(r['t_heatmap'], r['b_heatmap']):>22}")
    print("\nRatios naive / HarmMap at the same size (time, bytes); HarmMap heat vs folium HeatMap")
    for r in rows:
        parts = []
        for kind, (t0, b0) in (("CircleMarker", (r["t_auto"], r["b_auto"])),
                               ("MarkerCluster", (r["t_auto"], r["b_auto"])),
                               ("HeatMap", (r["t_heat"], r["b_heat"]))):
            t, b = r[f"t_{kind.lower()}"], r[f"b_{kind.lower()}"]
            parts.append(f"{kind}: {t / t0:5.1f}x time, {b / b0:6.1f}x bytes" if t is not None
                         else f"{kind}: skipped (above cap)")
        print(f"{r['n']:>10,}  " + " | ".join(parts))
    if a.browser:
        small = store_50 = None
        with tempfile.TemporaryDirectory() as d:
            from harmmap.demo import ensure_demo_store

            store_50 = ensure_demo_store(str(Path(d) / "s50.duckdb"), n=50)
            small = browser_time(harmmap_render(store_50)[1])
            store_50.close()
        print(f"\nChromium, open -> map drawn (static HTML, local assets): 50 incidents {small:.2f}s")
        for r in rows:
            print(f"{r['n']:>10,}: HarmMap {r['mode']} {r['browser_auto']:.2f}s ({r['browser_auto'] / small:.2f}x "
                  f"the 50-incident map); heat {r['browser_heat']:.2f}s ({r['browser_heat'] / small:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
