"""`python -m harmmap boundaries`: (to be implemented)."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("boundaries", help="(not implemented yet)")
    return p


def run(args) -> int:
    raise SystemExit("harmmap boundaries: not implemented yet")
