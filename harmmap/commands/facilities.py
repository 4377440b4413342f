"""``python -m harmmap facilities load FILE[:CATEGORY] ... | list | remove NAME``: known facilities used as
proximity evidence by the classifier (at ingest and by ``classify --all``) and drawn on the map.

Examples::

    python -m harmmap facilities load ../shared/datasets/infrastructure/global_power_plant_database_ukraine.csv:energy
    python -m harmmap facilities load health_points.geojson:health --json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser("facilities", help="configure known facilities (proximity evidence, map layer)",
                       description=__doc__.splitlines()[0])
    s = p.add_subparsers(dest="action", required=True)
    ld = s.add_parser("load", help="store a points file of facilities")
    ld.add_argument("files", nargs="+", metavar="FILE[:CATEGORY]",
                    help="CSV (lon/lat columns), GeoJSON, GeoPackage, Shapefile...; CATEGORY for all its points, "
                         "else a 'category' column or OpenStreetMap tags")
    ld.add_argument("--json", action="store_true")
    ls = s.add_parser("list", help="what is configured")
    ls.add_argument("--json", action="store_true")
    rm = s.add_parser("remove", help="remove one configured file (name as `list` shows it)")
    rm.add_argument("name")
    return p


def split_spec(spec: str) -> tuple[str, str | None]:
    """``path:category`` -> (path, category); a path that exists as given has no category.

    Example
    -------
    >>> split_spec("plants.csv:energy")
    ('plants.csv', 'energy')
    """
    if Path(spec).exists() or ":" not in spec:
        return spec, None
    path, _, cat = spec.rpartition(":")
    return path, cat or None


def run(args) -> int:
    from harmmap import facilities

    if args.action == "load":
        results, rc = [], 0
        for spec in args.files:
            path, cat = split_spec(spec)
            try:
                results.append(facilities.load(path, cat))
            except (OSError, ValueError) as exc:
                results.append({"file": path, "error": str(exc)})
                rc = 1
        if args.json:
            print(json.dumps({"files": results}, ensure_ascii=False))
        else:
            for r in results:
                if "error" in r:
                    print(f"{r['file']}: {r['error']}", file=sys.stderr)
                else:
                    cats = ", ".join(f"{k} {v}" for k, v in r["by_category"].items())
                    print(f"{r['file']}: {r['points']} facilities ({cats}); {r['skipped']} without coordinates "
                          f"or category skipped -> {r['stored']}")
            print("Re-run `python -m harmmap classify --all` to add proximity evidence to stored incidents.")
        return rc
    if args.action == "list":
        t = facilities.table()
        summary = (t.groupby(["file", "category"]).size().reset_index(name="points").to_dict("records")
                   if len(t) else [])
        if args.json:
            print(json.dumps({"dir": str(facilities.facilities_dir()), "facilities": summary}))
        else:
            print(f"{len(t)} facilities in {facilities.facilities_dir()}")
            for r in summary:
                print(f"  {r['file']:50s} {r['category']:15s} {r['points']}")
        return 0
    ok = facilities.remove(args.name)
    print("removed" if ok else f"no configured facilities file named {args.name!r}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
