"""Pair the ids printed by sample.py with the labels typed for the non-unclassified ones.

stdin: the sample.py output of one batch; argv[1]: "ENTRY=cats,ENTRY=cats,..." typed by hand after
reading the batch (every id not named there was read and judged unclassified). Prints
"<ref> <cats>" lines for append.sh; fails if a typed entry is not in the batch.
"""

import sys

typed = dict(kv.split("=") for kv in sys.argv[1].split(",") if kv)
for line in sys.stdin:
    ref = line.split("\t")[0].strip()
    if not ref:
        continue
    print(ref, typed.pop(ref.split(":", 1)[1], "unclassified"))
if typed:
    sys.exit(f"typed labels for ids not in the batch: {sorted(typed)}")
