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

Run: ``python bench/bench_map.py [--sizes 10000,100000,1000000] [--dir /tmp/benchmap] [--browser]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--dir", default="/tmp/benchmap")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--naive-markers-max", type=int, default=10_000)
    ap.add_argument("--naive-heat-max", type=int, default=100_000)
    ap.add_argument("--browser", action="store_true", help="also time real Chromium from open to map drawn")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s]
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
