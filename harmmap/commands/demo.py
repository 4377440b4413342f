"""`python -m harmmap demo`: (to be implemented)."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("demo", help="(not implemented yet)")
    return p


def run(args) -> int:
    raise SystemExit("harmmap demo: not implemented yet")
