"""``python -m harmmap classify``: classify texts (``--json``, streaming), re-classify the store
(``--all``) or measure the classifier against hand-labelled records (``--evaluate LABELS``).

Examples
--------
``echo '{"id": 1, "text": "Обстріляли школу"}' | python -m harmmap classify --json``
``python -m harmmap classify --all --db data/harmmap.duckdb``
``python -m harmmap classify --evaluate data/labels/uk_dev.csv``  (``bellingcat`` = the Bellingcat
dev export's area labels, built on the fly from ../shared/datasets)
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from harmmap import paths

NONE = "unclassified"


def add_parser(sub):
    p = sub.add_parser("classify", help="classify texts, re-classify the store, or evaluate against labels",
                       description=__doc__.splitlines()[0])
    p.add_argument("--json", dest="json_stream", action="store_true",
                   help='read JSON lines {"id", "text", "labels"?, "lang"?} on stdin and write one JSON line '
                        'each; with --evaluate: print the report as JSON')
    g = p.add_mutually_exclusive_group()
    g.add_argument("--all", action="store_true", help="re-run classification over every stored incident")
    g.add_argument("--evaluate", metavar="LABELS", nargs="+",
                   help="labelled CSV file(s) (id,[lang,]categories,text|ref); 'bellingcat' = Bellingcat dev labels")
    p.add_argument("--db", metavar="URL", default=None,
                   help="with --all: DuckDB file path or postgresql:// URL (default: $HARMMAP_DATABASE_URL)")
    p.add_argument("--facilities", metavar="PATH[:CATEGORY]", action="append", default=[],
                   help="with --all: a points file of known facilities (repeatable), e.g. plants.csv:energy "
                        "(default: those configured with `python -m harmmap facilities load`)")
    p.set_defaults(_parser=p)
    return p


def run(args) -> int:
    if args.all:
        return _reclassify(args)
    if args.evaluate:
        return _evaluate_cmd(args)
    if args.json_stream:
        return _stream(sys.stdin, sys.stdout)
    args._parser.error("one of --json, --all or --evaluate LABELS is required")
    return 2


# --- --json ------------------------------------------------------------------------------------

def _stream(inp, out) -> int:
    from harmmap.classify import get_classifier

    clf = get_classifier()
    for n, line in enumerate(inp, 1):
        if not line.strip():
            continue
        rid = None
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("a line must be a JSON object")
            rid = rec.get("id")
            text = rec.get("text", "")
            if text is None:
                text = ""
            if not isinstance(text, str):
                raise ValueError("'text' must be a string")
            labels = rec.get("labels") or []
            if isinstance(labels, str):
                labels = [labels]
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise ValueError("'labels' must be a list of strings")
            lang = rec.get("lang")
            r = clf.classify(text, labels, lang if isinstance(lang, str) else None)
            res = {"id": rid, "categories": r.categories, "confidence": r.confidence, "evidence": r.evidence}
        except (ValueError, TypeError) as exc:
            res = {"id": rid, "line": n, "error": f"stdin line {n}: {exc}"}
        out.write(json.dumps(res, ensure_ascii=False) + "\n")
        out.flush() if n % 256 == 0 else None
    out.flush()
    return 0


# --- --all -------------------------------------------------------------------------------------

def _facility_index(specs):
    if not specs:
        return None
    from harmmap.classify import FacilityIndex

    parsed = []
    for s in specs:
        path, _, cat = s.rpartition(":") if ":" in s and not Path(s).exists() else (s, "", "")
        parsed.append((path or s, cat or None))
    return FacilityIndex.from_files(parsed)


def _reclassify(args) -> int:
    from harmmap.classify import classify_frame
    from harmmap.query import Filters
    from harmmap.store import open_store

    store = open_store(args.db)
    try:
        cols = ["incident_id", "description", "event_type", "source_labels", "geometry"]
        df = store.incidents(Filters(include_duplicates=True), columns=cols)
        before = df.copy()
        if args.facilities:
            fac = _facility_index(args.facilities)
        else:
            from harmmap import facilities

            fac = facilities.configured()       # python -m harmmap facilities load ...
        cls = classify_frame(df, facilities=fac)
        upd = cls.assign(incident_id=df["incident_id"].values)
        n = store.update_classification(upd)
        counts = Counter(c for cats in cls["categories"] for c in (cats or [NONE]))
        print(f"classified {len(df)} incidents ({n} updated); overrides are stored apart and still win")
        for c, k in counts.most_common():
            print(f"  {c:20s} {k}")
        del before
    finally:
        store.close()
    return 0


# --- --evaluate --------------------------------------------------------------------------------

class _Refs:
    """Resolves ``cir:<entry>`` and ``acled:<event_id_cnty>`` refs to text in the shared data sets."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root or paths.SHARED_DATASETS)
        self._cir = None
        self._acled = None

    def text(self, ref: str) -> str:
        kind, _, key = ref.partition(":")
        kind = kind.strip().lower()
        if kind == "cir":
            if self._cir is None:
                self._cir = self._load_cir()
            t = self._cir.get(key.strip())
        elif kind == "acled":
            if self._acled is None:
                self._acled = self._load_acled()
            t = self._acled.get(key.strip())
        else:
            raise ValueError(f"unknown ref kind {kind!r} (cir: or acled:)")
        if t is None:
            raise ValueError(f"ref {ref!r} not found in {self.root}")
        return t

    def _load_cir(self) -> dict:
        import pandas as pd

        p = self.root / "cir_monitor" / "events.csv"
        d = pd.read_csv(p, dtype=str, keep_default_na=False)
        return {e: f"{t}. {b}" for e, t, b in zip(d["entry"], d["title"], d["brief description"], strict=False)}

    def _load_acled(self) -> dict:
        import pandas as pd

        p = next((self.root / "acled_sample").glob("*.csv"))
        d = pd.read_csv(p, dtype=str, keep_default_na=False)
        return dict(zip(d["event_id_cnty"], d["notes"], strict=False))


def load_labels(path: str | Path, refs: _Refs | None = None) -> list[dict]:
    """Records {id, lang, text, truth: set} from a labelled CSV (``id,[lang,]categories,text|ref``)
    or ``'bellingcat'`` (built on the fly from the shared Bellingcat dev export).

    Example
    -------
    >>> load_labels("data/labels/uk_dev.csv")[0]["truth"]              # doctest: +SKIP
    {'residential'}
    """
    if str(path).lower() == "bellingcat":
        return bellingcat_dev_set()
    refs = refs or _Refs()
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"labels file not found: {p}")
    out = []
    with open(p, encoding="utf-8-sig", newline="") as fh:
        rd = csv.DictReader(fh)
        need = {"id", "categories"}
        if not rd.fieldnames or not need <= set(rd.fieldnames) or not ({"text", "ref"} & set(rd.fieldnames)):
            raise ValueError(f"{p}: needs columns id, categories and text or ref; has {rd.fieldnames}")
        for i, r in enumerate(rd, 2):
            text = (r.get("text") or "").strip()
            ref = (r.get("ref") or "").strip()
            if not text and ref:
                try:
                    text = refs.text(ref)
                except ValueError as exc:
                    raise ValueError(f"{p}, row {i}: {exc}") from exc
            cats = {c.strip() for c in (r.get("categories") or "").split(";") if c.strip()}
            cats.discard(NONE)
            out.append({"id": r["id"], "lang": (r.get("lang") or "").strip() or None, "text": text,
                        "truth": cats})
    return out


def bellingcat_dev_set() -> list[dict]:
    """The Bellingcat dev events: text = description, truth = the mapped "Type of area affected"
    labels (noisy: area type, not necessarily the target). Read in place, never copied."""
    from harmmap.classify import get_classifier

    d = paths.SHARED_DATASETS / "bellingcat_civharm_dev"
    events = json.loads((d / "export_events.json").read_text(encoding="utf-8"))
    assoc = {a["id"]: "/".join(a["filter_paths"]) for a in json.loads(
        (d / "export_associations.json").read_text(encoding="utf-8"))}
    clf = get_classifier()
    out = []
    for e in events:
        labels = [assoc[a] for a in e.get("associations", []) if a in assoc]
        truth = set(clf.label_evidence(labels))
        out.append({"id": f"bellingcat:{e['id']}", "lang": "en", "text": e.get("description") or "", "truth": truth})
    return out


def baseline_predict(texts: list[str]) -> list[set]:
    """A plain keyword search: every category term's bare stem matched anywhere as a substring,
    with no context rules, no neutral phrases and no labels (the comparison for the classifier)."""
    from harmmap.classify import get_classifier, normalize_text

    rx = _baseline_regexes(get_classifier())
    out = []
    for t in texts:
        n = normalize_text(t or "")
        out.append({c for c, r in rx.items() if r.search(n)})
    return out


_BASE_CACHE: dict = {}


def _baseline_regexes(clf) -> dict:
    from harmmap.classify import normalize_text

    key = id(clf)
    if key in _BASE_CACHE:
        return _BASE_CACHE[key]
    rx = {}
    for c in clf.category_ids:
        stems = set()
        for terms in clf.taxonomy.categories[c].raw.get("terms", {}).values():
            for t in terms:
                if t.startswith("re:"):
                    continue
                s = normalize_text(t).replace("*", "").replace(" _ ", " ").strip()
                if len(s) >= 2:
                    stems.add(s)
        rx[c] = re.compile("|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True)) or r"(?!x)x")
    _BASE_CACHE[key] = rx
    return rx


def score(records: list[dict], preds: list[set], categories: list[str]) -> dict:
    """Precision, recall, F1 and support per category (``unclassified`` included as a label), micro-F1
    over all labels and over target categories only, macro-F1 over categories with support, and the
    most frequent confusions ("predicted X where truth Y")."""
    tp, fp, fn = Counter(), Counter(), Counter()
    conf = Counter()
    examples = defaultdict(list)
    labels = [*categories, NONE]
    for rec, pred in zip(records, preds, strict=False):
        truth = rec["truth"] or {NONE}
        pr = pred or {NONE}
        for c in labels:
            if c in pr and c in truth:
                tp[c] += 1
            elif c in pr:
                fp[c] += 1
            elif c in truth:
                fn[c] += 1
        for c in pr - truth:
            for t in (truth - pr) or truth:
                key = f"predicted {c} where truth {t}"
                conf[key] += 1
                if len(examples[key]) < 4:
                    examples[key].append(rec["id"])
        for t in truth - pr:
            if not (pr - truth):
                key = f"predicted {'+'.join(sorted(pr))} where truth {t} (missed)"
                conf[key] += 1
                if len(examples[key]) < 4:
                    examples[key].append(rec["id"])

    def prf(t, f_p, f_n):
        p = t / (t + f_p) if t + f_p else 0.0
        r = t / (t + f_n) if t + f_n else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    per = {}
    for c in labels:
        p, r, f = prf(tp[c], fp[c], fn[c])
        per[c] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
                  "support": tp[c] + fn[c], "predicted": tp[c] + fp[c]}
    mi = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))[2]
    mt = prf(sum(tp[c] for c in categories), sum(fp[c] for c in categories),
             sum(fn[c] for c in categories))[2]
    sup = [c for c in labels if per[c]["support"]]
    macro = sum(per[c]["f1"] for c in sup) / len(sup) if sup else 0.0
    exact = sum((rec["truth"] or {NONE}) == (p or {NONE}) for rec, p in zip(records, preds, strict=False)) / max(1, len(records))
    return {"records": len(records), "micro_f1": round(mi, 3), "micro_f1_targets": round(mt, 3),
            "macro_f1": round(macro, 3), "exact_match": round(exact, 3), "per_category": per,
            "confusions": [{"pair": k, "count": v, "examples": examples[k]} for k, v in sorted(conf.items(), key=lambda kv: (-kv[1], kv[0]))[:12]]}


def evaluate(records: list[dict]) -> dict:
    """Score the classifier (text only: no labels given to it) and the keyword baseline on records,
    overall and per language."""
    from harmmap.classify import get_classifier

    clf = get_classifier()
    preds = [set(clf.classify(r["text"], (), r.get("lang")).categories) for r in records]
    base = baseline_predict([r["text"] for r in records])
    out = {"classifier": score(records, preds, clf.category_ids),
           "baseline": score(records, base, clf.category_ids), "by_lang": {}}
    langs = sorted({r.get("lang") for r in records if r.get("lang")})
    if len(langs) > 1:
        for lg in langs:
            idx = [i for i, r in enumerate(records) if r.get("lang") == lg]
            sub = [records[i] for i in idx]
            out["by_lang"][lg] = {"classifier": score(sub, [preds[i] for i in idx], clf.category_ids),
                                  "baseline": score(sub, [base[i] for i in idx], clf.category_ids)}
    out["predictions"] = {r["id"]: sorted(p) for r, p in zip(records, preds, strict=False)}
    return out


def _print_report(name: str, rep: dict, file=sys.stdout) -> None:
    c, b = rep["classifier"], rep["baseline"]
    print(f"== {name}: {c['records']} records", file=file)
    print(f"classifier: micro-F1 {c['micro_f1']:.3f} (targets only {c['micro_f1_targets']:.3f}), "
          f"macro-F1 {c['macro_f1']:.3f}, exact match {c['exact_match']:.3f}", file=file)
    print(f"baseline  : micro-F1 {b['micro_f1']:.3f} (targets only {b['micro_f1_targets']:.3f}), "
          f"macro-F1 {b['macro_f1']:.3f}, exact match {b['exact_match']:.3f}", file=file)
    print(f"{'category':20s} {'P':>6s} {'R':>6s} {'F1':>6s} {'supp':>5s} | {'base F1':>7s}", file=file)
    for cat, m in c["per_category"].items():
        if m["support"] or m["predicted"]:
            print(f"{cat:20s} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:5d} | "
                  f"{b['per_category'][cat]['f1']:7.3f}", file=file)
    if c["confusions"]:
        print("most frequent errors:", file=file)
        for x in c["confusions"][:10]:
            print(f"  {x['count']:3d}  {x['pair']}  e.g. {', '.join(x['examples'])}", file=file)
    for lg, r in rep.get("by_lang", {}).items():
        print(f"  [{lg}] classifier micro-F1 {r['classifier']['micro_f1']:.3f} macro-F1 "
              f"{r['classifier']['macro_f1']:.3f} | baseline micro-F1 {r['baseline']['micro_f1']:.3f}", file=file)


def _evaluate_cmd(args) -> int:
    refs = _Refs()
    all_recs = []
    reports = {}
    for f in args.evaluate:
        recs = load_labels(f, refs)
        all_recs += recs
        reports[str(f)] = evaluate(recs)
    if len(args.evaluate) > 1:
        reports["ALL"] = evaluate(all_recs)
    if args.json_stream:
        for r in reports.values():
            r.pop("predictions", None)
        print(json.dumps(reports, ensure_ascii=False, indent=1))
    else:
        for name, r in reports.items():
            _print_report(name, r)
            print()
    return 0
