"""``python -m harmmap ...``: the command line. Each subcommand lives in ``harmmap/commands/<name>.py``
with ``add_parser(subparsers)`` and ``run(args) -> int``; this module only wires them together.

The contracts (names, options, ``--json`` output) are promises to users' scripts: keep them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys

from harmmap.query import Filters

COMMANDS = ("demo", "ingest", "classify", "export", "boundaries", "facilities", "users", "datasets")


def add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", default=None,
                   help="DuckDB file path or postgresql:// URL (default: $HARMMAP_DATABASE_URL, else data/harmmap.duckdb)")


def add_filter_args(p: argparse.ArgumentParser) -> None:
    """The sidebar's filters as options (mirrored one to one)."""
    g = p.add_argument_group("filters (as in the dashboard's sidebar)")
    g.add_argument("--from", dest="date_from", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    g.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    g.add_argument("--category", action="append", default=[], metavar="CAT", help="repeatable")
    g.add_argument("--oblast", action="append", default=[], metavar="NAME", help="repeatable (canonical admin1)")
    g.add_argument("--source", dest="filter_source", action="append", default=[], metavar="NAME", help="repeatable")
    g.add_argument("--text", default="", help="description or place contains")
    g.add_argument("--bbox", default=None, metavar="W,S,E,N")
    g.add_argument("--min-confidence", type=float, default=0.0)
    g.add_argument("--include-duplicates", action="store_true")


def filters_from_args(args: argparse.Namespace) -> Filters:
    bbox = tuple(float(x) for x in args.bbox.split(",")) if getattr(args, "bbox", None) else None
    return Filters(date_from=args.date_from, date_to=args.date_to, categories=tuple(args.category),
                   admin1=tuple(args.oblast), sources=tuple(args.filter_source), text=args.text,
                   bbox=bbox, min_confidence=args.min_confidence,
                   include_duplicates=args.include_duplicates)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harmmap", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        mod = importlib.import_module(f"harmmap.commands.{name}")
        sp = mod.add_parser(sub)
        sp.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a clear message, not a traceback, for users' scripts
        from harmmap.store import StoreError

        if isinstance(exc, (StoreError, FileNotFoundError, ValueError)):
            print(f"harmmap {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise
