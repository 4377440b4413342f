"""Benchmark the store: ingest rate, and a dashboard page's aggregates pushed down to the engine
against the same work in pandas on a frame loaded in memory (the baseline, measured in the same run).

    python bench/bench_store.py --n 100000 --engine both

A "page" is what a filter change costs the dashboard: count, timeseries (week, by group),
counts_by admin1, hex_counts at resolution 5 and summary. PostgreSQL is $HARMMAP_TEST_POSTGRES_URL,
``--pg-url``, or a throwaway local cluster (tests/pg.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
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


def synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    """Random canonical incidents (through schema.conform, so H3 cells are computed as at ingest)."""
    rng = np.random.default_rng(seed)
    cats = [c for c in load_taxonomy().categories if c != "unclassified"]
    start = np.datetime64("2022-02-24")
    k = rng.integers(0, 3, n)                      # 0, 1 or 2 categories
    picks = rng.integers(0, len(cats), (n, 2))
    categories = [[cats[picks[i, j]] for j in range(k[i])] for i in range(n)]
    fat = rng.poisson(1.0, n).astype(float)
    fat[rng.random(n) < 0.3] = np.nan
    df = pd.DataFrame({
        "incident_id": [f"bench:{i}" for i in range(n)],
        "source": rng.choice(["acled", "bellingcat", "cir"], n),
        "date": start + rng.integers(0, 1200, n).astype("timedelta64[D]"),
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


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(engine: str, gdf, url: str, groups: dict[str, str]) -> None:
    store = open_store(url)
    n = len(gdf)
    t = time.perf_counter()
    store.write_incidents(gdf, "bench", synthetic=True)
    ingest = time.perf_counter() - t
    print(f"[{engine}] ingest {n:,} rows: {ingest:.2f} s = {n / ingest:,.0f} rows/s")
    t = time.perf_counter()
    store.write_incidents(gdf, "bench", synthetic=True)
    print(f"[{engine}] re-ingest (upsert of {n:,} existing rows): {time.perf_counter() - t:.2f} s")
    filters = page_filters()
    page_engine(store, filters[0])  # warm up
    eng = [timed(lambda f=f: page_engine(store, f)) for f in filters]
    print(f"[{engine}] page aggregates after a filter change: median {statistics.median(eng):.3f} s "
          f"(max {max(eng):.3f} s over {len(filters)} filters); peak RSS so far {rss_mb():,.0f} MB")
    t = time.perf_counter()
    df = store.incidents(Filters(include_duplicates=True))
    load = time.perf_counter() - t
    pan = [timed(lambda f=f: page_pandas(df, f, groups)) for f in filters]
    print(f"[{engine}] baseline: load the whole table into pandas {load:.2f} s, then the page in pandas: "
          f"median {statistics.median(pan):.3f} s")
    print(f"[{engine}] ratio pandas / engine (page, median): {statistics.median(pan) / statistics.median(eng):.1f}x"
          f"; first page with pandas incl. load: {(load + pan[0]) / eng[0]:.1f}x slower; "
          f"peak RSS {rss_mb():,.0f} MB")
    store.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--engine", choices=["duckdb", "postgis", "both"], default="duckdb")
    p.add_argument("--pg-url", default=None)
    args = p.parse_args(argv)
    t = time.perf_counter()
    gdf = synthetic(args.n)
    print(f"generated {len(gdf):,} synthetic rows in {time.perf_counter() - t:.1f} s; RSS {rss_mb():,.0f} MB")
    tax = load_taxonomy()
    groups = {c: cat.group for c, cat in tax.categories.items()}
    if args.engine in ("duckdb", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            run_engine("duckdb", gdf, str(Path(tmp) / "bench.duckdb"), groups)
    if args.engine in ("postgis", "both"):
        url = args.pg_url
        if not url:
            sys.path.insert(0, str(ROOT / "tests"))
            import pg

            url = pg.postgres_url()
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("DROP SCHEMA IF EXISTS harmmap_bench CASCADE")
            con.execute("CREATE SCHEMA harmmap_bench")
        sep = "&" if "?" in url else "?"
        run_engine("postgis", gdf, f"{url}{sep}options=-csearch_path%3Dharmmap_bench,public", groups)
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("DROP SCHEMA IF EXISTS harmmap_bench CASCADE")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
