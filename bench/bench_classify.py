"""Classifier throughput on one core, against the plain keyword-search baseline measured in the same run.

Texts: the CIR and ACLED texts and Bellingcat descriptions from ../shared/datasets when present
(read in place), else synthetic EN/UK/RU sentences; repeated with a varying number suffix so the
per-text cache does not flatter the figure (each text is distinct).

Run: ``python bench/bench_classify.py [--n 100000]``. Prints texts/s for classify_text (per call),
classify_frame (a frame of canonical rows), the baseline, their ratio, and the extrapolated cost of
classifying 1M rows at ingest.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from harmmap import paths  # noqa: E402
from harmmap.classify import classify_frame, get_classifier  # noqa: E402
from harmmap.commands.classify import baseline_predict  # noqa: E402

SYNTH = [
    "Russian shelling damaged a school and two apartment blocks in Kharkiv",
    "A missile hit the grain elevator near Odesa; no casualties",
    "Уночі ворожий дрон влучив у п'ятиповерховий житловий будинок у Сумах",
    "Снаряд влучив у дорогу неподалік дитячого садка, заклад не пошкоджено",
    "В Белгороде в результате обстрела поврежден многоквартирный дом, ранены двое",
    "Clashes between Russian and Ukrainian forces near Bakhmut. Casualties unknown.",
    "Пошкоджено газопровід низького тиску, без газу понад 200 абонентів",
    "Удар по подстанции: обесточены 10 тыс. абонентов",
]


def texts(n: int) -> list[str]:
    base: list[str] = []
    d = paths.SHARED_DATASETS
    try:
        cir = pd.read_csv(d / "cir_monitor" / "events.csv", dtype=str, keep_default_na=False)
        base += (cir["title"] + ". " + cir["brief description"]).tolist()
        ac = pd.read_csv(next((d / "acled_sample").glob("*.csv")), dtype=str, keep_default_na=False)
        base += ac["notes"].tolist()
        ev = json.loads((d / "bellingcat_civharm_dev" / "export_events.json").read_text(encoding="utf-8"))
        base += [e.get("description") or "" for e in ev]
    except (OSError, StopIteration, KeyError):
        pass
    base = [t for t in base if t] or SYNTH
    return [f"{base[i % len(base)]} ({i})" for i in range(n)]


def timed(fn, *a):
    t = time.perf_counter()
    out = fn(*a)
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    tb, clf = timed(get_classifier)
    print(f"compile taxonomy: {tb:.2f} s")
    xs = texts(args.n)
    mean_len = sum(map(len, xs)) / len(xs)
    # warm the term resolution cache on a slice (as a long-running ingest would be)
    for t in xs[:2000]:
        clf.classify(t)
    clf._text_cache.clear()
    t_clf, _ = timed(lambda: [clf.classify(t) for t in xs])
    clf._text_cache.clear()
    frame = pd.DataFrame({"description": xs, "event_type": "Shelling/artillery/missile attack",
                          "source_labels": [["Type of area affected/Residential"]] * len(xs)})
    t_frame, _ = timed(classify_frame, frame)
    clf._text_cache.clear()
    t_base, _ = timed(baseline_predict, xs)
    short = [t for t in xs if len(t) <= 80]
    clf._text_cache.clear()
    t_short, _ = timed(lambda: [clf.classify(t) for t in short])
    clf._text_cache.clear()
    t_bshort, _ = timed(baseline_predict, short)
    n = len(xs)
    print(f"{n} texts, mean length {mean_len:.0f} characters, one core")
    print(f"classify_text  : {n / t_clf:10,.0f} texts/s")
    print(f"classify_frame : {n / t_frame:10,.0f} rows/s   -> 1M rows at ingest ~ {1e6 / (n / t_frame):.0f} s")
    print(f"baseline       : {n / t_base:10,.0f} texts/s (keyword search, no context rules)")
    print(f"ratio classifier/baseline speed: {t_base / t_clf:.2f}x")
    if short:
        print(f"short texts (<= 80 chars, {len(short)}): classifier {len(short) / t_short:,.0f} texts/s, "
              f"baseline {len(short) / t_bshort:,.0f} texts/s")


if __name__ == "__main__":
    main()
