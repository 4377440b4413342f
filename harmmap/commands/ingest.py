"""`python -m harmmap ingest FILE [FILE ...]`: read, enrich, link duplicates and store incident files.

Contract (kept for users' scripts): ``--format auto|acled|timemap|table``, ``--source NAME``,
``--db URL`` (DuckDB path or postgresql:// URL; default $HARMMAP_DATABASE_URL, else the embedded
file), ``--json`` prints ONE JSON object ``{"files": [{"path", "format", "read", "loaded",
"rejected", "linked_duplicates", "reasons": {reason: count}, ...}]}``. A TimeMap folder is one FILE.
Errors exit with status 2 and a message naming the file.
"""

from __future__ import annotations

import json
import sys

from harmmap.cli import add_db_arg


def add_parser(sub):
    p = sub.add_parser("ingest", help="load incident files (ACLED, TimeMap, tables, GIS) into the store",
                       description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", metavar="FILE", help="files to load (a TimeMap export folder is one FILE)")
    p.add_argument("--format", dest="fmt", default="auto", choices=("auto", "acled", "timemap", "table"))
    p.add_argument("--source", default=None, metavar="NAME", help="data set name (default: from the file)")
    add_db_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object with a report per file")
    p.add_argument("--rejects", default=None, metavar="DIR", help="folder for rejected rows (default data/rejects/)")
    p.add_argument("--mapping", default=None, metavar="JSON|FILE",
                   help='column mapping for tables, e.g. \'{"fields": {"date": ["Коли"], "lat": ["Y"], "lon": ["X"]}}\'')
    p.add_argument("--date-order", default=None, choices=("auto", "dmy", "mdy"),
                   help="how to read NN/NN/YYYY dates in tables (default: decided per column)")
    p.add_argument("--no-classify", action="store_true", help="store without classifying")
    return p


def run(args) -> int:
    from pathlib import Path

    from harmmap.ingest import ingest_file
    from harmmap.io.common import ReadError
    from harmmap.store import StoreError, open_store

    mapping = None
    if args.mapping:
        text = Path(args.mapping).read_text(encoding="utf-8") if Path(args.mapping).is_file() else args.mapping
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as exc:
            print(f"harmmap ingest: error: --mapping is not JSON: {exc}", file=sys.stderr)
            return 2
    try:
        store = open_store(args.db)
    except StoreError as exc:
        print(f"harmmap ingest: error: {exc}", file=sys.stderr)
        return 2
    reports, status = [], 0
    opts = {"date_order": args.date_order} if args.date_order else {}
    try:
        for f in args.files:
            try:
                r = ingest_file(f, store, fmt=args.fmt, source=args.source, mapping=mapping,
                                rejects_dir=args.rejects, classify=not args.no_classify, **opts)
            except (ReadError, FileNotFoundError, ValueError, StoreError, OSError, RuntimeError) as exc:
                msg = str(exc) if str(f) in str(exc) else f"{f}: {exc}"
                print(f"harmmap ingest: error: {msg}", file=sys.stderr)
                reports.append({"path": str(f), "error": msg})
                status = 2
                continue
            reports.append(r)
            if not args.json:
                _print_report(r)
    finally:
        try:
            store.close()
        except Exception:  # noqa: BLE001
            pass
    if args.json:
        keep = ("path", "format", "source", "read", "loaded", "rejected", "linked_duplicates", "reasons",
                "written", "rejects_file", "warnings", "admin1_disagreements_count", "non_point_geometries",
                "error")
        print(json.dumps({"files": [{k: r[k] for k in keep if k in r} for r in reports]}, ensure_ascii=False))
    return status


def _print_report(r: dict) -> None:
    reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items()) or "none"
    print(f"{r['path']} ({r['format']}, source {r.get('source')}): read {r['read']}, loaded {r['loaded']}, "
          f"rejected {r['rejected']} ({reasons}), linked duplicates {r['linked_duplicates']}")
    if r.get("rejects_file"):
        print(f"  rejected rows: {r['rejects_file']}")
    if r.get("admin1_disagreements_count"):
        print(f"  {r['admin1_disagreements_count']} row(s) name a different oblast than where they lie "
              "(the location was used)")
    for w in r.get("warnings", []):
        print(f"  warning: {w}")
