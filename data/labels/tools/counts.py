"""Print the per-category counts tables of LABELLING.md (markdown). Run from the repository root:
python data/labels/tools/counts.py              # the first two rounds
python data/labels/tools/counts.py --third      # the third round
python data/labels/tools/counts.py --fourth     # the fourth round (with en_dev5, en_test5)"""

import csv
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FILES = ["cir_dev.csv", "cir_test.csv", "acled_test.csv", "uk_dev.csv", "uk_test.csv",
         "ru_dev.csv", "ru_test.csv", "en_test.csv", "en_dev.csv", "en_test2.csv", "uk_dev2.csv",
         "uk_test2.csv", "ru_dev2.csv", "ru_test2.csv"]
if "--third" in sys.argv[1:]:
    FILES = [f"{lang}_{split}3.csv" for lang in ("en", "uk", "ru") for split in ("dev", "test")]
if "--fourth" in sys.argv[1:]:
    FILES = [f"{lang}_{split}4.csv" for lang in ("en", "uk", "ru") for split in ("dev", "test")] + [
        "en_dev5.csv", "en_test5.csv"]
CATS = ["education", "health", "residential", "food_agriculture", "energy", "water", "gas_heating",
        "transport", "commercial", "industrial", "cultural_religious", "administrative", "recreation",
        "humanitarian", "unclassified"]

cols = {}
for f in FILES:
    with open(HERE / f, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    c = Counter(x for r in rows for x in r["categories"].split(";"))
    c["records"] = len(rows)
    c["multi-label records"] = sum(";" in r["categories"] for r in rows)
    cols[f] = c
print("| | " + " | ".join(f.removesuffix(".csv") for f in FILES) + " |")
print("|---|" + "---:|" * len(FILES))
for k in ["records", "multi-label records", *CATS]:
    print(f"| {k} | " + " | ".join(str(cols[f][k]) for f in FILES) + " |")
