"""Deterministically sample records from the shared data sets and print them for hand labelling.

The script only selects and prints (id + text); the labels themselves are typed by a person
after reading each record (see ../LABELLING.md). Nothing from the shared data sets is written
into the repository.

Usage
-----
    python data/labels/tools/sample.py cir --split test --batch 0      # 40 records per batch
    python data/labels/tools/sample.py cir --split dev --batch 2
    python data/labels/tools/sample.py acled --batch 1
    python data/labels/tools/sample.py cir --split test --list         # ids only

Selection
---------
CIR: entries ordered by sha1(entry); duplicate entry ids are skipped; the first ``N_DAMAGE``
"Civilian Infrastructure Damage <month>" rows plus the first ``N_OTHER`` rows of the other
groups listed in ``OTHER_GROUPS`` (so that unclassified is represented). Split by hash:
int(sha1, 16) % 5 in {0, 1} -> dev, else test.
ACLED: rows with event_date in 2022 or later, event_type "Explosions/Remote violence" or
civilian_targeting set: every civilian_targeting row, topped up to ``N_ACLED`` with the
first other rows in sha1(event_id_cnty) order; printed in sha1 order (all held out).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"
CIR = SHARED / "cir_monitor" / "events.csv"
ACLED = SHARED / "acled_sample" / "acled_ukraine_sample1000_2018-2024.csv"

N_DAMAGE = 420
N_OTHER = 100
N_ACLED = 150
BATCH = 40
OTHER_GROUPS = {
    "Bombing or Explosion Feb - June", "Bombing or Explosion July - Now", "Civilian Casualty",
    "Russian Military Losses Feb - June", "Military Infrastructure Damage", "Other", "Munitions",
    "Ukrainian Military Losses", "Ground Battle",
}


def sha(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


def cir_text(row) -> str:
    title = "" if pd.isna(row["title"]) else str(row["title"])
    desc = "" if pd.isna(row["brief description"]) else str(row["brief description"])
    return f"{title}. {desc}"


def cir_sample() -> pd.DataFrame:
    d = pd.read_csv(CIR, dtype=str)
    d = d[~d["entry"].duplicated(keep=False) & d["entry"].notna()].copy()
    d["h"] = d["entry"].map(sha)
    d = d.sort_values("h")
    damage = d[d["event_group"].fillna("").str.startswith("Civilian Infrastructure Damage")].head(N_DAMAGE)
    other = d[d["event_group"].isin(OTHER_GROUPS)].head(N_OTHER)
    s = pd.concat([damage, other]).sort_values("h")
    s["split"] = ["dev" if int(h, 16) % 5 < 2 else "test" for h in s["h"]]
    s["id"] = "cir:" + s["entry"]
    s["text"] = s.apply(cir_text, axis=1)
    return s[["id", "split", "event_group", "text"]]


def acled_sample() -> pd.DataFrame:
    d = pd.read_csv(ACLED, dtype=str)
    year = d["event_date"].str[6:10]
    keep = (year >= "2022") & (
        (d["event_type"] == "Explosions/Remote violence") | d["civilian_targeting"].notna()
    )
    d = d[keep].copy()
    d["h"] = d["event_id_cnty"].map(sha)
    civ = d[d["civilian_targeting"].notna()]
    rest = d[d["civilian_targeting"].isna()].sort_values("h").head(max(N_ACLED - len(civ), 0))
    d = pd.concat([civ, rest]).sort_values("h")
    d["id"] = "acled:" + d["event_id_cnty"]
    d["split"] = "test"
    d["event_group"] = d["sub_event_type"]
    d["text"] = d["notes"].fillna("")
    return d[["id", "split", "event_group", "text"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", choices=["cir", "acled"])
    ap.add_argument("--split", choices=["dev", "test"], default="test")
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--list", action="store_true", help="print ids only")
    a = ap.parse_args(argv)
    s = cir_sample() if a.source == "cir" else acled_sample()
    s = s[s["split"] == a.split]
    if a.list:
        print("\n".join(s["id"]))
        return 0
    part = s.iloc[a.batch * BATCH:(a.batch + 1) * BATCH]
    print(f"# {a.source} {a.split} batch {a.batch}: {len(part)} of {len(s)}", file=sys.stderr)
    for _, r in part.iterrows():
        print(f"{r['id']}\t[{r['event_group']}]\t{r['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
