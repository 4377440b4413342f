"""Benchmark the synthetic demo generator and the store write at scale.

Baseline: ``generate(25,000)`` measured in the same run. Prints seconds, rows/s and the per-row cost
ratio against the baseline for ``generate(N)``, for writing N rows to a DuckDB file through
``demo.build_store``, and peak memory.

    python bench/bench_demo.py                 # N = 1,000,000
    python bench/bench_demo.py --n 250000 --no-store
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harmmap import demo  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--no-store", action="store_true", help="skip the store write")
    args = ap.parse_args()

    base_n = demo.DEFAULT_N
    t0 = time.perf_counter()
    demo.generate(base_n)
    base = time.perf_counter() - t0
    print(f"baseline generate({base_n:,}): {base:.2f} s ({base_n / base:,.0f} rows/s)")

    t0 = time.perf_counter()
    gdf = demo.generate(args.n)
    gen = time.perf_counter() - t0
    ratio = (gen / args.n) / (base / base_n)
    print(f"generate({args.n:,}): {gen:.2f} s ({args.n / gen:,.0f} rows/s); per-row cost x{ratio:.2f} baseline")
    del gdf

    if not args.no_store:
        from harmmap.store import open_store

        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp) / "bench.duckdb")
            t0 = time.perf_counter()
            demo.build_store(store, n=args.n)
            total = time.perf_counter() - t0
            store.close()
        print(f"build_store({args.n:,}) into DuckDB: {total:.2f} s (generate + write); "
              f"x{total / base * base_n / args.n:.2f} baseline per row")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
