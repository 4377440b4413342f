"""Classifier throughput on one core: the batch path against the per-text path and the plain
keyword-search baseline, measured in the same run.

Texts: the CIR texts (title + description), ACLED notes, Bellingcat descriptions from
../shared/datasets (read in place) and 20,000 demo descriptions (English, Ukrainian, Russian), else
synthetic EN/UK/RU sentences; cycled with a varying number suffix so that every text is distinct
(neither the per-text cache nor the batch's de-duplication of identical texts flatters the figures).

Run: ``python bench/bench_classify.py [--n 100000] [--repeat 3]``. Prints texts/s (CPU time of this
process, best of ``--repeat`` runs, so other load on the machine matters less) for

- ``classify`` per call (the per-text path, the only one before the batch path existed),
- ``classify_many`` (the batch path, texts only), with its speed-up over the per-text path,
- ``classify_frame`` (canonical rows with source labels and event types, as at ingest) and the
  extrapolated cost of classifying 1M rows at ingest,
- the keyword-search baseline (on at most 20,000 texts: it is slow),
- and the same for short texts (<= 80 characters).
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


def base_texts() -> list[str]:
    """The distinct real texts (shared data sets + demo descriptions), or SYNTH."""
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
    try:
        from harmmap import demo

        base += demo.generate(20_000)["description"].tolist()
    except (OSError, ValueError, KeyError):
        pass
    return list(dict.fromkeys(t for t in base if t)) or SYNTH


def texts(n: int, base: list[str] | None = None) -> list[str]:
    """``n`` distinct texts: the base texts cycled, each with its own number suffix."""
    base = base or base_texts()
    return [f"{base[i % len(base)]} ({i})" for i in range(n)]


def best_time(fn, repeat: int, clear=None) -> tuple[float, object]:
    """Best CPU time (s) of ``repeat`` runs of ``fn()`` and its last result; ``clear()`` before each run."""
    best, out = float("inf"), None
    for _ in range(repeat):
        if clear:
            clear()
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    clf = get_classifier()
    print(f"compile taxonomy: {time.perf_counter() - t0:.2f} s")
    base = base_texts()
    xs = texts(args.n, base)
    n = len(xs)
    mean_len = sum(map(len, xs)) / n
    # warm the term resolution caches on a slice (as a long-running ingest would be)
    for t in xs[:2000]:
        clf.classify(t)
    clf.classify_many(xs[:2000])

    def clear():
        clf._text_cache.clear()
        clf._label_cache.clear()
        clf._skeletons.clear()

    r = args.repeat
    t_one, _ = best_time(lambda: [clf.classify(t) for t in xs], r, clear)
    t_many, _ = best_time(lambda: clf.classify_many(xs), r, clear)
    frame = pd.DataFrame({"description": xs, "event_type": "Shelling/artillery/missile attack",
                          "source_labels": [["Type of area affected/Residential"]] * n})
    t_frame, _ = best_time(lambda: classify_frame(frame), r, clear)
    nb = min(n, 20_000)
    t_base, _ = best_time(lambda: baseline_predict(xs[:nb]), 1)
    short = [t for t in xs if len(t) <= 80]
    print(f"{n:,} distinct texts ({len(base):,} real texts cycled), mean length {mean_len:.0f} characters; "
          f"one core, CPU time, best of {r}")
    print(f"classify (per text)   : {n / t_one:10,.0f} texts/s")
    print(f"classify_many (batch) : {n / t_many:10,.0f} texts/s   {t_one / t_many:.2f}x the per-text path")
    print(f"classify_frame        : {n / t_frame:10,.0f} rows/s    -> 1M rows at ingest ~ {1e6 * t_frame / n:.0f} s "
          f"(labels, event types; no facilities)")
    print(f"baseline              : {nb / t_base:10,.0f} texts/s   (keyword search, no context rules; "
          f"{nb:,} texts)")
    print(f"batch / baseline speed: {t_base / nb / (t_many / n):.1f}x")
    if short:
        t_s1, _ = best_time(lambda: [clf.classify(t) for t in short], r, clear)
        t_sm, _ = best_time(lambda: clf.classify_many(short), r, clear)
        print(f"short texts (<= 80 characters, {len(short):,}): per text {len(short) / t_s1:,.0f} texts/s, "
              f"batch {len(short) / t_sm:,.0f} texts/s")


if __name__ == "__main__":
    main()
