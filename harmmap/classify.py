"""Classify what was hit: taxonomy terms + context rules + source-label mapping + proximity to known
facilities -> categories, a confidence per category and a human-readable evidence line.

Everything the rules know lives in ``data/taxonomy.toml`` (terms in English, Ukrainian and Russian
with inflections, neutral phrases, cancelling contexts, label mappings, distances, confidences);
:class:`Classifier` compiles it into a few large regular expressions (one per language, each a trie
of all terms, so a text is scanned once) and is rebuilt when the file changes.

Two paths give the same results: :meth:`Classifier.classify` for one text (the reference, simple to
read) and :meth:`Classifier.classify_many` / :func:`classify_frame` for a column at a time (the one
ingest uses: texts joined and scanned in one regex pass per script, identical texts scanned once,
several times faster; ``tests/unit/test_classify_batch.py`` holds the two paths to the same output,
``bench/bench_classify.py`` measures both).

Example
-------
>>> r = classify_text("Russian shelling damaged a school and two apartment blocks in Kharkiv")
>>> r.categories
['education', 'residential']
>>> classify_text("A shell landed near the hospital").categories
[]
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import numpy as np
import pandas as pd

try:                                      # the parser of regular expressions (a guard per raw term)
    from re import _constants as _sre_constants
    from re import _parser as _sre_parse
except ImportError:                       # Python < 3.11
    import sre_constants as _sre_constants
    import sre_parse as _sre_parse

from harmmap import paths
from harmmap.taxonomy import UNCLASSIFIED, Taxonomy, load_taxonomy

__all__ = ["Result", "Classifier", "FacilityIndex", "classify_text", "classify_frame", "get_classifier",
           "detect_lang", "normalize_text"]

NEUTRAL = "_neutral"
CUE_BEFORE = "_before"
CUE_AFTER = "_after"
CUE_AFTER_NEAR = "_after_near"   # an after-context that does not reach over a comma ("30 будинків залишилися без тепла")
CUE_COUNTS = "_before_counts"     # a before-context that also reaches over numbers ("без тепла залишилися 30 будинків")
SOURCE_BEFORE = "_source_before"
SOURCE_AFTER = "_source_after"
SOURCE_BOTH = "_source_both"     # in both source lists: "Лікарня повідомила ...", "... повідомила лікарня"
BACKGROUND = "_background"       # an earlier event told as background ("Earlier, in March, ...", "у 2022 році")
_CUES = (CUE_BEFORE, CUE_AFTER, CUE_AFTER_NEAR, CUE_COUNTS, SOURCE_BEFORE, SOURCE_AFTER, SOURCE_BOTH, BACKGROUND)
KIND_ORDER = {**dict.fromkeys(_CUES, 0), NEUTRAL: 1}
_NOT_TERMS = (NEUTRAL, *_CUES)
_SOURCES = (SOURCE_BEFORE, SOURCE_AFTER, SOURCE_BOTH)
# contexts that the batch path sends to the per-text code only when the scan shows them able to matter
_DEFERRED = (*_SOURCES, BACKGROUND)
# what may stand between the items of a list that a location cue covers
_LIST_GAP = re.compile(r"(?:[\s,\-]|\b(?:and|or|nor|the|a|an|its|their|і|й|та|ні|и|ни|а також)\b)*")
# punctuation that ends what an attribution (or an after_near context) reaches: a comma, a dash, a
# colon... (quotes around a name do not)
_PUNCT_IN_GAP = re.compile(r"[^\w\s'\-«»\"“”„]|\s-\s")
# an attribution does not reach over a relative clause or a verb of its own either: "hit a hospital that
# officials said was empty", "a hospital damaged in a reported strike" are still hits; nor over the
# attack it reports: "сообщило об ударе по объектам ..."
_SOURCE_GAP_CLAUSE = re.compile(r"\b(?:that|which|who|whom|where|when|what|was|were|is|are|been|being|has|have|had|"
                                r"hit|struck|\w+ed|що|який|яка|яке|які|де|что|который|которая|которое|которые|где|"
                                r"strikes?|attacks?|удар\w*|атак\w*|обстр[іе]л\w*)\b")
#: the name of a field, up to three words before its colon
_FIELD_NAME = re.compile(r"[^\W\d_][\w'\-]*(?: [\w'\-]+){0,2}\Z")
_AUX_END = re.compile(r"\s(?:has|have|had)\s$")
_LANGS = ("en", "uk", "ru")
_MISSING = object()
_SCAN_CHUNK = 20_000      # texts joined per regex pass in the batch path

_TRANS = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "‘": "'", "ё": "е", "\u00a0": " ",
                        "–": "-", "—": "-", "‑": "-"})
# the mapped characters are not cased, or map to their own lower case (ё), so lower-casing first is the same
_TRANS_PAIRS = tuple((chr(k), v) for k, v in _TRANS.items())
_CYR = re.compile(r"[а-яіїєґё]", re.I)
_LAT = re.compile(r"[a-z]", re.I)
_UK_ONLY = re.compile(r"[іїєґ]", re.I)
_RU_ONLY = re.compile(r"[ыэъё]", re.I)
_SENT_BREAK = re.compile(r"[.;!?:](?:\s|$)|\n")
_SENTENCE_END = re.compile(r"[.;!?](?:\s|$)|\n")      # the sentences of the background rule
_DIGIT = re.compile(r"\d")
_EVENT_SENT = re.compile(r"[.!?](?:\s|$)")   # the sentences of the event rule (a list over lines or ";" is one)
#: A name in quotes right after the word for what it is: "стадіон «Шахтар»", 'спорткомплекс "Локомотив"'
_NAME_AFTER = re.compile(r"[ \t]*[«„“\"]([^«»„“”\"\n]{1,60})[»“”\"]")
_QUOTES = "«„“\""


def _quoted(text: str) -> bool:
    """Whether ``text`` has an opening quote (a substring search per quote: faster than a set of the text)."""
    return any(q in text for q in _QUOTES)


#: who owns the place named in quotes: "КНП «Центральна міська лікарня» Бахмутської міської ради"
_OWNER = re.compile(r"[»“”\"] ?[\w'\-]+(?:ської|цької|зької|ского|цкого|зкого) (?:міської|сільської|селищної|обласної|"
                    r"районної|городского|сельского|поселкового|областного|районного) (?:військової |военной )?"
                    r"(?:ради|адміністрації|совета|администрации)\b")
#: A header that names the source before a colon: "Мэрия Горловки: ...", "КП «Сумиводоканал»: ..."
_HEADER = re.compile(r"[^\n.;!?:]{1,60}?:(?=\s)")
#: the words that may stand before who reports in such a header, besides names ("Kherson regional ...")
_HEADER_ADJ = re.compile(r"regional|city|district|oblast|village|state|town|military|обласн\w*|міськ\w*|районн\w*|"
                         r"сільськ\w*|селищн\w*|військов\w*|державн\w*|областн\w*|городск\w*|сельск\w*|"
                         r"поселков\w*|военн\w*|государствен\w*")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if on) for a batch: a batch allocates a few small
    containers per text and creates no reference cycles, but the allocations trigger collections
    that walk every live object, up to a third of a batch's time. Only the caller that paused it
    turns it back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def normalize_text(text: str) -> str:
    """Lower-case and unify apostrophes, dashes and "ё" (the form the terms are matched against).

    Example
    -------
    >>> normalize_text("П’ятиповерховий БУДИНОК — Ёлка")
    "п'ятиповерховий будинок - елка"
    """
    # = text.translate(_TRANS).lower().translate(_TRANS) (tests/unit/test_classify_batch.py), but
    # str.translate walks a non-ASCII text one dict look-up per character; a few str.replace do not
    out = text.lower()
    if out.isascii():
        return out.replace("`", "'") if "`" in out else out
    for a, b in _TRANS_PAIRS:
        if a in out:
            out = out.replace(a, b)
    return out


def detect_lang(text: str) -> str:
    """``'en'``, ``'uk'``, ``'ru'``, or ``'cyr'`` (Cyrillic with neither or both of і/ї/є/ґ and ы/э/ъ/ё).

    Example
    -------
    >>> detect_lang("Обстріляли школу"), detect_lang("Обстреляли школы"), detect_lang("A school")
    ('uk', 'ru', 'en')
    >>> detect_lang("Прилёт по подстанции #Київ")
    'cyr'
    """
    if not _CYR.search(text):
        return "en"
    if _LAT.search(text) and len(_CYR.findall(text)) < len(_LAT.findall(text)):
        return "en"
    uk, ru = _UK_ONLY.search(text), _RU_ONLY.search(text)
    if uk and ru:                    # mixed (surzhyk; a Russian post with Ukrainian hashtags): both term sets
        return "cyr"
    if uk:
        return "uk"
    if ru:
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

    def regex(self, with_end: bool = True) -> str:
        # literal characters first, then separators/optional words, then stems: longer matches win
        def key(t):
            return (0, t) if len(t) == 1 else (1 if t in ("SP", "HY", "OPT") else 2 if t == "STEM" else 3, t)

        alts = []
        stem = self.children.get("STEM")
        if stem is not None and stem.children:
            # a stem that goes on to more words ("будин* культури") is tried before the literal words
            # that share its start ("будинок"): an alternation takes its first match, not its longest.
            # Followed only by a separator, the stem cannot give characters back: possessive, so that a
            # word that does not go on is turned down without backtracking through it.
            head = _TOK_RE["STEM"] + ("+" if set(stem.children) == {"SP"} else "")
            alts.append(head + stem.regex(with_end=False))
        for t, c in sorted(self.children.items(), key=lambda kv: key(kv[0])):
            if t == "STEM" and c.children:
                if c.end:
                    alts.append(_tok_regex(t))
                continue
            alts.append(_tok_regex(t) + c.regex())
        if not alts:
            return ""
        if self.end and with_end:
            alts.append("")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"


@dataclass
class _Term:
    pattern: str                   # as written in the TOML
    kind: str                      # a category id, NEUTRAL, or a context (CUE_BEFORE, SOURCE_AFTER ...)
    categories: tuple[str, ...]
    literal_len: int
    regex: re.Pattern
    #: a generic word ("plant", "office"): per category, the categories whose more specific evidence
    #: in the same text it yields to ("the plant's site" after "nuclear power plant" is not industrial)
    yields: dict[str, frozenset[str]] = field(default_factory=dict)


def _guard(pattern: str) -> str:
    """The longest run of literal characters outside any group that every match of the raw expression
    ``pattern`` contains ("" if none): a text without it is not scanned for the expression.

    Example
    -------
    >>> _guard(r"\\w{3,}водоканал\\w*"), _guard(r"\\d+[\\s\\-]*(?:storey|story) block"), _guard(r"a|bc")
    ('водоканал', ' block', '')
    """
    try:
        items = list(_sre_parse.parse(pattern))
    except Exception:          # noqa: BLE001 - an expression the parser does not take is simply not guarded
        return ""
    best = cur = ""
    for op, av in items:
        if op is _sre_constants.LITERAL:
            cur += chr(av)
            continue
        best, cur = max(best, cur, key=len), ""
    return max(best, cur, key=len)


_RawTerms = tuple  # () without raw terms, else (a regex of any guard or None, ((guard, regex), ...))


def _compile_raw(raw: list[str]) -> _RawTerms:
    """The raw ``re:`` terms as (guard, regex) pairs, one per guard: a raw expression is run only on the
    texts that contain its literal guard (scanning every word start of every text with a second
    alternation halved the classifier's speed); and one regex that finds any guard, so that most texts
    are turned down with one search."""
    if not raw:
        return ()
    by_guard: dict[str, list[str]] = {}
    for r in raw:
        by_guard.setdefault(_guard(r), []).append(r)
    pairs = tuple((g, re.compile("|".join(f"(?<![\\w'])(?:{r})" for r in rs))) for g, rs in by_guard.items())
    pre = None if "" in by_guard else re.compile("|".join(re.escape(g) for g in sorted(by_guard, key=len, reverse=True)))
    return pre, pairs


def _raw_matches(extra: _RawTerms, norm: str):
    """The matches of the raw terms in the normalised text ``norm``."""
    pre, pairs = extra
    if pre is not None and pre.search(norm) is None:
        return
    for guard, rx in pairs:
        if guard in norm:                 # "" is in every text
            yield from rx.finditer(norm)


def _longest_first(hits: list) -> list:
    """Hits (``(start, end, ...)``) sorted by start, the longer first, without those that lie inside an
    earlier one: a raw expression and a trie term over the same words ("вул. Шкільна" and "шкільн*"),
    the longer wins."""
    hits.sort(key=lambda h: (h[0], -h[1]))
    out, reach = [], -1
    for h in hits:
        if h[1] > reach:
            out.append(h)
            reach = h[1]
    return out


def _compile_terms(terms: list[_Term]) -> tuple[re.Pattern, _RawTerms, str]:
    """Regexes for many terms: a trie of the plain terms behind one word-start check (scanned
    once per text), the raw ``re:`` terms, if any, as guarded expressions (:func:`_compile_raw`), and the source of the
    trie for the batch scan (:meth:`Classifier.text_evidence_many`, compiled on first use): the
    same trie behind one *consumed* character that is not a word character (``[^\\w']`` instead of
    ``(?<![\\w'])``), so the regex engine skips inside words in its C loop; the trie match is the
    regex match minus its first character."""
    root = _Trie()
    raw = []
    for t in terms:
        if t.pattern.startswith("re:"):
            raw.append(t.pattern[3:])
        else:
            root.add(_tokens(normalize_text(t.pattern)))
    body = root.regex()
    main = re.compile(r"(?<![\w'])" + body) if body else re.compile(r"(?!x)x")
    extra = _compile_raw(raw)
    scan = r"[^\w']" + body if body else r"(?!x)x"
    if body and root.children and all(len(t) == 1 for t in root.children):
        # every match starts with one of these characters: a character-class look-ahead turns most
        # separators down before the trie's first alternation is tried one branch at a time
        first = "".join(re.escape(t) for t in sorted(root.children))
        scan = r"[^\w'](?=[" + first + "])" + body
    return main, extra, scan


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
        return _evidence_line(self.categories, self.confidence, self.evidence)


def _evidence_line(categories: list[str], confidence: dict[str, float], evidence: dict[str, str]) -> str:
    lines = [f"{c} ({confidence[c]:.2f}): {evidence[c]}" for c in categories]
    if not categories and evidence.get(UNCLASSIFIED):
        lines.append(f"{UNCLASSIFIED}: {evidence[UNCLASSIFIED]}")
    return "; ".join(lines)


def _joined_line(text_items: list[str] | None, label_line: str | None, near_line: str | None) -> str | None:
    """One category's evidence: its text matches, then its label line, then its proximity, joined by ' + '."""
    line = " + ".join(text_items) if text_items is not None else None
    if label_line is not None:
        line = label_line if line is None else line + " + " + label_line
    if near_line is not None:
        line = near_line if line is None else line + " + " + near_line
    return line


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
        self.window_source = int(ctx.get("window_source", 3))
        self.source_categories = frozenset(ctx.get("source_categories", ()))
        self.header_categories = frozenset(ctx.get("header_categories", ()))
        values = "|".join(re.escape(v) for v in sorted(ctx.get("empty_values", []), key=len, reverse=True))
        self._empty_field = re.compile(rf":[ \t]*(?:{values})?[ \t]*(?=[;|]|$)" if values else r":[ \t]*(?=[;|]|$)")
        events = _Trie()
        for lang in self.LANGS:
            for w in ctx.get("event", {}).get(lang, []):
                events.add(_tokens(normalize_text(w)))
        body = events.regex()
        # as the term scan: a word start, one of the first characters, then the trie
        heads = "".join(re.escape(t) for t in sorted(events.children)) if all(
            len(t) == 1 for t in events.children) else ""
        self._event_rx = re.compile(r"(?<![\w'])" + (f"(?=[{heads}])" if heads else "") + body) if body else None
        unknown = sorted(self.source_categories - set(self.category_ids))
        if unknown:
            raise ValueError(f"taxonomy: [contexts] source_categories names unknown categories {unknown}")

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
                if {kind, old.kind} == {SOURCE_BEFORE, SOURCE_AFTER}:
                    old.kind = SOURCE_BOTH
                    return
                rank = {NEUTRAL: 0, **dict.fromkeys(_CUES, 1)}   # category > context > neutral
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
        generic: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
        for cid, spec in raw.get("generic", {}).items():
            if cid not in self.order:
                raise ValueError(f"taxonomy: [generic.{cid}] is not a category")
            yields = frozenset(spec.get("yields_to", ()))
            if yields - set(self.order):
                raise ValueError(f"taxonomy: [generic.{cid}] yields_to unknown categories "
                                 f"{sorted(yields - set(self.order))}")
            for lang in self.LANGS:
                for t in spec.get(lang, ()):
                    add(lang, t, cid, (cid,))
                    key = t if t.startswith("re:") else normalize_text(t).strip()
                    generic.setdefault((lang, key), {})[cid] = yields
        for (lang, key), ys in generic.items():
            per_lang[lang][key].yields = ys
        for lang, terms in raw.get("neutral", {}).items():
            for t in terms:
                add(lang, t, NEUTRAL, ())
        for side, kind in (("before", CUE_BEFORE), ("after", CUE_AFTER), ("before_counts", CUE_COUNTS),
                           ("after_near", CUE_AFTER_NEAR), ("source_before", SOURCE_BEFORE),
                           ("source_after", SOURCE_AFTER), ("background", BACKGROUND)):
            for lang, terms in ctx.get(side, {}).items():
                for t in terms:
                    add(lang, t, kind, ())
        self.terms = per_lang
        # regexes: English texts may quote Cyrillic names, so "en" scans all languages; a Ukrainian
        # text is scanned with the English and Ukrainian terms, a Russian one with English and Russian.
        combos = {"en": ("en", "uk", "ru"), "cyr": ("en", "uk", "ru"), "uk": ("en", "uk"), "ru": ("en", "ru")}
        self._rx: dict[str, tuple[re.Pattern, _RawTerms]] = {}
        self._scan_src: dict[str, str] = {}
        self._scan: dict[str, re.Pattern] = {}            # compiled on first use (batch path)
        self._lookup: dict[str, list[_Term]] = {}
        for name, langs in combos.items():
            merged: dict[str, _Term] = {}
            for lang in langs:
                for k, t in per_lang[lang].items():
                    if k in merged and merged[k].kind in self.order and t.kind in self.order:
                        merged[k] = _Term(t.pattern, t.kind, tuple(sorted(set(merged[k].categories) | set(t.categories),
                                                                           key=self.order.get)), t.literal_len, t.regex,
                                          {**merged[k].yields, **t.yields})
                    elif k not in merged or (t.kind in self.order and merged[k].kind not in self.order):
                        merged[k] = t
            self._lookup[name] = list(merged.values())
            main, extra, scan = _compile_terms(self._lookup[name])
            self._rx[name] = (main, extra)
            self._scan_src[name] = scan
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
        self._label_cache: dict[tuple, dict[str, list[str]]] = {}
        self._resolved: dict[str, dict[str, _Term | None]] = {name: {} for name in combos}
        self._skeletons: dict[tuple, list[tuple]] = {}
        self._p_text1 = round(_combine([self.p_text]), 4)

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
        if extra:
            more = False
            for m in _raw_matches(extra, norm):
                t = self._resolve(combo, m.group())
                if t is not None:
                    hits.append([m.start(), m.end(), t, False])
                    more = True
            if more:
                hits = _longest_first(hits)
        out = self._evidence(hits, norm, shown)
        self._cache_put(ck, out)
        return out

    def _evidence(self, hits: list[list], norm: str, shown: str) -> tuple[dict[str, list[str]], list[str]]:
        """Hits ``[start, end, term, False]`` in ``norm`` (in text order) -> (evidence strings per
        category, notes): cancelling contexts applied, at most three strings per category."""
        ev: dict[str, list[str]] = {}
        notes: list[str] = []
        if not hits:
            return ev, notes
        if len(hits) > 1 and _quoted(norm):
            self._cancel_names(hits, norm, shown)
        if ":" in norm:
            self._cancel_header(hits, norm, shown)
            self._cancel_empty_fields(hits, norm)
        # cancelling contexts
        for i, (st, en, t, _) in enumerate(hits):
            if t.kind in _SOURCES:
                if t.kind != SOURCE_AFTER:
                    self._cancel_source(hits, i, norm, shown, after=False)
                if t.kind != SOURCE_BEFORE:
                    self._cancel_source(hits, i, norm, shown, after=True)
            elif t.kind in (CUE_BEFORE, CUE_COUNTS):
                for j in range(i + 1, len(hits)):
                    h = hits[j]
                    if h[2].kind in _NOT_TERMS:
                        continue
                    gap = norm[en:h[0]]
                    if (len(gap.split()) <= self.window_before and not _SENT_BREAK.search(gap)
                            and (t.kind == CUE_COUNTS or not _DIGIT.search(gap))):
                        why = f"after '{_snippet(shown, st, en)}'"
                        h[3] = why
                        # the cancelled phrase goes on over directly adjacent terms ("near the school bus stop")
                        # and over a list ("near the school, the bakery and the apartment blocks")
                        last = h[1]
                        for k in range(j + 1, len(hits)):
                            if hits[k][2].kind not in self.order or not _LIST_GAP.fullmatch(norm[last:hits[k][0]]):
                                break
                            hits[k][3] = why
                            last = hits[k][1]
                    break
            elif t.kind in (CUE_AFTER, CUE_AFTER_NEAR):
                for j in range(i - 1, -1, -1):
                    h = hits[j]
                    if h[2].kind in _NOT_TERMS:
                        continue
                    gap = norm[h[1]:st]
                    if (len(gap.split()) <= self.window_after and not _SENT_BREAK.search(gap)
                            and (t.kind == CUE_AFTER or not _PUNCT_IN_GAP.search(gap))):
                        why = h[3] = f"before '{shown[st:en]}'"
                        # and the terms directly before it, of the same phrase ("житловий будинок не пошкоджено")
                        first = h[0]
                        for k in range(j - 1, -1, -1):
                            if hits[k][2].kind not in self.order or norm[hits[k][1]:first].strip(" -"):
                                break
                            hits[k][3] = why
                            first = hits[k][0]
                    break
        if any(h[2].kind == BACKGROUND for h in hits):
            self._cancel_background(hits, norm, shown)
        if self._event_rx is not None:
            self._cancel_eventless(hits, norm)
        specific = {c for _s, _e, t, cancelled in hits if t.kind in self.order and not cancelled
                    for c in t.categories if c not in t.yields} if any(h[2].yields for h in hits) else set()
        for st, en, t, cancelled in hits:
            if t.kind == NEUTRAL:
                notes.append(f"'{_snippet(shown, st, en)}' (no category)")
            elif t.kind in self.order:
                if not cancelled and t.yields:
                    over = sorted({o for c in t.categories for o in t.yields.get(c, ()) if o in specific})
                    if over and all(t.yields.get(c, frozenset()) & specific for c in t.categories):
                        cancelled = f"a generic word, the text names {', '.join(over)}"
                if cancelled:
                    notes.append(f"'{_snippet(shown, st, en)}' not counted ({cancelled})")
                    continue
                for c in t.categories:
                    lst = ev.setdefault(c, [])
                    if len(lst) < 3:
                        lst.append(f"text '{_snippet(shown, st, en)}' (term '{t.pattern}')")
        return ev, notes

    def _cancel_names(self, hits: list[list], norm: str, shown: str) -> None:
        """A name in quotes right after the word that says what the place is names that place: in
        "стадион «Шахтёр»" or "спорткомплекс «Локомотив»" only the stadium and the sports complex count, not
        the mine or the locomotive. A generic word before the quotes ("підприємство «Укрзалізниця»") leaves
        the name its meaning. The council that owns a place so named is not hit with it ("КНП «Міська
        лікарня» Бахмутської міської ради")."""
        for h in hits:
            t = h[2]
            if t.kind not in self.order or t.yields:
                continue
            m = _NAME_AFTER.match(norm, h[1])
            if m is None:
                continue
            self._cancel_span(hits, m.start(1), m.end(1), f"a name: after '{_snippet(shown, h[0], h[1])}'")
        for m in _OWNER.finditer(norm):
            self._cancel_span(hits, m.start(), m.end(),
                              lambda g: f"the owner of the place named before it ('{_snippet(shown, g[0], g[1])}')")

    def _cancel_span(self, hits: list[list], start: int, end: int, why) -> None:
        """Mark the counted category hits within ``norm[start:end]`` as not counted, for the reason ``why``
        (a string, or a function of the hit that returns one)."""
        for g in hits:
            if start <= g[0] and g[1] <= end and g[2].kind in self.order and not g[3]:
                g[3] = why(g) if callable(why) else why

    def _rules_matter(self, hits, norm: str) -> bool:
        """Whether the rules on headers, names or eventless sentences can change anything in a text with the
        hits ``(start, end, term)`` (the batch path's check before the per-text code)."""
        if self._header_matters(hits, norm) or (":" in norm and self._empty_field.search(norm)):
            return True
        if len(hits) < 2:
            return False
        if _quoted(norm) and (_OWNER.search(norm) or any(
                _NAME_AFTER.match(norm, h[1]) for h in hits if h[2].kind in self.order and not h[2].yields)):
            return True
        return self._event_rx is not None and self._eventless(hits, norm) is not None

    def _cancel_empty_fields(self, hits: list[list], norm: str) -> None:
        """A field of a structured row whose value is empty or "no" (``[contexts] empty_values``) names no
        target: "residential: no; education: no; energy: yes" is energy only."""
        for m in self._empty_field.finditer(norm):
            name = _FIELD_NAME.search(norm, max(0, m.start() - 60), m.start())
            if name is None:
                continue
            self._cancel_span(hits, name.start(), m.start(), "a field with no value")

    def _header_matters(self, hits, norm: str) -> bool:
        """Whether :meth:`_cancel_header` can change anything in a text (the batch path's check)."""
        if ":" not in norm or hits[0][0] > 60:
            return False
        m = _HEADER.match(norm)
        return m is not None and any(st < m.end() and (self.header_categories.issuperset(t.categories)
                                                         or _quoted(norm[:m.end()]))
                                     for st, _e, t, *_ in hits if t.kind in self.order)

    def _cancel_header(self, hits: list[list], norm: str, shown: str) -> None:
        """A short header before a colon that names who reports ("Мэрия Горловки: ...", "АТ
        «Запоріжжяобленерго»: графіки ...") is the source: an administration that opens it, or a company's
        name in quotes in it, is not what was hit. What the header names otherwise counts ("Школа №5:
        вибито вікна", "Удар по мерії Сум: ...")."""
        m = _HEADER.match(norm)
        if m is None or len(m.group().split()) > 10:
            return
        end = m.end()
        quoted = [q.span(1) for q in re.finditer(r"[«„“\"]([^«»„“”\"]+)[»“”\"]", norm[:end])]
        for h in hits:
            if h[1] > end:
                break
            t = h[2]
            if t.kind not in self.order or h[3]:
                continue
            # who reports opens the header ("Мэрия Горловки", "Харківська ОВА", "Ministry of Energy, update ..."),
            # a headline tells what was hit ("Удар по мерії: ...", "Drone hits city council: ...")
            opens = all(w[:1].isupper() or not w[:1].isalpha() or _HEADER_ADJ.fullmatch(w)
                        for w in shown[:h[0]].split())
            if ((opens and self.header_categories.issuperset(t.categories))
                    or any(a <= h[0] and h[1] <= b for a, b in quoted)):
                h[3] = f"a source of the report: the header '{_snippet(shown, 0, end)}'"

    @staticmethod
    def _background_marks(hits, norm: str, shown: str | None = None) -> tuple[list[int], dict[int, str]]:
        """The sentence ends of ``norm`` and, per sentence after the first with a background cue, the
        cue as shown (``shown`` given) or ""."""
        ends = [m.end() for m in _SENTENCE_END.finditer(norm)]
        marks: dict[int, str] = {}
        for st, en, t, *_ in hits:
            if t.kind == BACKGROUND:
                marks.setdefault(bisect_right(ends, st), _snippet(shown, st, en) if shown is not None else "")
        marks.pop(0, None)
        return ends, marks

    def _background_matters(self, hits, norm: str) -> bool:
        """Whether the background rule can change anything in a text: a background cue after the first
        sentence, terms in its sentence and terms in another."""
        if not any(t.kind == BACKGROUND for _s, _e, t, *_ in hits):
            return False
        ends, marks = self._background_marks(hits, norm)
        sents = {bisect_right(ends, st) for st, _e, t, *_ in hits if t.kind in self.order}
        return bool(marks) and bool(sents & marks.keys()) and bool(sents - marks.keys())

    def _eventless(self, hits, norm: str) -> tuple[list[int], set[int]] | None:
        """(sentence ends, the sentences whose hits the event rule cancels) or None when it cancels none:
        see :meth:`_cancel_eventless`. ``hits`` as :meth:`_evidence` takes them or as the batch path's
        ``(start, end, term)``."""
        first = _EVENT_SENT.search(norm)
        if first is None or not any(h[0] >= first.end() and h[2].kind in self.order for h in hits):
            return None
        if norm.count(": ") > 1:
            return None                   # a structured record: its damage is told in a field of its own
        ends = [m.end() for m in _EVENT_SENT.finditer(norm)]
        sents = {bisect_right(ends, h[0]) for h in hits            # live hits (the batch path's have no h[3])
                 if h[2].kind in self.order and not (len(h) > 3 and h[3])}
        if len(sents) < 2:
            return None
        search, n = self._event_rx.search, len(ends)
        told = {k for k in sents if search(norm, ends[k - 1] if k else 0, ends[k] if k < n else len(norm))}
        if not told or told == sents:
            return None
        quiet = sents - told - {0}
        return (ends, quiet) if quiet else None

    def _cancel_eventless(self, hits: list[list], norm: str) -> None:
        """A sentence after the first that tells of no attack or damage (no word of ``[contexts] event``:
        hit, shelling, damaged, влучання, пошкоджено, обстрел ...) does not count when another sentence
        of the text tells one and names what was hit: "A drone hit a substation in Kharkiv. Hospitals are
        working on generators and schools have moved online." is energy only. The first sentence (a
        headline, a record's lead, a tracker's row) always counts, and so do all sentences when none or all
        of them tell an attack, and all sentences of a structured record (two or more "Field: " labels, whose
        damage has a field of its own)."""
        found = self._eventless(hits, norm)
        if found is None:
            return
        ends, quiet = found
        for h in hits:
            if bisect_right(ends, h[0]) in quiet and h[2].kind in self.order and not h[3]:
                h[3] = "no attack or damage told in its sentence"

    def _cancel_background(self, hits: list[list], norm: str, shown: str) -> None:
        """A sentence after the first that tells of an earlier event ("Earlier, in March, shelling
        damaged the school", "У 2022 році обстріл знищив водонапірну башту") is background: its terms do
        not count when another sentence of the text names what was hit. The first sentence (a headline,
        a record's lead) always counts, and so does a background sentence when it is all there is."""
        ends, marks = self._background_marks(hits, norm, shown)
        if not marks:
            return
        live = [h for h in hits if h[2].kind in self.order and not h[3]]
        if all(bisect_right(ends, h[0]) in marks for h in live):
            return
        for h in live:
            mark = marks.get(bisect_right(ends, h[0]))
            if mark is not None:
                h[3] = f"an earlier event ('{mark}')"

    def _cancel_source(self, hits: list[list], i: int, norm: str, shown: str, *, after: bool) -> None:
        """An attribution ("according to", "said", "за даними") next to a term of the source categories
        (the administrations, ministries, councils and police that news cites) makes that term the
        source of the report, not what was hit: "the city council said" or "according to the Interior
        Ministry" is not administrative; "a missile hit the city council, the mayor said" still is (a
        comma lies between). The nearest term on the cue's side, within ``window_source`` plain words."""
        st, en = hits[i][0], hits[i][1]
        for j in (range(i - 1, -1, -1) if after else range(i + 1, len(hits))):
            h = hits[j]
            if h[2].kind in _NOT_TERMS:
                continue
            gap = norm[h[1]:st] if after else norm[en:h[0]]
            if after:
                gap = _AUX_END.sub(" ", gap)  # "the prosecutor's office has opened"
            if (h[3] is False and set(h[2].categories) <= self.source_categories
                    and len(gap.split()) <= self.window_source and not _PUNCT_IN_GAP.search(gap)
                    and not _SOURCE_GAP_CLAUSE.search(gap)):
                h[3] = f"a source of the report: {'before' if after else 'after'} '{shown[st:en]}'"
            return

    def _cache_put(self, key, value) -> None:
        if len(self._text_cache) > 200_000:
            self._text_cache.clear()
        self._text_cache[key] = value

    # -- batches: the same results as the per-text methods, for a whole column at a time
    def text_evidence_many(self, texts: Sequence, langs: Sequence | None = None) -> list[tuple]:
        """:meth:`text_evidence` for many texts at once (same results, in order; identical
        ``(text, lang)`` pairs are scanned once and share their result: do not mutate it).

        The texts of one script group are normalised, joined with NUL characters and scanned by one
        regex call per match instead of one ``finditer`` per text, with the word-start check done in
        the regex engine's skip loop (see :func:`_compile_terms`). ``tests/unit/test_classify_batch.py``
        checks it against the per-text path on real texts.

        Example
        -------
        >>> [list(ev) for ev, _ in get_classifier().text_evidence_many(["Обстріляли школу", "", "a road"])]
        [['education'], [], []]
        """
        with _gc_paused():
            return self._text_evidence_many(texts, langs)

    def _text_evidence_many(self, texts: Sequence, langs: Sequence | None) -> list[tuple]:
        # distinct (text, lang) pairs; slot[i] = index of row i's pair
        seen: dict = {}
        sd = seen.setdefault
        if langs is None:
            try:
                slot = [sd(t, len(seen)) for t in texts]
            except TypeError:                 # an unhashable non-text value: it counts as empty
                return self._text_evidence_many([t if isinstance(t, str) else "" for t in texts], None)
            u_text = list(seen)
            u_lang: list = [None] * len(u_text)
        else:
            if len(langs) != len(texts):
                raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
            keys = [(t if isinstance(t, str) else "", lg if lg in _LANGS else None)
                    for t, lg in zip(texts, langs, strict=True)]
            slot = [sd(k, len(seen)) for k in keys]
            u_text = [k[0] for k in seen]
            u_lang = [k[1] for k in seen]
        m = len(u_text)
        blank: tuple = ({}, [])
        res: list[tuple] = [blank] * m
        norms: list[str] = [""] * m
        shown: list[str] = [""] * m
        groups: dict[str, list[int]] = {"en": [], "uk": [], "ru": [], "cyr": []}
        en_group = groups["en"]
        for k in range(m):
            t = u_text[k]
            if not isinstance(t, str) or not t or t.isspace():
                continue
            lg = u_lang[k]
            shown[k] = t
            if t.isascii():                   # normalize_text on ASCII: lower-case, ` -> '
                nt = t.lower()
                if "`" in nt:
                    nt = nt.replace("`", "'")
                norms[k] = nt
                if lg is None or lg == "en":  # detect_lang: no Cyrillic -> "en"
                    en_group.append(k)
                    continue
            else:
                nt = norms[k] = normalize_text(t)
                if len(nt) != len(t):
                    shown[k] = nt
                if lg is None:
                    lg = detect_lang(nt)
            groups[lg if lg in _LANGS else "cyr"].append(k)
        hits: list[list] = [[] for _ in range(m)]
        cued: set[int] = set()
        sourced: set[int] = set()
        for combo, idx in groups.items():
            for c0 in range(0, len(idx), _SCAN_CHUNK):    # bounded joined strings for big batches
                self._scan_group(combo, idx[c0:c0 + _SCAN_CHUNK], norms, hits, cued, sourced)
        # an attribution matters only where a term of the source categories is there to cancel, a
        # background cue only after the first sentence
        src = self.source_categories
        for k in sourced - cued:
            hs = hits[k]
            if ((any(t.kind in _SOURCES for _s, _e, t in hs)
                 and any(t.kind in self.order and src.issuperset(t.categories) for _s, _e, t in hs))
                    or self._background_matters(hs, norms[k])):
                cued.add(k)
        order = self.order
        for k in range(m):
            hs = hits[k]
            if not hs:
                if shown[k]:
                    res[k] = ({}, [])
                continue
            sh = shown[k]
            if k in cued or self._rules_matter(hs, norms[k]):
                # cancelling contexts, generic words, names, a header, eventless sentences: the per-text code
                res[k] = self._evidence([[st, en, t, False] for st, en, t in hs], norms[k], sh)
                continue
            ev: dict[str, list[str]] = {}
            notes: list[str] = []
            for st, en, t in hs:
                a = sh.rfind(" ", 0, st - 1 if st else 0)    # _snippet, inlined
                a = 0 if a < 0 or st - a > 30 else a + 1
                snip = " ".join(sh[a:en].split())[:80].replace("'", "’")
                if t.kind == NEUTRAL:
                    notes.append(f"'{snip}' (no category)")
                elif t.kind in order:
                    line = f"text '{snip}' (term '{t.pattern}')"
                    for c in t.categories:
                        lst = ev.get(c)
                        if lst is None:
                            ev[c] = [line]
                        elif len(lst) < 3:
                            lst.append(line)
            res[k] = (ev, notes)
        return [res[k] for k in slot]

    def _scan_group(self, combo: str, idx: list[int], norms: list[str], hits: list[list], cued: set[int],
                    sourced: set[int]) -> None:
        """Append to ``hits[k]`` the term hits ``(start, end, term)`` of ``norms[k]`` for each k in
        ``idx`` (texts of one script group) as :meth:`text_evidence` finds them; add k to ``cued``
        when a cancelling context or a generic word is among them, to ``sourced`` when an attribution or a
        background cue is (:data:`_DEFERRED`)."""
        parts = [norms[k] for k in idx]
        big = "\x00" + "\x00".join(parts)
        # bases[j]: where text j starts in ``big``; a NUL, like a text's start, is not a word character
        # and no term can match across it, so each text is scanned as if alone
        bases = list(accumulate([len(p) + 1 for p in parts], initial=1))
        rx = self._scan.get(combo)
        if rx is None:
            rx = self._scan[combo] = re.compile(self._scan_src[combo])
        search = rx.search
        resolve = self._resolve
        known = self._resolved[combo]
        miss = known.get                      # matched text -> term (or None), as _resolve says
        j = 0                                 # the text the last match was in
        b, nxt = bases[0], bases[1]
        m = search(big)
        while m is not None:
            st, en = m.span()
            st += 1                           # the consumed non-word character is not in the match
            s = big[st:en]
            t = miss(s, _MISSING)
            if t is _MISSING:
                t = resolve(combo, s)
                if len(known) < 500_000:
                    known[s] = t
            if t is not None:
                if st >= nxt:                 # a later text
                    j = bisect_right(bases, st, j) - 1
                    b, nxt = bases[j], bases[j + 1]
                k = idx[j]
                hits[k].append((st - b, en - b, t))
                if t.kind in _DEFERRED:
                    sourced.add(k)
                elif t.kind in _CUES or t.yields:
                    cued.add(k)
            m = search(big, en - 1)           # the next match may start right after this one
        extra = self._rx[combo][1]
        if not extra:
            return
        for k in idx:
            more = False
            for mm in _raw_matches(extra, norms[k]):
                t = resolve(combo, mm.group())
                if t is not None:
                    hits[k].append((mm.start(), mm.end(), t))
                    if t.kind in _DEFERRED:
                        sourced.add(k)
                    elif t.kind in _CUES or t.yields:
                        cued.add(k)
                    more = True
            if more:
                hits[k] = _longest_first(hits[k])

    def _labels_cached(self, labels, event_type) -> tuple[dict[str, list[str]], tuple | None]:
        """(:meth:`label_evidence`, its memo key or None), memoised on (labels, event type): read
        the evidence, never mutate it."""
        try:
            key = (tuple(labels), event_type)
            hit = self._label_cache.get(key)
        except TypeError:                     # unhashable labels: no memo
            return self.label_evidence(labels, event_type), None
        if hit is None:
            if len(self._label_cache) > 50_000:
                self._label_cache.clear()
                self._skeletons.clear()
            hit = self._label_cache[key] = self.label_evidence(labels, event_type)
        return hit, key

    def _skeleton(self, ev: dict, lev: dict, nearby: dict | None) -> list[tuple]:
        """What :meth:`classify` decides from which categories have text, label and proximity
        evidence: per assigned category (in order) ``(category, confidence, has text evidence,
        joined label lines or None, proximity line counted)``."""
        probs: dict[str, list[float]] = {}
        for c in ev:
            probs[c] = [self.p_text]
        for c, items in lev.items():
            for it in items:
                probs.setdefault(c, []).append(self.p_event if it.startswith("event type") else self.p_label)
        counted: set[str] = set()
        for c in nearby or {}:
            if c in probs or self.proximity_assigns:
                probs.setdefault(c, []).append(self.p_prox)
                counted.add(c)
        out = []
        for c in sorted(probs, key=lambda c: self.order.get(c, 99)):
            p = round(_combine(probs[c]), 4)
            if p >= self.assign or (self.proximity_assigns and c in (nearby or {})):
                out.append((c, p, c in ev, " + ".join(lev[c]) if c in lev else None, c in counted))
        return out

    def _skeleton_memo(self, ev: dict, lev: dict, nearby: dict | None, lkey: tuple | None) -> list[tuple]:
        """:meth:`_skeleton`, memoised when the label evidence has a memo key."""
        if lkey is None:
            return self._skeleton(ev, lev, nearby)
        mkey = (tuple(ev), lkey, tuple(nearby) if nearby else ())
        skel = self._skeletons.get(mkey)
        if skel is None:
            if len(self._skeletons) > 100_000:
                self._skeletons.clear()
            skel = self._skeletons[mkey] = self._skeleton(ev, lev, nearby)
        return skel

    def _decide(self, tev: tuple, lev: dict[str, list[str]], nearby: dict[str, str] | None,
                lkey: tuple | None = None) -> tuple[list[str], dict[str, float], dict[str, str]]:
        """Text evidence + label evidence + proximity -> (categories, confidence, evidence), exactly
        as :meth:`classify` combines them. ``lkey``: the memo key of ``lev`` (see _labels_cached)."""
        ev, notes = tev
        cats: list[str] = []
        conf: dict[str, float] = {}
        evid: dict[str, str] = {}
        if not lev and not nearby:            # text only: one p_text per category
            if ev:
                p = self._p_text1
                if p >= self.assign:
                    cats = sorted(ev, key=self.order.__getitem__) if len(ev) > 1 else list(ev)
                    for c in cats:
                        conf[c] = p
                        evid[c] = " + ".join(ev[c])
            if not cats and notes:
                evid[UNCLASSIFIED] = ", ".join(dict.fromkeys(notes))[:300]
            return cats, conf, evid
        for c, p, from_text, label_line, prox in self._skeleton_memo(ev, lev, nearby, lkey):
            line = _joined_line(ev[c] if from_text else None, label_line, nearby[c] if prox else None)
            cats.append(c)
            conf[c] = p
            evid[c] = line
        if not cats and notes:
            evid[UNCLASSIFIED] = ", ".join(dict.fromkeys(notes))[:300]
        return cats, conf, evid

    def _decide_many(self, texts: Sequence, labels: Sequence | None = None, langs: Sequence | None = None,
                     event_types: Sequence | None = None, nearby: Sequence | None = None) -> list[tuple]:
        n = len(texts)
        for name, col in (("labels", labels), ("langs", langs), ("event_types", event_types), ("nearby", nearby)):
            if col is not None and len(col) != n:
                raise ValueError(f"{n} texts but {len(col)} {name}")
        tevs = self.text_evidence_many(texts, langs)
        if labels is None and event_types is None and nearby is None:
            # text only (as _decide): one p_text per category
            p = self._p_text1
            assigns = p >= self.assign
            key = self.order.__getitem__
            out = []
            for ev, notes in tevs:
                if ev and assigns:
                    cs = sorted(ev, key=key) if len(ev) > 1 else list(ev)
                    out.append((cs, dict.fromkeys(cs, p), {c: " + ".join(ev[c]) for c in cs}))
                elif notes:
                    out.append(([], {}, {UNCLASSIFIED: ", ".join(dict.fromkeys(notes))[:300]}))
                else:
                    out.append(([], {}, {}))
            return out
        out = []
        decide = self._decide
        labels_cached = self._labels_cached
        no_labels: tuple = ({}, None)
        for i in range(n):
            lab = labels[i] if labels is not None else None
            et = event_types[i] if event_types is not None else None
            if not isinstance(et, str):
                et = None
            lev, lkey = labels_cached(() if lab is None else lab, et) if (lab is not None and len(lab)) or et \
                else no_labels
            out.append(decide(tevs[i], lev, nearby[i] if nearby is not None else None, lkey))
        return out

    def _frame_rows(self, texts: Sequence, labels: Sequence, langs: Sequence | None, event_types: Sequence,
                    nearby: Sequence) -> tuple[list[list[str]], list[float], list[str]]:
        """For :func:`classify_frame`: per row the categories, the highest confidence and
        :meth:`Result.evidence_line`, decided as :meth:`_decide` does (without its dicts)."""
        n = len(texts)
        tevs = self.text_evidence_many(texts, langs)
        cats_out: list[list[str]] = []
        confs = [0.0] * n
        lines = [""] * n
        p1 = self._p_text1
        text_assigns = p1 >= self.assign
        key = self.order.__getitem__
        heads: dict[tuple[str, float], str] = {}
        labels_cached = self._labels_cached
        skeleton = self._skeleton_memo
        no_labels: tuple = ({}, None)
        for i in range(n):
            ev, notes = tevs[i]
            lab = labels[i]
            et = event_types[i]
            if not isinstance(et, str):
                et = None
            near = nearby[i]
            lev, lkey = labels_cached(lab, et) if len(lab) or et else no_labels
            if not lev and not near:          # text only, as in _decide
                if ev and text_assigns:
                    cs = sorted(ev, key=key) if len(ev) > 1 else list(ev)
                    parts = []
                    for c in cs:
                        head = heads.get((c, p1))
                        if head is None:
                            head = heads[(c, p1)] = f"{c} ({p1:.2f}): "
                        parts.append(head + " + ".join(ev[c]))
                    cats_out.append(cs)
                    confs[i] = p1
                    lines[i] = parts[0] if len(parts) == 1 else "; ".join(parts)
                    continue
                cats_out.append([])
                if notes:
                    lines[i] = f"{UNCLASSIFIED}: " + ", ".join(dict.fromkeys(notes))[:300]
                continue
            cs = []
            parts = []
            best = 0.0
            for c, p, from_text, label_line, prox in skeleton(ev, lev, near, lkey):     # as in _decide
                line = _joined_line(ev[c] if from_text else None, label_line, near[c] if prox else None)
                head = heads.get((c, p))
                if head is None:
                    head = heads[(c, p)] = f"{c} ({p:.2f}): "
                cs.append(c)
                parts.append(head + line)
                if p > best:
                    best = p
            cats_out.append(cs)
            if cs:
                confs[i] = best
                lines[i] = parts[0] if len(parts) == 1 else "; ".join(parts)
            elif notes:
                lines[i] = f"{UNCLASSIFIED}: " + ", ".join(dict.fromkeys(notes))[:300]
        return cats_out, confs, lines

    def classify_many(self, texts: Sequence, labels: Sequence | None = None, langs: Sequence | None = None,
                      event_types: Sequence | None = None, nearby: Sequence | None = None) -> list[Result]:
        """:meth:`classify` for many records at once: the same results, several times faster.

        Parameters
        ----------
        texts : the descriptions (None or non-text = empty).
        labels, langs, event_types, nearby : per record (same length as ``texts``), or None for none.

        Example
        -------
        >>> [r.categories for r in get_classifier().classify_many(["A school was hit", "Ракета влучила в лікарню"])]
        [['education'], ['health']]
        """
        with _gc_paused():
            return [Result(c, p, e) for c, p, e in self._decide_many(texts, labels, langs, event_types, nearby)]

    def label_evidence(self, labels: Iterable[str] = (), event_type: str | None = None) -> dict[str, list[str]]:
        """Per category the evidence strings from a source's labels and event type.

        Example
        -------
        >>> get_classifier().label_evidence(["Type of area affected/School or childcare"])
        {'education': ["label: Bellingcat 'School or childcare'"]}
        """
        ev: dict[str, list[str]] = {}
        for lab in () if labels is None else labels:     # a list, tuple or numpy array (from a store)
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
    'within 35 m of a health facility (Hospital No. 1)'
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
    langs = df["lang"].tolist() if "lang" in df.columns else None
    near: list[dict] = [{}] * n
    if facilities is not None and n:
        ll = _lonlat(df)
        if ll is not None:
            near = facilities.nearby(*ll)
    labels = [lab if isinstance(lab, (list, tuple, np.ndarray)) else () for lab in labels]
    texts = [t if isinstance(t, str) else "" for t in texts]
    if langs is not None:
        langs = [lg if isinstance(lg, str) else None for lg in langs]
    with _gc_paused():
        cats_out, confs, ev_out = clf._frame_rows(texts, labels, langs, etypes, near)
        conf_out = np.array(confs, dtype=float)
    return pd.DataFrame({"categories": cats_out, "category_confidence": conf_out,
                         "category_evidence": pd.Series(ev_out, dtype="string", index=df.index)},
                        index=df.index)
