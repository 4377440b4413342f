"""`python -m harmmap classify`: (to be implemented)."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("classify", help="(not implemented yet)")
    return p


def run(args) -> int:
    raise SystemExit("harmmap classify: not implemented yet")
