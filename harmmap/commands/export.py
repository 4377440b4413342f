"""`python -m harmmap export`: the filtered incidents as a data file, an evidence package or a briefing pack.

Contract (kept for users' scripts): ``--format csv|geojson|gpkg|parquet|evidence|briefing`` (default:
from the suffix of ``-o``; ``.zip`` needs ``--format evidence`` or ``briefing``), the filter options of
the dashboard's sidebar (``--from --to --category --oblast --source --text``; ``--category``,
``--oblast`` and ``--source`` are repeatable or comma lists), ``-o FILE``, ``--db URL``; ``--json``
prints ONE JSON object ``{"path", "format", "rows", "sha256"}`` (rows = incidents exported).
``--coarsen-km KM`` snaps every record's coordinates to a grid of about KM km in every format (data files,
briefing and evidence packs, whose README/methodology and manifest say so); without it they are exact.
Errors (unknown category, unwritable file, unreachable store) exit with status 2 and a message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from harmmap.cli import add_db_arg, add_filter_args, filters_from_args

FORMATS = ("csv", "geojson", "gpkg", "parquet", "evidence", "briefing")


def add_parser(sub):
    p = sub.add_parser("export", help="export the filtered incidents (CSV, GeoJSON, GeoPackage, GeoParquet, "
                                      "evidence package, briefing pack)", description=__doc__.splitlines()[0])
    p.add_argument("--format", dest="fmt", default=None, choices=FORMATS,
                   help="default: from the file suffix (.csv .geojson .gpkg .parquet)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write (replaced if it exists)")
    add_filter_args(p)
    add_db_arg(p)
    p.add_argument("--boundaries", default="auto", metavar="FILE",
                   help="oblast outlines for the briefing map (default: the configured ones, if any)")
    p.add_argument("--coarsen-km", type=float, default=0.0, metavar="KM",
                   help="snap coordinates to a grid of about KM km, in every format (geo_precision and the "
                        "packs' notes say so; H3 cells no finer than the grid). Default: exact")
    p.add_argument("--json", action="store_true", help='print {"path", "format", "rows", "sha256"}')
    return p


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for item in values for v in str(item).split(",") if v.strip()))


def _filters(args):
    from harmmap.gazetteer import normalize_admin1
    from harmmap.taxonomy import load_taxonomy

    args.category, args.filter_source = list(_split(args.category)), list(_split(args.filter_source))
    oblasts = []
    for name in _split(args.oblast):
        canon = normalize_admin1(name)
        if canon is None:
            raise ValueError(f"--oblast {name!r} is not a Ukrainian oblast")
        oblasts.append(canon)
    args.oblast = list(dict.fromkeys(oblasts))
    known = set(load_taxonomy().categories)
    bad = [c for c in args.category if c not in known]
    if bad:
        raise ValueError(f"unknown --category {', '.join(bad)}; choose from {', '.join(sorted(known))}")
    f = filters_from_args(args)
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValueError(f"--from {f.date_from} is after --to {f.date_to}")
    return f


def run(args) -> int:
    from harmmap import export
    from harmmap.store import StoreError, open_store

    out = Path(args.output)
    try:
        if not args.fmt and out.suffix.lower() == ".zip":
            raise ValueError("a .zip needs --format evidence or --format briefing")
        fmt = args.fmt or export.format_from_path(out)
        filters = _filters(args)
    except ValueError as exc:
        print(f"harmmap export: error: {exc}", file=sys.stderr)
        return 2
    try:
        store = open_store(args.db, read_only=False)
        raw = store
        if args.coarsen_km and args.coarsen_km > 0:
            from harmmap.sensitive import coarse_store

            store = coarse_store(store, args.coarsen_km)
    except StoreError as exc:
        print(f"harmmap export: error: {exc}", file=sys.stderr)
        return 2
    try:
        if fmt == "evidence":
            rows = export.evidence_package(store, filters, out)["incidents"]
        elif fmt == "briefing":
            from harmmap.briefing import briefing_pack

            rows = briefing_pack(store, filters, out, boundaries=args.boundaries)["incidents"]
        else:
            gdf = export.export_frame(store, filters)
            export.write(gdf, out, fmt)
            rows = len(gdf)
    except (OSError, StoreError, ValueError) as exc:
        print(f"harmmap export: error: {out}: {exc}", file=sys.stderr)
        return 2
    finally:
        try:
            raw.close()
        except Exception:  # noqa: BLE001
            pass
    digest = export.sha256_file(out)
    if args.json:
        print(json.dumps({"path": str(out), "format": fmt, "rows": int(rows), "sha256": digest}))
    else:
        print(f"{out}: {rows:,} incidents ({fmt}), sha256 {digest}")
    return 0
