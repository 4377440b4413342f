"""Turn hand-written "<categories>\t<text>" lines into a label CSV (id, lang, categories, ref, text).

Used for the sentences written by the labeller (uk_*, ru_*, en_*); ids are <lang>-<split>-NNN in
file order. The categories are the ones typed by hand on each line; nothing is inferred.

Usage: python data/labels/tools/tsv_to_csv.py uk test < uk_test.tsv > data/labels/uk_test.csv
"""

import csv
import sys


def main() -> int:
    lang, split = sys.argv[1], sys.argv[2]
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["id", "lang", "categories", "ref", "text"])
    n = 0
    for lineno, line in enumerate(sys.stdin, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            print(f"line {lineno}: expected '<categories>\\t<text>'", file=sys.stderr)
            return 1
        n += 1
        w.writerow([f"{lang}-{split}-{n:03d}", lang, parts[0].strip(), "", parts[1].strip()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
