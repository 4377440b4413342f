"""``python -m harmmap demo``: (re)build the synthetic demo data set.

With ``--out FILE`` (``.parquet`` or ``.csv``) the rows are written to a file, byte-identical across
runs for the same ``--n`` and ``--seed``; otherwise they replace the demo rows of the store named by
``--db`` (default: ``$HARMMAP_DATABASE_URL``, else ``data/harmmap.duckdb``). ``--json`` prints
``{"rows", "db" or "out", "seconds", "seed"}``.

Example
-------
``python -m harmmap demo --n 1000000 --db /tmp/bench.duckdb --json``
"""

from __future__ import annotations

import json
import sys
import time

from harmmap import cli


def add_parser(sub):
    p = sub.add_parser("demo", help="(re)build the synthetic demo data set (store or file)",
                       description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("--n", type=int, default=None, metavar="N", help="number of incidents (default 25000)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default 20220224)")
    cli.add_db_arg(p)
    p.add_argument("--out", default=None, metavar="FILE", help="write a .parquet or .csv file instead of a store")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    return p


def run(args) -> int:
    from harmmap import demo

    n = demo.DEFAULT_N if args.n is None else args.n
    seed = demo.DEFAULT_SEED if args.seed is None else args.seed
    if n < 0:
        raise ValueError(f"--n must be 0 or more, not {n}")
    if args.out and args.db:
        raise ValueError("give either --db or --out, not both")
    t0 = time.perf_counter()
    if args.out:
        if not args.out.lower().endswith((".parquet", ".csv")):
            raise ValueError(f"--out {args.out}: use a .parquet or .csv file name")
        path = demo.write(args.out, n=n, seed=seed)
        where = {"out": str(path)}
        msg = f"wrote {n:,} synthetic incidents to {path}"
    else:
        from harmmap.store import open_store, resolve_url

        url = resolve_url(args.db)
        store = open_store(url)
        try:
            progress = None if args.json else _progress
            rows = demo.build_store(store, n=n, seed=seed, progress=progress)
        finally:
            store.close()
        where = {"db": _redact(url)}
        msg = f"wrote {rows:,} synthetic incidents to {_redact(url)}"
    seconds = round(time.perf_counter() - t0, 3)
    if args.json:
        print(json.dumps({"rows": n, **where, "seconds": seconds, "seed": seed}))
    else:
        print(f"{msg} in {seconds:.1f} s (seed {seed}; {demo.SYNTHETIC_NOTE})", file=sys.stderr)
    return 0


def _progress(frac: float, message: str) -> None:
    print(f"[{frac:4.0%}] {message}", file=sys.stderr)


def _redact(url: str) -> str:
    """Hide a password in a postgresql:// URL."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in cred else url
    return url
