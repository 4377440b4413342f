"""`python -m harmmap ingest`: (to be implemented)."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("ingest", help="(not implemented yet)")
    return p


def run(args) -> int:
    raise SystemExit("harmmap ingest: not implemented yet")
