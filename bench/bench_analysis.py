"""Benchmark harmmap.analysis at 100k and 1M synthetic incidents (seconds, peak memory).

Each analysis is timed once per size (untraced), its peak memory is tracemalloc's peak in a
second run (numpy buffers included), and,
where one makes sense, compared with a naive baseline measured in the same run:

- resample: a Python row loop over a dict (on a 20k subsample, extrapolated linearly);
- spikes: a per-series, per-week Python loop computing the same surge rule and Poisson test;
- repeats: O(n^2) pairwise distances on a 5k subsample, extrapolated by (n / 5k)^2;
- waves, hot spots, emerging hot spots, compare: no naive baseline (reported as seconds only).

Run: ``python bench/bench_analysis.py [--sizes 100000 1000000]``
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harmmap import analysis  # noqa: E402
from harmmap.analysis._common import cat_lists  # noqa: E402
from harmmap.analysis.repeats import project_m  # noqa: E402
from harmmap.analysis.synth import BBOX, null_incidents  # noqa: E402


def measure(fn, memory=True):
    """Seconds of an untraced run, and tracemalloc's peak in a second (traced) run."""
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = np.nan
    if memory:
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return out, dt, peak / 2**20


def naive_resample(df):
    counts = {}
    for d, cats in zip(df["date"], df["categories"], strict=True):
        wk = (d - pd.Timedelta(days=d.weekday())).date()
        for c in set(cats):
            counts[(wk, c)] = counts.get((wk, c), 0) + 1
    return counts


def naive_spikes(df):
    d = df["date"] - pd.to_timedelta(df["date"].dt.day_of_week, unit="D")
    series = {}
    for a, w, cats in zip(df["admin1"], d, cat_lists(df), strict=True):
        for c in cats:
            series.setdefault((a, c), {}).setdefault(w, 0)
            series[(a, c)][w] += 1
    weeks = pd.date_range(d.min(), d.max(), freq="W-MON")
    out = []
    for _key, s in series.items():
        x = [s.get(w, 0) for w in weeks]
        for t in range(8, len(x)):
            m4 = sum(x[t - 4:t]) / 4
            s8 = sum(x[t - 8:t])
            p = stats.binom.sf(x[t] - 1, x[t] + s8, 1 / 9) if x[t] else 1.0
            out.append((x[t] >= 2 * m4 and x[t] >= 5, p))
    return out


def naive_pairs(df, r=150.0):
    x, y = project_m(df["lon"].to_numpy(), df["lat"].to_numpy())
    n = len(x)
    close = 0
    for i in range(n):
        dx = x[i + 1:] - x[i]
        dy = y[i + 1:] - y[i]
        close += int((dx * dx + dy * dy <= r * r).sum())
    return close


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args(argv)
    area = {r: analysis.hotspots.area_cells(BBOX, r) for r in (5, 6)}
    rows = []
    for n in args.sizes:
        t0 = time.perf_counter()
        df = null_incidents(n, seed=1, days=730, h3=True)
        print(f"\n== {n:,} incidents (generated in {time.perf_counter() - t0:.1f}s)", flush=True)
        cases = [
            ("resample W x group", lambda df=df: analysis.resample(df, "W", "group", rolling=4),
             lambda sub: naive_resample(sub), 20_000, 1),
            ("spikes oblast x category", lambda df=df: analysis.detect_spikes(df),
             lambda sub: naive_spikes(sub), 20_000, 1),
            ("waves utilities", lambda df=df: analysis.detect_waves(df, "utilities"), None, 0, 0),
            ("repeats 150 m / 30 d", lambda df=df: analysis.detect_repeats(df, 150, 30),
             lambda sub: naive_pairs(sub), 5_000, 2),
            ("getis_ord r6 (Gi*, analytic)", lambda df=df: analysis.getis_ord(df, 6, area=area[6]), None, 0, 0),
            ("emerging r5 monthly", lambda df=df: analysis.emerging_hotspots(df, 5, "M", area=area[5]), None, 0, 0),
            ("compare oblast x category", lambda df=df: analysis.compare(df), None, 0, 0),
        ]
        for name, fn, naive, sub_n, power in cases:
            _, sec, mem = measure(fn)
            line = f"{name:32s} {sec:8.2f} s  peak {mem:8.0f} MiB"
            ratio = np.nan
            if naive is not None:
                sub = df.sample(sub_n, random_state=0)
                _, nsec, _ = measure(lambda sub=sub, naive=naive: naive(sub), memory=False)
                est = nsec * (n / sub_n) ** power
                ratio = est / sec
                line += f"  naive ~{est:9.1f} s (measured {nsec:.2f}s on {sub_n:,}, x(n/{sub_n:,})^{power})  speed-up {ratio:7.1f}x"
            print(line, flush=True)
            rows.append({"n": n, "analysis": name, "seconds": sec, "peak_mib": mem, "speedup_vs_naive": ratio})
    print("\n" + pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
