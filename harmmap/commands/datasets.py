"""``python -m harmmap datasets list|delete``: the loaded data sets, and deleting one (an admin's task).

Contract: ``datasets list [--db URL] [--json]`` prints one line per data set (name, rows, loaded, file,
synthetic), or with ``--json`` ONE JSON array of ``{"dataset", "file", "loaded_at", "rows", "synthetic",
"sha256"}``. ``datasets delete NAME [--db URL] [--user NAME] [--reason TEXT] [--yes] [--json]`` deletes the
data set in one transaction: its incidents, and the analysts' overrides of them (each removal recorded in
the audit trail, which is never deleted); other data sets' duplicates of its incidents are relinked. It asks
before deleting unless ``--yes`` (required when stdin is not a terminal); ``--json`` prints ONE JSON object
``{"dataset", "incidents", "overrides", "relinked"}``. An unknown name or an unreachable store exits with
status 2 and a message.
"""

from __future__ import annotations

import json
import sys

from harmmap.auth import local_user
from harmmap.cli import add_db_arg


def add_parser(sub):
    p = sub.add_parser("datasets", help="list the loaded data sets, or delete one",
                       description=__doc__.splitlines()[0])
    s = p.add_subparsers(dest="action", required=True)
    ls = s.add_parser("list", help="the loaded data sets")
    add_db_arg(ls)
    ls.add_argument("--json", action="store_true", help="print one JSON array")
    d = s.add_parser("delete", help="delete a data set, its incidents and their overrides (audited)")
    d.add_argument("name", help="the data set's name (as `datasets list` shows it)")
    add_db_arg(d)
    d.add_argument("--user", default=None, help="who deletes, for the audit trail (default: $HARMMAP_USER or "
                                                 "the login name)")
    d.add_argument("--reason", default="", help="why, for the audit trail")
    d.add_argument("--yes", action="store_true", help="do not ask")
    d.add_argument("--json", action="store_true", help='print {"dataset", "incidents", "overrides", "relinked"}')
    return p


def run(args) -> int:
    from harmmap.export import datasets_frame
    from harmmap.store import StoreError, open_store

    def fail(msg) -> int:
        print(f"harmmap datasets: error: {msg}", file=sys.stderr)
        return 2

    try:
        store = open_store(args.db)
    except StoreError as exc:
        return fail(exc)
    try:
        ds = datasets_frame(store)
        if args.action == "list":
            recs = ds.astype(object).where(ds.notna(), None).to_dict("records")
            if args.json:
                rows = [{"dataset": str(r["dataset"]), "file": r["file"] and str(r["file"]),
                         "loaded_at": r["loaded_at"].isoformat() if r["loaded_at"] is not None else None,
                         "rows": int(r["rows"]), "synthetic": bool(r["synthetic"]),
                         "sha256": r["sha256"] and str(r["sha256"])} for r in recs]
                print(json.dumps(rows, ensure_ascii=False))
            else:
                for r in recs:
                    loaded = f"{r['loaded_at']:%Y-%m-%d %H:%M} UTC" if r["loaded_at"] is not None else "?"
                    print(f"{r['dataset']}\t{int(r['rows']):,} rows\tloaded {loaded}\t{r['file'] or ''}"
                          f"{'  (synthetic)' if r['synthetic'] else ''}")
            return 0
        known = ds[ds["dataset"] == args.name]
        if known.empty:
            names = ", ".join(ds["dataset"].astype(str)) or "none loaded"
            return fail(f"no data set named {args.name!r} (data sets: {names})")
        rows = int(known["rows"].iloc[0])
        if not args.yes:
            if not sys.stdin.isatty():
                return fail("deleting needs --yes when not run from a terminal")
            answer = input(f"Delete data set {args.name!r} ({rows:,} incidents) and the overrides of its incidents? "
                           "[y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return 1
        out = store.delete_dataset(args.name, user=local_user(args.user, default="unknown"), reason=args.reason)
    except StoreError as exc:
        return fail(exc)
    finally:
        try:
            store.close()
        except Exception:  # noqa: BLE001
            pass
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"Deleted data set {out['dataset']!r}: {out['incidents']:,} incidents, {out['overrides']:,} "
              f"override(s) removed (kept in the audit trail), {out['relinked']:,} duplicate(s) relinked.")
    return 0
