"""Benchmark the store: ingest rate, and a dashboard page's aggregates pushed down to the engine
against the same work in pandas on a frame loaded in memory (the baseline, measured in the same run).

    python bench/bench_store.py --n 100000 --engine both
    python bench/bench_store.py --n 10000000 --keep /tmp/bench_10m.duckdb     # chunks of 1M rows
    python bench/bench_store.py --db /tmp/bench_10m.duckdb                    # the page again, no ingest
    python bench/bench_store.py --db URL --baseline no --floor                # and what the engine cannot go below

A "page" is what a filter change costs the dashboard: count, timeseries (week, by group),
counts_by admin1, hex_counts at resolution 5 and summary. PostgreSQL is $HARMMAP_TEST_POSTGRES_URL,
``--pg-url``, or a throwaway local cluster (tests/pg.py; settings such as a server's buffer cache can be added
with HARMMAP_TEST_PG_OPTS="-c shared_buffers=4GB").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harmmap import schema  # noqa: E402
from harmmap.query import Filters  # noqa: E402
from harmmap.store import open_store  # noqa: E402
from harmmap.taxonomy import load_taxonomy  # noqa: E402

OBLASTS = ["Kharkiv", "Donetsk", "Zaporizhzhia", "Kherson", "Mykolaiv", "Odesa", "Dnipropetrovsk", "Kyiv City",
           "Kyiv", "Sumy", "Chernihiv", "Luhansk", "Poltava", "Lviv"]


def synthetic(n: int, seed: int = 7, start: int = 0) -> pd.DataFrame:
    """Random canonical incidents (through schema.conform, so H3 cells are computed as at ingest).

    ``start`` numbers the ids, so that chunks of a large run (each with its own seed) do not collide.
    """
    rng = np.random.default_rng(seed)
    cats = np.array([c for c in load_taxonomy().categories if c != "unclassified"], dtype=object)
    day0 = np.datetime64("2022-02-24")
    k = rng.integers(0, 3, n)                      # 0, 1 or 2 categories
    picks = rng.integers(0, len(cats), (n, 2))
    one, two = cats[picks[:, 0]], cats[picks[:, 1]]
    categories = [[] if m == 0 else [a] if m == 1 else [a, b] for m, a, b in zip(k, one, two, strict=True)]
    fat = rng.poisson(1.0, n).astype(float)
    fat[rng.random(n) < 0.3] = np.nan
    df = pd.DataFrame({
        "incident_id": [f"bench:{i}" for i in range(start, start + n)],
        "source": rng.choice(["acled", "bellingcat", "cir"], n),
        "date": day0 + rng.integers(0, 1200, n).astype("timedelta64[D]"),
        "lon": rng.uniform(22.5, 40.0, n), "lat": rng.uniform(44.5, 52.3, n),
        "admin1": rng.choice(OBLASTS, n),
        "location": rng.choice(["Kharkiv", "Odesa", "Dnipro", "Kherson", "Sumy"], n),
        "description": rng.choice(["School hit by a missile", "Shelling of a residential area",
                                   "Strike on a power substation", "Hospital damaged"], n),
        "categories": categories,
        "category_confidence": rng.uniform(0, 1, n),
        "fatalities": pd.array(fat, dtype="Float64").astype("Int64"),
        "duplicate_of": np.where(rng.random(n) < 0.05, "bench:0", None),
    })
    return schema.conform(df)


def chunks(n: int, size: int):
    """(start, rows, seed) of each chunk of a run of ``n`` rows (one seed per chunk)."""
    for k, a in enumerate(range(0, n, size)):
        yield a, min(size, n - a), 7 + k


def page_filters() -> list[Filters]:
    return [
        Filters(),
        Filters(date_from=dt.date(2022, 10, 1), date_to=dt.date(2023, 3, 31)),
        Filters(categories=("energy", "water", "gas_heating"), admin1=("Kharkiv", "Odesa", "Kyiv City")),
        Filters(text="hospital", date_from=dt.date(2023, 1, 1)),
        Filters(bbox=(30.0, 46.0, 37.0, 50.0), categories=("education",)),
    ]


def page_engine(store, f: Filters) -> None:
    store.count(f)
    store.timeseries(f, freq="week", by="group")
    store.counts_by(f, "admin1")
    store.hex_counts(f, 5)
    store.summary(f)


def page_pandas(df: pd.DataFrame, f: Filters, groups: dict[str, str]) -> None:
    """The same page in pandas on a loaded frame (the baseline)."""
    m = np.ones(len(df), dtype=bool)
    if not f.include_duplicates:
        m &= df["duplicate_of"].isna().to_numpy()
    if f.date_from:
        m &= (df["date"] >= pd.Timestamp(f.date_from)).to_numpy()
    if f.date_to:
        m &= (df["date"] <= pd.Timestamp(f.date_to)).to_numpy()
    if f.admin1:
        m &= df["admin1"].isin(f.admin1).to_numpy()
    if f.categories:
        want = set(f.categories)
        m &= np.fromiter((bool(want.intersection(c)) for c in df["categories"]), bool, len(df))
    if f.text:
        t = f.text.lower()
        m &= (df["description"].str.lower().str.contains(t, regex=False).fillna(False)
              | df["location"].str.lower().str.contains(t, regex=False).fillna(False)).to_numpy()
    if f.bbox:
        x0, y0, x1, y1 = f.bbox
        m &= df["lon"].between(x0, x1).to_numpy() & df["lat"].between(y0, y1).to_numpy()
    d = df[m]
    _ = len(d)
    cats = d[["incident_id", "date", "categories", "fatalities", "h3_r5"]].explode("categories")
    cats["categories"] = cats["categories"].fillna("unclassified")
    cats["group"] = cats["categories"].map(groups).fillna("other")
    cats["period"] = cats["date"].dt.to_period("W-SUN").dt.start_time
    g = cats.drop_duplicates(["incident_id", "group"])
    g.groupby(["period", "group"]).agg(incidents=("incident_id", "size"), fatalities=("fatalities", "sum"))
    d.groupby("admin1").agg(incidents=("incident_id", "size"), fatalities=("fatalities", "sum"))
    hx = d.groupby("h3_r5").agg(incidents=("incident_id", "size"), fatalities=("fatalities", "sum"))
    top = cats.groupby(["h3_r5", "categories"]).size().reset_index(name="n").sort_values(
        ["h3_r5", "n"], ascending=[True, False]).drop_duplicates("h3_r5")
    hx.join(top.set_index("h3_r5"))
    _ = (len(d), d["fatalities"].sum(), d["admin1"].nunique(), d["date"].min(), d["date"].max(),
         d["lon"].min(), d["lat"].min(), d["lon"].max(), d["lat"].max())


def timed(fn, repeat: int = 3) -> tuple[float, float, float]:
    """(first call, median of the next ``repeat``, CPU seconds of this process in the first call):
    the first is what a filter change costs. The CPU time (DuckDB works in this process; not
    PostgreSQL) does not depend on what else the machine runs: on an idle 2-core machine the wall
    time is about half of it."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    first, cpu = time.perf_counter() - t, time.process_time() - c
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return first, statistics.median(times), cpu


def rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


#: What the baseline loads into pandas: the columns the page's filters and aggregates read.
BASELINE_COLUMNS = ["incident_id", "source", "date", "lon", "lat", "admin1", "location", "description",
                    "categories", "fatalities", "duplicate_of", "h3_r5"]


def floor(store, engine: str, n: int) -> dict:
    """What the engine cannot go below on this machine, on the relation the page's aggregates read
    (PostgreSQL: the narrow copy ``incident_facts``; DuckDB: ``incidents``): a bare count of the rows, a count
    under the default filter (duplicates left out), and one grouped count by oblast and by hexagon (resolution 5)
    without any of the page's other aggregates. A page groups the rows three ways (oblast, week x categories,
    hexagon), so a page that reads the rows costs at least about three of the grouped counts.

    Then the size of an exact pre-aggregated table that could answer the page's usual filters (dates, oblasts,
    sources, categories, duplicates) instead of the rows: one row per (week, oblast, source, categories,
    duplicate or not), and the same per hexagon for the map. Such a table helps only if it is much smaller than
    the rows it stands for."""
    src = store._agg_src(Filters())
    week = store.dialect.trunc("week", "v.date")
    queries = {
        "count(*)": f"SELECT count(*) AS n FROM {src}",
        "count(*) of non-duplicates": f"SELECT count(*) AS n FROM {src} WHERE v.duplicate_of IS NULL",
        "count(*) by oblast": f"SELECT v.admin1, count(*) AS n FROM {src} WHERE v.duplicate_of IS NULL GROUP BY 1",
        "count(*) by hexagon": f"SELECT v.h3_r5, count(*) AS n FROM {src} WHERE v.duplicate_of IS NULL GROUP BY 1",
    }
    out = {}
    for name, sql in queries.items():
        first, again, _ = timed(lambda sql=sql: store._fetch(sql, []))
        out[name] = (first, again)
    keys = f"{week}, v.admin1, v.source, v.eff_mask, v.duplicate_of IS NULL"
    sizes = {label: int(store._fetch(f"SELECT count(*) AS n FROM (SELECT 1 AS x FROM {src} GROUP BY {k}) g",
                                     [])["n"].iloc[0])
             for label, k in (("week", keys), ("week x hexagon", f"{keys}, v.h3_r5"))}
    ob, hx = out["count(*) by oblast"][1], out["count(*) by hexagon"][1]
    three = ob + hx + min(ob, hx)       # the third grouping (week x categories) costs at least the cheaper one
    print(f"[{engine}] floor on {n:,} rows ({src.split()[0]}; first call / median of the next three): "
          + "; ".join(f"{k} {a:.3f} / {b:.3f} s" for k, (a, b) in out.items())
          + f". Three grouped counts, as a page needs, take at least {three:.2f} s before any of its "
          f"other aggregates", flush=True)
    print(f"[{engine}] an exact pre-aggregated table for the usual filters would hold "
          + "; ".join(f"per {k}: {v:,} rows ({v / max(n, 1):.0%} of the rows)" for k, v in sizes.items()), flush=True)
    return {"floor_count": out["count(*)"][1], "floor_grouped_oblast": out["count(*) by oblast"][1],
            "floor_grouped_hex": out["count(*) by hexagon"][1], "rollup_week_rows": sizes["week"],
            "rollup_hex_rows": sizes["week x hexagon"]}


def ingest(store, n: int, chunk: int) -> tuple[float, float]:
    """Write ``n`` synthetic rows in chunks; (seconds spent in the store, seconds generating)."""
    spent = gen = 0.0
    for a, m, seed in chunks(n, chunk):
        t = time.perf_counter()
        gdf = synthetic(m, seed=seed, start=a)
        gen += time.perf_counter() - t
        t = time.perf_counter()
        store.write_incidents(gdf, f"bench{a}" if a else "bench", synthetic=True)
        spent += time.perf_counter() - t
        del gdf
        if n > chunk:
            print(f"  wrote {a + m:,} of {n:,} rows ({(a + m) / spent:,.0f} rows/s so far; "
                  f"RSS {current_rss_mb():,.0f} MB)", flush=True)
    return spent, gen


def run_engine(engine: str, n: int, url: str, groups: dict[str, str], chunk: int, baseline: str,
               existing: bool = False, floor_too: bool = False) -> dict:
    store = open_store(url)
    if existing:           # --db: time the page on a store that is already filled
        n = store.count(Filters(include_duplicates=True))
        out = {"engine": engine, "n": n}
        print(f"[{engine}] {url}: {n:,} rows already there", flush=True)
    else:
        spent, gen = ingest(store, n, chunk)
        out = {"engine": engine, "n": n, "ingest_rows_s": n / spent}
        print(f"[{engine}] ingest {n:,} rows: {spent:.1f} s in the store = {n / spent:,.0f} rows/s "
              f"(+ {gen:.1f} s generating them)", flush=True)
        m = min(n, chunk)
        again = synthetic(m, seed=7, start=0)
        t = time.perf_counter()
        store.write_incidents(again, "bench", synthetic=True)
        up = time.perf_counter() - t
        del again
        print(f"[{engine}] re-ingest (upsert of {m:,} existing rows): {up:.2f} s = {m / up:,.0f} rows/s",
              flush=True)
    filters = page_filters()
    page_engine(store, Filters(date_from=dt.date(2022, 3, 1)))  # warm up (connection, caches of the file)
    eng = [timed(lambda f=f: page_engine(store, f)) for f in filters]
    first = [e[0] for e in eng]
    again_t = [e[1] for e in eng]
    cpu = [e[2] for e in eng]
    out.update(page_first_median=statistics.median(first), page_first_max=max(first),
               page_repeat_median=statistics.median(again_t), page_cpu_median=statistics.median(cpu),
               load_avg=os.getloadavg()[0])
    print(f"[{engine}] page aggregates after a filter change (first call per filter): "
          f"median {statistics.median(first):.3f} s, max {max(first):.3f} s over {len(filters)} filters "
          f"({', '.join(f'{x:.3f}' for x in first)}); same filter again: median {statistics.median(again_t):.3f} s; "
          f"CPU of this process per first page: median {statistics.median(cpu):.3f} s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; peak RSS so far {rss_mb():,.0f} MB", flush=True)
    if floor_too:
        out.update(floor(store, engine, n))
    if baseline == "no" or (baseline == "auto" and n > 2_000_000):
        print(f"[{engine}] baseline (the table in pandas) not run at {n:,} rows (--baseline yes to force); "
              f"see the 1M run for its memory per million rows", flush=True)
        store.close()
        return out
    t = time.perf_counter()
    df = store.incidents(Filters(include_duplicates=True), columns=BASELINE_COLUMNS)
    load = time.perf_counter() - t
    held = df.memory_usage(deep=True).sum() / 2**20
    pan = [timed(lambda f=f: page_pandas(df, f, groups), repeat=1)[0] for f in filters]
    out.update(baseline_load_s=load, baseline_page_median=statistics.median(pan), baseline_mb=held,
               ratio=statistics.median(pan) / statistics.median(first))
    print(f"[{engine}] baseline: load the page's columns into pandas {load:.2f} s (the frame holds {held:,.0f} MB), "
          f"then the page in pandas: median {statistics.median(pan):.3f} s", flush=True)
    print(f"[{engine}] ratio pandas / engine (page, median): {out['ratio']:.1f}x"
          f"; first page with pandas incl. load: {(load + pan[0]) / first[0]:.1f}x slower; "
          f"peak RSS {rss_mb():,.0f} MB", flush=True)
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--engine", choices=["duckdb", "postgis", "both", "none"], default="duckdb")
    p.add_argument("--pg-url", default=None)
    p.add_argument("--chunk", type=int, default=1_000_000, help="rows generated and written at a time")
    p.add_argument("--baseline", choices=["auto", "yes", "no"], default="auto",
                   help="load the table into pandas for the baseline (auto: up to 2M rows)")
    p.add_argument("--keep", default=None, help="keep the DuckDB store at this path (e.g. for "
                   "bench/bench_dashboard_memory.py) instead of a temporary file")
    p.add_argument("--keep-schema", default=None, help="PostgreSQL: fill this schema and keep it (default: a "
                   "throwaway schema dropped at the end); time it again with --db URL?options=-csearch_path%%3DNAME")
    p.add_argument("--db", default=None, help="skip the ingest: time the page (and the baseline) on this "
                   "existing store (a DuckDB file made with --keep, or a postgresql:// URL)")
    p.add_argument("--floor", action="store_true", help="also time what the engine cannot go below here (a bare "
                   "count, one grouped count) and the size of an exact pre-aggregated table (see floor())")
    args = p.parse_args(argv)
    tax = load_taxonomy()
    groups = {c: cat.group for c, cat in tax.categories.items()}
    results = []
    if args.db:
        engine = "postgis" if args.db.startswith("postgres") else "duckdb"
        results.append(run_engine(engine, 0, args.db, groups, args.chunk, args.baseline, existing=True,
                                  floor_too=args.floor))
        args.engine = "none"
    if args.engine in ("duckdb", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            path = args.keep or str(Path(tmp) / "bench.duckdb")
            if args.keep and Path(path).exists():
                Path(path).unlink()
            results.append(run_engine("duckdb", args.n, path, groups, args.chunk, args.baseline,
                                      floor_too=args.floor))
    if args.engine in ("postgis", "both"):
        url = args.pg_url
        if not url:
            sys.path.insert(0, str(ROOT / "tests"))
            import pg

            url = pg.postgres_url()
        import psycopg

        schema_name = args.keep_schema or "harmmap_bench"
        if not schema_name.isidentifier():
            p.error(f"--keep-schema {schema_name!r}: use letters, digits and _")
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")
            con.execute(f"CREATE SCHEMA {schema_name}")
        sep = "&" if "?" in url else "?"
        results.append(run_engine("postgis", args.n, f"{url}{sep}options=-csearch_path%3D{schema_name},public",
                                  groups, args.chunk, args.baseline, floor_too=args.floor))
        if not args.keep_schema:
            with psycopg.connect(url, autocommit=True) as con:
                con.execute(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")
    for r in results:
        print("RESULT " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
