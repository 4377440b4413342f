"""`python -m harmmap export`: (to be implemented)."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("export", help="(not implemented yet)")
    return p


def run(args) -> int:
    raise SystemExit("harmmap export: not implemented yet")
