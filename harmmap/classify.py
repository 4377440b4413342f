"""Classify what was hit: taxonomy terms + context rules + source-label mapping + proximity to known
facilities -> categories, a confidence per category and a human-readable evidence line.

Everything the rules know lives in ``data/taxonomy.toml`` (terms in English, Ukrainian and Russian
with inflections, neutral phrases, cancelling contexts, label mappings, distances, confidences);
:class:`Classifier` compiles it into a few large regular expressions (one per language, each a trie
of all terms, so a text is scanned once) and is rebuilt when the file changes.

Example
-------
>>> r = classify_text("Russian shelling damaged a school and two apartment blocks in Kharkiv")
>>> r.categories
['education', 'residential']
>>> classify_text("A shell landed near the hospital").categories
[]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harmmap import paths
from harmmap.taxonomy import UNCLASSIFIED, Taxonomy, load_taxonomy

__all__ = ["Result", "Classifier", "FacilityIndex", "classify_text", "classify_frame", "get_classifier",
           "detect_lang", "normalize_text"]

NEUTRAL = "_neutral"
CUE_BEFORE = "_before"
CUE_AFTER = "_after"
KIND_ORDER = {CUE_BEFORE: 0, CUE_AFTER: 0, NEUTRAL: 1}

_TRANS = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "‘": "'", "ё": "е", "\u00a0": " ",
                        "–": "-", "—": "-", "‑": "-"})
_CYR = re.compile(r"[а-яіїєґё]", re.I)
_LAT = re.compile(r"[a-z]", re.I)
_UK_ONLY = re.compile(r"[іїєґ]", re.I)
_RU_ONLY = re.compile(r"[ыэъё]", re.I)
_SENT_BREAK = re.compile(r"[.;!?:](?:\s|$)|\n")
_DIGIT = re.compile(r"\d")


def normalize_text(text: str) -> str:
    """Lower-case and unify apostrophes, dashes and "ё" (the form the terms are matched against).

    Example
    -------
    >>> normalize_text("П’ятиповерховий БУДИНОК — Ёлка")
    "п'ятиповерховий будинок - елка"
    """
    return text.translate(_TRANS).lower().translate(_TRANS)


def detect_lang(text: str) -> str:
    """``'en'``, ``'uk'``, ``'ru'``, or ``'cyr'`` (Cyrillic with neither і/ї/є/ґ nor ы/э/ъ/ё).

    Example
    -------
    >>> detect_lang("Обстріляли школу"), detect_lang("Обстреляли школы"), detect_lang("A school")
    ('uk', 'ru', 'en')
    """
    if not _CYR.search(text):
        return "en"
    if _LAT.search(text) and len(_CYR.findall(text)) < len(_LAT.findall(text)):
        return "en"
    if _UK_ONLY.search(text):
        return "uk"
    if _RU_ONLY.search(text):
        return "ru"
    return "cyr"


# --- terms -> one trie regex -------------------------------------------------------------------

_WORD_CH = r"[\w']"
_TOK_RE = {"STEM": _WORD_CH + "*", "SP": r"[\s\-/]+", "HY": r"[\s\-]*",
           "OPT": r"(?:[\w'.№#]+[\s\-]+)?", "END": r"(?![\w'])"}


def _tokens(term: str) -> tuple:
    """A term in the TOML syntax -> a tuple of tokens (single characters or special names)."""
    toks: list = []
    words = term.strip().split()
    for wi, w in enumerate(words):
        if w in ("_", "*"):
            if toks and toks[-1] != "OPT":
                toks.append("SP")
            toks.append("OPT")            # carries its own trailing separator
            continue
        if toks and toks[-1] != "OPT":
            toks.append("SP")
        stem = w.endswith("*")
        body = w.rstrip("*")
        for ci, ch in enumerate(body):
            toks.append("HY" if ch == "-" and 0 < ci < len(body) - 1 else ch)
        if stem:
            toks.append("STEM")
        elif wi == len(words) - 1 or words[wi + 1] in ("_", "*"):
            toks.append("END")
    return tuple(toks)


def _tok_regex(t: str) -> str:
    return _TOK_RE[t] if t in _TOK_RE else re.escape(t)


class _Trie:
    __slots__ = ("children", "end")

    def __init__(self):
        self.children: dict = {}
        self.end = False

    def add(self, toks: Sequence[str]) -> None:
        node = self
        for t in toks:
            node = node.children.setdefault(t, _Trie())
        node.end = True

    def regex(self) -> str:
        # literal characters first, then separators/optional words, then stems: longer matches win
        def key(t):
            return (0, t) if len(t) == 1 else (1 if t in ("SP", "HY", "OPT") else 2 if t == "STEM" else 3, t)

        alts = [_tok_regex(t) + c.regex() for t, c in sorted(self.children.items(), key=lambda kv: key(kv[0]))]
        if not alts:
            return ""
        if self.end:
            alts.append("")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"


@dataclass
class _Term:
    pattern: str                   # as written in the TOML
    kind: str                      # a category id, NEUTRAL, CUE_BEFORE or CUE_AFTER
    categories: tuple[str, ...]
    literal_len: int
    regex: re.Pattern


def _compile_terms(terms: list[_Term]) -> tuple[re.Pattern, re.Pattern | None]:
    """Two regexes for many terms: a trie of the plain terms behind one word-start check (scanned
    once per text), and the raw ``re:`` terms, if any, as a second alternation."""
    root = _Trie()
    raw = []
    for t in terms:
        if t.pattern.startswith("re:"):
            raw.append(t.pattern[3:])
        else:
            root.add(_tokens(normalize_text(t.pattern)))
    body = root.regex()
    main = re.compile(r"(?<![\w'])" + body) if body else re.compile(r"(?!x)x")
    extra = re.compile("|".join(f"(?<![\\w'])(?:{r})" for r in raw)) if raw else None
    return main, extra


def _term_regex(pattern: str) -> re.Pattern:
    if pattern.startswith("re:"):
        return re.compile(pattern[3:])
    root = _Trie()
    root.add(_tokens(normalize_text(pattern)))
    return re.compile(root.regex())


# --- results ----------------------------------------------------------------------------------

@dataclass
class Result:
    """The classification of one text: categories (taxonomy order; empty = unclassified), a
    confidence per category and an evidence line per category (``unclassified`` may carry notes)."""

    categories: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)

    @property
    def max_confidence(self) -> float:
        return max((self.confidence[c] for c in self.categories), default=0.0)

    def evidence_line(self) -> str:
        """``'; '``-joined lines like ``education (0.90): text 'обстріляли школу' (term 'школ*')``."""
        lines = [f"{c} ({self.confidence[c]:.2f}): {self.evidence[c]}" for c in self.categories]
        if not self.categories and self.evidence.get(UNCLASSIFIED):
            lines.append(f"{UNCLASSIFIED}: {self.evidence[UNCLASSIFIED]}")
        return "; ".join(lines)


def _combine(ps: Iterable[float]) -> float:
    q = 1.0
    for p in ps:
        q *= 1.0 - p
    return 1.0 - q


def _snippet(text: str, start: int, end: int) -> str:
    """The matched words with the word before them, trimmed, for an evidence line."""
    a = text.rfind(" ", 0, max(0, start - 1))
    a = 0 if a < 0 or start - a > 30 else a + 1
    return " ".join(text[a:end].split())[:80].replace("'", "’")


# --- the classifier ---------------------------------------------------------------------------

class Classifier:
    """The compiled taxonomy: terms per language, contexts, label maps, confidences.

    Build it with :func:`get_classifier` (cached; rebuilt when the TOML changes).

    Example
    -------
    >>> clf = get_classifier()
    >>> clf.classify("Ракета влучила в лікарню").categories
    ['health']
    """

    LANGS = ("en", "uk", "ru")

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        raw = taxonomy.raw
        self.category_ids = [c for c in taxonomy.categories if c != UNCLASSIFIED]
        self.order = {c: i for i, c in enumerate(self.category_ids)}
        conf = raw.get("confidence", {})
        self.p_text = float(conf.get("text", 0.9))
        self.p_label = float(conf.get("label", 0.75))
        self.p_event = float(conf.get("event_type", 0.6))
        self.p_prox = float(conf.get("proximity", 0.35))
        self.assign = float(conf.get("assign", 0.5))
        self.proximity_assigns = bool(conf.get("proximity_assigns", False))
        self.distance_m = {k: float(v) for k, v in raw.get("proximity", {}).get("distance_m", {}).items()}
        ctx = raw.get("contexts", {})
        self.window_before = int(ctx.get("window_before", 3))
        self.window_after = int(ctx.get("window_after", 4))

        # collect terms per language: (pattern -> merged _Term)
        per_lang: dict[str, dict[str, _Term]] = {lang: {} for lang in self.LANGS}

        def add(lang: str, pattern: str, kind: str, cats: tuple[str, ...]):
            if lang not in per_lang:
                raise ValueError(f"taxonomy: unknown language {lang!r} (use en, uk or ru)")
            if not isinstance(pattern, str) or not pattern.strip():
                raise ValueError(f"taxonomy: empty or non-text term {pattern!r} ({kind}, {lang})")
            key = pattern if pattern.startswith("re:") else normalize_text(pattern).strip()
            old = per_lang[lang].get(key)
            if old is not None:
                if old.kind in self.order and kind in self.order:
                    merged = tuple(sorted(set(old.categories) | set(cats), key=self.order.get))
                    old.categories = merged
                    return
                rank = {NEUTRAL: 0, CUE_BEFORE: 1, CUE_AFTER: 1}   # category > context > neutral
                if rank.get(kind, 2) <= rank.get(old.kind, 2):
                    return
            try:
                rx = _term_regex(key)
            except re.error as exc:
                raise ValueError(f"taxonomy: bad regular expression in term {pattern!r}: {exc}") from exc
            lit = len(re.sub(r"[^\w]", "", key)) + (1000 if key.startswith("re:") else 0)
            per_lang[lang][key] = _Term(pattern, kind, cats, lit, rx)

        for cid in self.category_ids:
            for lang, terms in taxonomy.categories[cid].raw.get("terms", {}).items():
                for t in terms:
                    add(lang, t, cid, (cid,))
        for lang, terms in raw.get("neutral", {}).items():
            for t in terms:
                add(lang, t, NEUTRAL, ())
        for side, kind in (("before", CUE_BEFORE), ("after", CUE_AFTER)):
            for lang, terms in ctx.get(side, {}).items():
                for t in terms:
                    add(lang, t, kind, ())
        self.terms = per_lang
        # regexes: English texts may quote Cyrillic names, so "en" scans all languages; a Ukrainian
        # text is scanned with the English and Ukrainian terms, a Russian one with English and Russian.
        combos = {"en": ("en", "uk", "ru"), "cyr": ("en", "uk", "ru"), "uk": ("en", "uk"), "ru": ("en", "ru")}
        self._rx: dict[str, tuple[re.Pattern, re.Pattern | None]] = {}
        self._lookup: dict[str, list[_Term]] = {}
        for name, langs in combos.items():
            merged: dict[str, _Term] = {}
            for lang in langs:
                for k, t in per_lang[lang].items():
                    if k in merged and merged[k].kind in self.order and t.kind in self.order:
                        merged[k] = _Term(t.pattern, t.kind, tuple(sorted(set(merged[k].categories) | set(t.categories),
                                                                           key=self.order.get)), t.literal_len, t.regex)
                    elif k not in merged or (t.kind in self.order and merged[k].kind not in self.order):
                        merged[k] = t
            self._lookup[name] = list(merged.values())
            self._rx[name] = _compile_terms(self._lookup[name])
        self._resolve_cache: dict[tuple[str, str], _Term | None] = {}
        self._by_first: dict[str, dict[str, list[_Term]]] = {}
        self._raw_terms: dict[str, list[_Term]] = {}
        for name, terms in self._lookup.items():
            idx: dict[str, list[_Term]] = {}
            for t in terms:
                if t.pattern.startswith("re:"):
                    continue
                idx.setdefault(normalize_text(t.pattern).strip()[:1], []).append(t)
            self._by_first[name] = idx
            self._raw_terms[name] = [t for t in terms if t.pattern.startswith("re:")]
        self._labels = self._label_maps(raw.get("labels", {}))
        self._event_types = self._label_maps(raw.get("event_types", {}))
        self.osm = dict(raw.get("osm", {}))
        self._text_cache: dict[tuple[str, str | None], tuple] = {}

    # -- building helpers
    def _label_maps(self, spec: dict) -> dict[str, tuple[str, list[str]]]:
        """label text (lower-case, whole) -> (source name, categories)."""
        out: dict[str, tuple[str, list[str]]] = {}
        for sid, m in spec.items():
            name = m.get("name", sid)
            prefix = m.get("prefix", "")
            for lab, cats in m.get("map", {}).items():
                bad = [c for c in cats if c not in self.order]
                if bad:
                    raise ValueError(f"taxonomy: label map {sid!r} maps {lab!r} to unknown categories {bad}")
                out[(prefix + lab).lower()] = (name, list(cats))
                if prefix:
                    out.setdefault(lab.lower(), (name, list(cats))) if False else None
        return out

    # -- matching
    def _resolve(self, combo: str, matched: str) -> _Term | None:
        """Which term a regex match came from (the longest literal wins; category over neutral)."""
        key = (combo, matched)
        hit = self._resolve_cache.get(key, False)
        if hit is not False:
            return hit
        best = None
        for t in self._by_first[combo].get(matched[:1], ()):
            if t.regex.fullmatch(matched):
                if best is None or (t.literal_len, t.kind in self.order) > (best.literal_len, best.kind in self.order):
                    best = t
        if best is None:  # a raw expression
            for t in self._raw_terms[combo]:
                if t.regex.search(matched):
                    best = t
                    break
        if len(self._resolve_cache) < 500_000:
            self._resolve_cache[key] = best
        return best

    def text_evidence(self, text: str, lang: str | None = None) -> tuple[dict[str, list[str]], list[str]]:
        """Per category the evidence strings from the text; and the neutral notes.

        Example
        -------
        >>> ev, notes = get_classifier().text_evidence("Обстріляли школу")
        >>> list(ev)
        ['education']
        """
        if not isinstance(text, str) or not text.strip():
            return {}, []
        ck = (text, lang)
        cached = self._text_cache.get(ck)
        if cached is not None:
            return cached
        norm = normalize_text(text)
        shown = text if len(norm) == len(text) else norm
        lang = lang if lang in ("en", "uk", "ru") else detect_lang(norm)
        combo = "en" if lang == "en" else lang if lang in ("uk", "ru") else "cyr"
        hits: list[list] = []   # [start, end, term, cancelled]
        main, extra = self._rx[combo]
        for m in main.finditer(norm):
            t = self._resolve(combo, m.group())
            if t is not None:
                hits.append([m.start(), m.end(), t, False])
        if extra is not None:
            more = False
            for m in extra.finditer(norm):
                t = self._resolve(combo, m.group())
                if t is not None:
                    hits.append([m.start(), m.end(), t, False])
                    more = True
            if more:
                hits.sort(key=lambda h: (h[0], -h[1]))
        ev: dict[str, list[str]] = {}
        notes: list[str] = []
        if not hits:
            out = (ev, notes)
            self._cache_put(ck, out)
            return out
        # cancelling contexts
        for i, (st, en, t, _) in enumerate(hits):
            if t.kind == CUE_BEFORE:
                for j in range(i + 1, len(hits)):
                    h = hits[j]
                    if h[2].kind in (NEUTRAL, CUE_BEFORE, CUE_AFTER):
                        continue
                    gap = norm[en:h[0]]
                    if (len(gap.split()) <= self.window_before and not _SENT_BREAK.search(gap)
                            and not _DIGIT.search(gap)):
                        why = f"after '{_snippet(shown, st, en)}'"
                        h[3] = why
                        # the cancelled phrase goes on over directly adjacent terms ("near the school bus stop")
                        last = h[1]
                        for k in range(j + 1, len(hits)):
                            if norm[last:hits[k][0]].strip(" -") or hits[k][2].kind not in self.order:
                                break
                            hits[k][3] = why
                            last = hits[k][1]
                    break
            elif t.kind == CUE_AFTER:
                for j in range(i - 1, -1, -1):
                    h = hits[j]
                    if h[2].kind in (NEUTRAL, CUE_BEFORE, CUE_AFTER):
                        continue
                    gap = norm[h[1]:st]
                    if len(gap.split()) <= self.window_after and not _SENT_BREAK.search(gap):
                        h[3] = f"before '{shown[st:en]}'"
                    break
        for st, en, t, cancelled in hits:
            if t.kind == NEUTRAL:
                notes.append(f"'{_snippet(shown, st, en)}' (no category)")
            elif t.kind in self.order:
                if cancelled:
                    notes.append(f"'{_snippet(shown, st, en)}' not counted ({cancelled})")
                    continue
                for c in t.categories:
                    lst = ev.setdefault(c, [])
                    if len(lst) < 3:
                        lst.append(f"text '{_snippet(shown, st, en)}' (term '{t.pattern}')")
        out = (ev, notes)
        self._cache_put(ck, out)
        return out

    def _cache_put(self, key, value) -> None:
        if len(self._text_cache) > 200_000:
            self._text_cache.clear()
        self._text_cache[key] = value

    def label_evidence(self, labels: Iterable[str] = (), event_type: str | None = None) -> dict[str, list[str]]:
        """Per category the evidence strings from a source's labels and event type.

        Example
        -------
        >>> get_classifier().label_evidence(["Type of area affected/School or childcare"])
        {'education': ["label: Bellingcat 'School or childcare'"]}
        """
        ev: dict[str, list[str]] = {}
        for lab in labels or ():
            if not isinstance(lab, str):
                continue
            hit = self._labels.get(lab.strip().lower())
            if hit:
                name, cats = hit
                short = lab.split("/", 1)[1] if "/" in lab and lab.lower().startswith("type of area") else lab
                for c in cats:
                    ev.setdefault(c, []).append(f"label: {name} '{short.strip()}'")
        if isinstance(event_type, str) and event_type.strip():
            hit = self._event_types.get(event_type.strip().lower())
            if hit:
                name, cats = hit
                for c in cats:
                    ev.setdefault(c, []).append(f"event type: {name} '{event_type.strip()}'")
        return ev

    def classify(self, text: str | None, labels: Iterable[str] = (), lang: str | None = None,
                 event_type: str | None = None, nearby: dict[str, str] | None = None) -> Result:
        """Classify one record; see :func:`classify_text`. ``nearby``: category -> proximity evidence."""
        tev, notes = self.text_evidence(text or "", lang)
        lev = self.label_evidence(labels, event_type)
        probs: dict[str, list[float]] = {}
        lines: dict[str, list[str]] = {}
        for c, items in tev.items():
            probs.setdefault(c, []).append(self.p_text)
            lines.setdefault(c, []).extend(items)
        for c, items in lev.items():
            for it in items:
                probs.setdefault(c, []).append(self.p_event if it.startswith("event type") else self.p_label)
                lines.setdefault(c, []).append(it)
        for c, line in (nearby or {}).items():
            if c in probs or self.proximity_assigns:
                probs.setdefault(c, []).append(self.p_prox)
                lines.setdefault(c, []).append(line)
        res = Result()
        for c in sorted(probs, key=lambda c: self.order.get(c, 99)):
            p = round(_combine(probs[c]), 4)
            if p >= self.assign or (self.proximity_assigns and c in (nearby or {})):
                res.categories.append(c)
                res.confidence[c] = p
                res.evidence[c] = " + ".join(lines[c])
        if not res.categories and notes:
            res.evidence[UNCLASSIFIED] = ", ".join(dict.fromkeys(notes))[:300]
        return res


_CLASSIFIERS: dict[tuple[str, float], Classifier] = {}


def get_classifier(path: str | Path | None = None) -> Classifier:
    """The :class:`Classifier` for the taxonomy file (cached; rebuilt when the file changes).

    Example
    -------
    >>> get_classifier() is get_classifier()
    True
    """
    p = Path(path or paths.TAXONOMY)
    key = (str(p), p.stat().st_mtime)
    clf = _CLASSIFIERS.get(key)
    if clf is None:
        for k in [k for k in _CLASSIFIERS if k[0] == key[0]]:
            del _CLASSIFIERS[k]
        clf = _CLASSIFIERS[key] = Classifier(load_taxonomy(p))
    return clf


def classify_text(text: str, labels: Iterable[str] = (), lang: str | None = None) -> Result:
    """Classify one text (any of en/uk/ru), optionally with the source's own labels.

    Parameters
    ----------
    text : the incident's description.
    labels : the source's labels, e.g. ``["Type of area affected/School or childcare"]``.
    lang : ``'en'``, ``'uk'`` or ``'ru'``; None = detect from the script.

    Returns
    -------
    Result with ``categories`` (empty = unclassified), ``confidence`` and ``evidence`` per category.

    Example
    -------
    >>> r = classify_text("Окупанти обстріляли школу", lang="uk")
    >>> r.categories, r.confidence["education"]
    (['education'], 0.9)
    >>> r.evidence["education"]
    "text 'обстріляли школу' (term 'школ*')"
    """
    return get_classifier().classify(text, labels, lang)


# --- proximity to known facilities ------------------------------------------------------------

_R_EARTH = 6_371_008.8


def _xyz(lon, lat) -> np.ndarray:
    lon = np.radians(np.asarray(lon, dtype=float))
    lat = np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]) * _R_EARTH


class FacilityIndex:
    """Known facilities (points with a category), searchable by distance.

    Built from any points file (CSV with lon/lat or longitude/latitude columns, GeoJSON, GeoPackage,
    Shapefile...) with one category for the whole file or a category per feature (a ``category``
    column, or OpenStreetMap tags mapped through the TOML's ``[osm]`` table). Queries are vectorized
    (a k-d tree on 3-D unit-sphere coordinates, so distances are true metres).

    Example
    -------
    >>> idx = FacilityIndex.from_points([30.52], [50.45], "health", names=["Hospital No. 1"])
    >>> idx.nearby([30.5205], [50.45])[0]["health"]
    'within 36 m of a health facility (Hospital No. 1)'
    """

    def __init__(self, lon, lat, categories, names=None, distance_m: dict[str, float] | None = None):
        from scipy.spatial import cKDTree

        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        cats = np.asarray(categories, dtype=object)
        names = np.asarray(names if names is not None else [None] * len(lon), dtype=object)
        ok = np.isfinite(lon) & np.isfinite(lat) & pd.notna(cats)
        self.distance_m = dict(distance_m or get_classifier().distance_m)
        self._trees: dict[str, tuple] = {}
        for c in pd.unique(cats[ok]):
            sel = ok & (cats == c)
            self._trees[str(c)] = (cKDTree(_xyz(lon[sel], lat[sel])), names[sel])
        self.size = int(ok.sum())

    @classmethod
    def from_points(cls, lon, lat, category, names=None, distance_m=None) -> FacilityIndex:
        """From coordinates; ``category`` is one id for all or one per point."""
        cats = [category] * len(lon) if isinstance(category, str) else list(category)
        return cls(lon, lat, cats, names, distance_m)

    @classmethod
    def from_files(cls, specs: Sequence[tuple[str | Path, str | None]], distance_m=None) -> FacilityIndex:
        """``specs``: (path, category or None = per feature from a ``category`` column or OSM tags).

        Example
        -------
        >>> FacilityIndex.from_files([("power_plants.csv", "energy")])    # doctest: +SKIP
        """
        clf = get_classifier()
        lons, lats, cats, names = [], [], [], []
        for path, category in specs:
            df = _read_points(Path(path))
            if category is not None:
                if category not in clf.order:
                    raise ValueError(f"{path}: unknown category {category!r}")
                c = pd.Series([category] * len(df), index=df.index)
            elif "category" in df.columns:
                c = df["category"]
            else:
                c = _osm_categories(df, clf.osm)
            n = df["name"] if "name" in df.columns else pd.Series([None] * len(df), index=df.index)
            lons.append(df["_lon"].to_numpy(float))
            lats.append(df["_lat"].to_numpy(float))
            cats.append(c.to_numpy(object))
            names.append(n.to_numpy(object))
        if not lons:
            return cls([], [], [], [], distance_m)
        return cls(np.concatenate(lons), np.concatenate(lats), np.concatenate(cats), np.concatenate(names),
                   distance_m)

    def nearby(self, lon, lat) -> list[dict[str, str]]:
        """For each point, category -> evidence line for the nearest facility within that category's distance."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out: list[dict[str, str]] = [{} for _ in range(len(lon))]
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return out
        idx = np.flatnonzero(ok)
        xyz = _xyz(lon[ok], lat[ok])
        for c, (tree, names) in self._trees.items():
            r = self.distance_m.get(c)
            if not r:
                continue
            d, j = tree.query(xyz, k=1, distance_upper_bound=r)
            hit = np.isfinite(d)
            for i, dist, k in zip(idx[hit], d[hit], j[hit], strict=False):
                nm = names[k]
                label = f" ({nm})" if isinstance(nm, str) and nm else ""
                out[i][c] = f"within {dist:.0f} m of a {c.replace('_', ' ')} facility{label}"
        return out


def _read_points(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"facilities file not found: {path}")
    if path.suffix.lower() in (".csv", ".txt"):
        df = pd.read_csv(path)
        lon = next((c for c in df.columns if c.lower() in ("lon", "longitude", "lng", "x")), None)
        lat = next((c for c in df.columns if c.lower() in ("lat", "latitude", "y")), None)
        if lon is None or lat is None:
            raise ValueError(f"{path}: no lon/lat (or longitude/latitude) columns; columns are {list(df.columns)}")
        df["_lon"] = pd.to_numeric(df[lon], errors="coerce")
        df["_lat"] = pd.to_numeric(df[lat], errors="coerce")
        return df
    import geopandas as gpd

    g = gpd.read_file(path)
    if g.crs is not None and not g.crs.equals("EPSG:4326"):
        g = g.to_crs("EPSG:4326")
    pts = g.geometry.representative_point()
    df = pd.DataFrame(g.drop(columns=g.geometry.name))
    df["_lon"] = pts.x.to_numpy()
    df["_lat"] = pts.y.to_numpy()
    return df


def _osm_categories(df: pd.DataFrame, osm: dict[str, str]) -> pd.Series:
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    for rule, cat in osm.items():
        conds = [c.split("=", 1) for c in rule.split("+")]
        mask = pd.Series(True, index=df.index)
        for k, v in conds:
            if k not in df.columns:
                mask &= False
                continue
            col = df[k].astype("string")
            mask &= col.notna() & ((col != "") if v == "*" else (col == v))
        out = out.where(~(mask & out.isna()), cat)
    return out


# --- frames -------------------------------------------------------------------------------------

def _lonlat(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    if "lon" in df.columns and "lat" in df.columns:
        return (pd.to_numeric(df["lon"], errors="coerce").to_numpy(float),
                pd.to_numeric(df["lat"], errors="coerce").to_numpy(float))
    if "geometry" in df.columns:
        geo = df["geometry"]
        try:
            import shapely

            arr = np.asarray(geo.values if hasattr(geo, "values") else geo, dtype=object)
            valid = np.array([g is not None and not getattr(g, "is_empty", True) for g in arr])
            lon = np.full(len(arr), np.nan)
            lat = np.full(len(arr), np.nan)
            if valid.any():
                lon[valid] = shapely.get_x(arr[valid])
                lat[valid] = shapely.get_y(arr[valid])
            return lon, lat
        except Exception:  # noqa: BLE001 - not point geometries: no proximity evidence
            return None
    return None


def classify_frame(df: pd.DataFrame, facilities: FacilityIndex | None = None) -> pd.DataFrame:
    """Classify canonical incidents.

    Parameters
    ----------
    df : DataFrame with ``description``, ``event_type``, ``source_labels`` (list) and, when
        proximity evidence is wanted, ``geometry`` (or ``lon``/``lat``). Missing columns are
        treated as empty; an optional ``lang`` column skips language detection.
    facilities : a :class:`FacilityIndex`; None = no proximity evidence.

    Returns
    -------
    DataFrame indexed like ``df`` with ``categories`` (list[str]; empty = unclassified),
    ``category_confidence`` (float, the highest among the categories) and ``category_evidence``
    (str, one ``'; '``-separated line per category).

    Example
    -------
    >>> import pandas as pd
    >>> out = classify_frame(pd.DataFrame({"description": ["Shelling hit a kindergarten", "Clashes"]}))
    >>> out["categories"].tolist()
    [['education'], []]
    """
    clf = get_classifier()
    n = len(df)
    texts = df["description"].tolist() if "description" in df.columns else [None] * n
    labels = df["source_labels"].tolist() if "source_labels" in df.columns else [()] * n
    etypes = df["event_type"].tolist() if "event_type" in df.columns else [None] * n
    langs = df["lang"].tolist() if "lang" in df.columns else [None] * n
    near: list[dict] = [{}] * n
    if facilities is not None and n:
        ll = _lonlat(df)
        if ll is not None:
            near = facilities.nearby(*ll)
    cats_out, conf_out, ev_out = [], np.zeros(n), []
    for i in range(n):
        t = texts[i]
        lab = labels[i]
        if not isinstance(lab, (list, tuple, np.ndarray)):
            lab = ()
        et = etypes[i]
        lg = langs[i]
        r = clf.classify(t if isinstance(t, str) else "", lab, lg if isinstance(lg, str) else None,
                         et if isinstance(et, str) else None, near[i])
        cats_out.append(r.categories)
        conf_out[i] = r.max_confidence
        ev_out.append(r.evidence_line())
    return pd.DataFrame({"categories": cats_out, "category_confidence": conf_out,
                         "category_evidence": pd.Series(ev_out, dtype="string", index=df.index)},
                        index=df.index)
