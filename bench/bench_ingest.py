"""Ingest benchmark: ACLED-shaped rows (synthetic, made here; never the licensed file) at 100k and
1M rows. Measures rows/s for read (harmmap.io.acled.read: parsing, checks, rejects), enrich
(regions, classifier, H3) and write (DuckDB in memory), and the peak memory of each size, against
a naive baseline measured in the same run: pandas.read_csv + a shapely Point per row in a loop.

Usage::

    python bench/bench_ingest.py                  # 100k and 1M rows
    python bench/bench_ingest.py --sizes 20000    # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OBLASTS = ["Kharkiv", "Donetsk", "Zaporizhia", "Kherson", "Sumy", "Kyiv City", "Odesa", "Mykolaiv"]
CENTRES = [(49.99, 36.23), (48.0, 37.8), (47.84, 35.14), (46.64, 32.61), (50.91, 34.8), (50.45, 30.52),
           (46.48, 30.73), (46.97, 32.0)]


def synthetic_acled(n: int, seed: int = 7) -> pd.DataFrame:
    """A synthetic frame with ACLED's 33 columns (values invented; a few bad rows on purpose)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, len(OBLASTS), n)
    lat = np.array([CENTRES[i][0] for i in k]) + rng.normal(0, 0.2, n)
    lon = np.array([CENTRES[i][1] for i in k]) + rng.normal(0, 0.2, n)
    days = pd.Timestamp("2022-02-24") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    date = days.strftime("%d/%m/%Y 00:00:00").to_numpy(dtype=object)
    bad = rng.random(n)
    date[bad < 0.002] = ""                            # no date
    lat_s = np.round(lat, 4).astype(str).astype(object)
    lat_s[(bad > 0.5) & (bad < 0.501)] = ""           # no coordinates
    ids = np.array([f"UKR{i}" for i in range(n)], dtype=object)
    subs = np.array(["Shelling/artillery/missile attack", "Air/drone strike", "Armed clash"])[rng.integers(0, 3, n)]
    notes = np.array(["On a day, Russian forces shelled a school and houses.",
                      "Drone strike hit a power substation; no casualties reported.",
                      "Artillery hit a hospital courtyard, two civilians injured."])[rng.integers(0, 3, n)]
    return pd.DataFrame({
        "id": np.arange(n), "iso": 804, "event_id_cnty": ids, "event_date": date, "year": days.year,
        "time_precision": rng.choice([1, 1, 1, 2], n), "event_type": "Explosions/Remote violence",
        "sub_event_type": subs, "actor1": "Military Forces of Russia (2000-)", "assoc_actor_1": "", "inter1": 8,
        "actor2": "", "assoc_actor_2": "", "inter2": 0, "interaction": 80, "region": "Europe", "country": "Ukraine",
        "admin1": np.array(OBLASTS)[k], "admin2": "", "admin3": "", "location": "Somewhere",
        "latitude": lat_s, "longitude": np.round(lon, 4), "source_scale": "National", "notes": notes,
        "fatalities": rng.poisson(0.3, n), "timestamp": 1700000000, "geo_precision": rng.choice([1, 2, 3], n),
        "source": "Suspilne Media; Ukrinform", "civilian_targeting": np.where(rng.random(n) < 0.1,
                                                                              "Civilian targeting", ""),
        "disorder_type": "Political violence", "tags": "", "actor_dyad": "Military Forces of Russia (2000-) - "})


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(n: int) -> dict:
    """Run one size in this process (called in a child process so peak memory is per size)."""
    import shapely

    from harmmap.enrich import enrich
    from harmmap.io import acled
    from harmmap.store import open_store

    os.environ["HARMMAP_BOUNDARIES_DIR"] = tempfile.mkdtemp()      # names only: no polygon lookup
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "acled.csv"
        synthetic_acled(n).to_csv(p, index=False)
        base_mem = peak_mb()
        t = time.perf_counter()
        df = pd.read_csv(p)
        pts = [shapely.Point(lo, la) for lo, la in zip(df["longitude"], df["latitude"], strict=False)]
        t_base = time.perf_counter() - t
        del df, pts
        t = time.perf_counter()
        r = acled.read(p)
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        g = enrich(r.incidents, boundaries=False)
        t_enrich = time.perf_counter() - t
        store = open_store(":memory:")
        t = time.perf_counter()
        store.write_incidents(g, "bench")
        t_write = time.perf_counter() - t
        return {"rows": n, "loaded": r.report["loaded"], "rejected": r.report["rejected"],
                "baseline_s": t_base, "read_s": t_read, "enrich_s": t_enrich, "write_s": t_write,
                "peak_mb": peak_mb(), "start_mb": base_mem}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print(f"{'rows':>9} {'read r/s':>10} {'enrich r/s':>11} {'write r/s':>10} {'naive r/s':>10} "
          f"{'read/naive':>10} {'peak MB':>8}")
    for n in (int(x) for x in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True)
        if out.returncode:
            print(f"{n:>9} failed: {out.stderr.strip().splitlines()[-1]}")
            continue
        m = json.loads(out.stdout.strip().splitlines()[-1])
        rate = {k: n / m[f"{k}_s"] for k in ("read", "enrich", "write", "baseline")}
        print(f"{n:>9} {rate['read']:>10,.0f} {rate['enrich']:>11,.0f} {rate['write']:>10,.0f} "
              f"{rate['baseline']:>10,.0f} {m['baseline_s'] / m['read_s']:>10.2f} {m['peak_mb']:>8,.0f}")
        print(f"{'':>9} loaded {m['loaded']:,}, rejected {m['rejected']:,}; read+enrich+write "
              f"{m['read_s'] + m['enrich_s'] + m['write_s']:.1f} s vs naive read {m['baseline_s']:.1f} s "
              f"(the naive one checks nothing)")


if __name__ == "__main__":
    main()
