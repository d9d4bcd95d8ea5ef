"""How well a sentence answers a question: meaning, shared terms, the question's names and numbers.

Dense similarity alone ranks a sentence *about* BLEU above the one *giving* the BLEU score; a
question's numbers and named entities, and whether it asks for a quantity, are what single out
the sentence that holds the fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from veille.engines.loanwords import terms_of
from veille.engines.units import (
    KOREAN_PARTICLES,
    across,
    gives_quantity,
    gives_unit,
    known,
    measured_in,
    quantities_named,
)
from veille.index.sparse import STOP_WORDS
from veille.ingest.lang import detect_language

_SALIENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-+%]*")
_DIGIT = re.compile(r"\d")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# A figure standing on its own ("91%", "28.4", "16,000", "338개", "576×", "175B"), not a digit buried
# in a URL, an identifier or a citation key.
# Korean writes counters and particles onto the figure ("6조", "128K까지"): a Hangul syllable may follow it.
# Asymptotic bounds ("O(N)", "Θ(N²d)") are how papers state memory and time.
_FIGURE_END = r"(?![^\W\uac00-\ud7a3]|[/-])"  # no letter, digit, "/" or "-" after a figure, but Hangul may follow
_MEASURE = re.compile(r"(?<![\w./:-])\d[\d,.]*[-–]\d[\d,.]*(?:\s?(?:%|×|[KMBT]))?" + _FIGURE_END + "|"  # "4-16%"
                      r"(?<![\w./:-])\d[\d,.]*(?:\s?(?:%|×|x|[KMBT]))?" + _FIGURE_END + "|"
                      r"(?<![\w./:-])\d[\d,.]*(?:%|×|[KMBT])|(?<!\w)[OΘΩ]\([^()\s]{1,12}\)")
_QUANTITY = re.compile(
    r"\b(how (many|much|large|big|long|fast|high|low)|(what|which) ([\w-]+ ){0,2}(score|ratio|percentage|accuracy|"
    r"number|size|rate|compression|speed-?up|cost|precision|length)|up to what|combien|"
    r"quel(le)?s? ([\w-]+ ){0,2}(score|taux|précision|ratio|nombre|taille|coût|pourcentage|compression|gain|longueur|"
    r"durée))\b|몇|얼마|비율|점수|정확도|크기|길이", re.IGNORECASE)
# The unit a quantity question counts in: "how many layers", "how many retrieved passages",
# "combien de bits", "몇 개의". The two words after the cue are kept: either may be the noun.
_UNIT_ASKED = re.compile(r"\b(?:how many\s+|combien d(?:e\s+|['’]))([^\W_][\w-]+)(?:\s+([^\W\d_]{3,}))?|"
                         r"몇\s*([^\W\d_]+?)[의를을이가은는]?(?!\w)", re.IGNORECASE)
# A question about time ("how long did training take", "combien de temps", "얼마나 오래") counts in
# time units: a figure in one of them is the answer, a figure in another unit is not.
_DURATION_ASKED = re.compile(r"\b(?:how long|how much time|combien de temps|quelle durée|en combien de temps)\b|"
                             r"얼마나 오래|기간|시간이 얼마", re.IGNORECASE)
DURATION_UNITS = ["seconds", "minutes", "hours", "days", "weeks", "months", "years", "secondes", "heures",
                  "jours", "semaines", "mois", "ans", "초", "분", "시간", "일", "주", "개월", "년"]
_NOT_UNITS = frozenset("are is was were do does did have has had can could will would the of in on to at for and or "
                       "than with from per de du des le la les en sont est ont a et ou à par sur pour avec".split())
# Figures that label or date a reference rather than measure anything: "Table 2", "Fig. 7", "§C.4",
# "(Lee et al., 2019)", "Hu et al., 2022", numbered citations "[5, 2, 35]".
_REFERENCE = re.compile(r"\b(?:Tables?|Tab\.|Figures?|Figs?\.|Sections?|Sec\.|Eq\.|Equations?|Appendix|Annexe|"
                        r"Algorithm|Theorem|Lemma|Tableau|표|그림)\s*[A-Z]?\d+(?:\.\d+)*|§\s*[A-Z]?\d+(?:\.\d+)*|"
                        r"\bet al\.?,?\s*\(?(?:19|20)\d\d[a-z]?|\b[A-Z][\w-]+,\s*(?:19|20)\d\d[a-z]?(?=\s*[);\]])|"
                        r"\((?:19|20)\d\d[a-z]?\)|\[\d+(?:\s*[,–-]\s*\d+)*\]")
_WEAK_CAPS = frozenset("what which who how when where why the a an in on of for is are does do did "
                       "quel quelle quels quelles que qui comment combien selon dans le la les un une "
                       "des du de est sont".split())
_END = re.compile(r"[.!?:;。)\]다요죠]\W*$")
W_TERMS, W_SALIENT, W_QUANTITY, W_PRIOR = 0.25, 0.15, 0.15, 0.03
W_HEADING = 0.10  # a title names the subject but states nothing
W_OPEN = 0.10  # a PDF line without closing punctuation is debris (a table row, a caption), not a statement
_CLOSED = re.compile(r"[.!?…。？！:;][\"'»”)\]]*\s*$")
_TABLE_ROW = re.compile(r"\S\s*\|.*\|")  # "Quantification 4 bits | 4x | faible": a Markdown table's row
W_UNIT = 0.10  # a figure given in the unit the question counts in is the fact itself
# A name the sentence's passage lacks counts this much of one it holds, times the share of its document's
# retrieved passages that hold it: a paper calls itself by name in many passages ("Retro") and states what it
# does in others ("we retrieve from 600B tokens"), while a note on many papers names each in one section only.
# Over the 111 questions of ../shared/eval and benchmarks/ (onnx-int8), 0.7 and 1.0 answered two more (b10,
# y06) and lost none; a flat half credit, whatever the share, did as well here but lifted a multi-paper
# note's other sections above the paper a Korean question named (n21).
DOCUMENT_NAMES = 0.7
# Cosine (e5 passage vectors) above which the words after a figure mean the asked unit in another
# language. Measured on French/English pairs: translations 0.91-0.96 ("erreurs" / "test errors",
# "mémoire supplémentaire" / "extra memory"), other units 0.86-0.88 ("erreurs" / "layers",
# "échantillons positifs" / "negative samples"). Korean/English word pairs sit lower on both sides
# and rarely reach it: there, meaning is left to the sentence's own similarity.
UNIT_SIMILARITY = 0.90
# "몇 개의 동일한 레이어로" counts with a generic counter: the noun phrase after it, up to the word that
# carries a case particle, is what is counted ("동일한 레이어", "H100 GPU"); "개" alone would favour any count.
_KOREAN_COUNTED = re.compile(r"몇\s*(?:개|가지|종류)의?\s+((?:[\w-]+\s+)?[^\W\d_]+?)"
                             "(?:" + "|".join([*KOREAN_PARTICLES, "마다"]) + r")(?!\w)")
_GENERIC_COUNTERS = frozenset({"개", "가지", "종류"})
_AFTER_FIGURE = re.compile(r"\s*((?:[^\W\d_][\w'’-]*\s*){1,3})")


# Words that ask rather than say ("how many", "combien", "몇"): a sentence sharing them shares nothing asked
# for ("during", which the English stop list lacks, no more). A French question is also tokenized as English
# (to meet English passages on shared stems), which would keep its function words ("de", "la", "pour") as
# English terms.
_ASKING = ("how many much what which who whom whose when where why during combien quel quelle quels quelles "
           "comment pourquoi quand lequel laquelle lesquels lesquelles 몇 어떤 어느 무엇 얼마나 언제 어디 누구 왜")


@lru_cache(maxsize=8)
def _not_terms(lang: str) -> frozenset[str]:
    words = _ASKING + (" " + " ".join(STOP_WORDS.get(lang, ())) if lang != "en" else "")
    # Kiwi tags "몇" as a numeral only before a counter: the words themselves go too
    return frozenset(t for tokens_lang in {lang, "en"} for t in terms_of(words, tokens_lang)) | set(_ASKING.split())


@dataclass
class Question:
    """What the scorer needs to know about a question."""

    text: str
    lang: str
    terms: set[str] = field(default_factory=set)
    salient: set[str] = field(default_factory=set)
    quantitative: bool = False
    units: list[str] = field(default_factory=list)
    duration: bool = False  # asks how long: only a figure in a time unit answers
    unit_phrases: tuple[str, ...] = ()  # the asked unit as the question words it ("erreurs", "동일한 레이어")
    quantities: tuple[str, ...] = ()  # the named quantity's words in three languages ("batch size", "표준편차")

    @property
    def names(self) -> frozenset[str]:
        """The names and identifiers the question gives: its salient tokens but bare numbers."""
        return frozenset(s for s in self.salient if not _NUMBER.fullmatch(s))


def _salient(text: str) -> set[str]:
    """Numbers, identifiers and capitalised names, lower-cased ("GPT-4o", "40%", "OPT", "Llama").

    A capitalised first word counts only in a Korean question ("Transformer의 디코더는…"): elsewhere it
    is capitalised because it opens the sentence."""
    out = set()
    korean = bool(_HANGUL.search(text))
    for i, m in enumerate(_SALIENT.finditer(text)):
        word = m.group().rstrip(".-")
        low = word.lower()
        has_digit = bool(_DIGIT.search(word))
        capital = word[:1].isupper() and (i > 0 or korean or word.isupper() or any(c.isupper() for c in word[1:]))
        if (has_digit or capital) and low not in _WEAK_CAPS and len(low) > 1:
            out.add(low)
    return out


def profile(question: str, lang: str | None = None) -> Question:
    """Terms, salient tokens and quantity cue of a question."""
    lang = lang or detect_language(question, min_letters=8)
    terms = set(terms_of(question, lang))
    if lang != "ko":
        terms |= set(terms_of(question, "en"))  # a French question meets English passages on shared stems
    terms -= _not_terms(lang)
    salient = _salient(question)
    # Names are scored as salient tokens; counting them as terms too would make every sentence that
    # merely names the subject outrank the one that answers about it.
    terms -= {t for s in salient for t in {*terms_of(s, "en"), *terms_of(s, lang)}}  # Kiwi splits "H100"
    units, phrases = _units_asked(question, salient)
    duration = bool(_DURATION_ASKED.search(question))
    counted = _KOREAN_COUNTED.search(question)
    if counted:
        words = counted.group(1).lower().split()
        # "몇 개 언어의 문서": the documents of how many languages: a noun with 의 counts as much as its head
        counted_words = [words[0][:-1], words[-1]] if len(words) > 1 and words[0].endswith("의") else words[-1:]
        units = [u for u in units if u not in _GENERIC_COUNTERS] + counted_words
        phrases = [counted.group(1)]
    if units:  # "몇 개의": the counter belongs to the question word; as a term it would favour any "6개"
        terms -= _GENERIC_COUNTERS
    units += measured_in(question)  # "longueur de contexte" counts in tokens
    units = [word for unit in dict.fromkeys(units) for word in across(unit)]  # "토큰" also means "tokens", "jetons"
    units += DURATION_UNITS if duration else []
    quantities = quantities_named(question)
    return Question(text=question, lang=lang, terms=terms, salient=salient,
                    quantitative=bool(_QUANTITY.search(question) or units or quantities), units=units,
                    duration=duration, unit_phrases=tuple(phrases), quantities=quantities)


def _units_asked(question: str, salient: set[str]) -> tuple[list[str], list[str]]:
    """The words a quantity question counts in, and the phrases that word the unit.

    A name after the noun is not part of it: in "combien d'articles CiteSeerX…", "CiteSeerX" says whose
    articles. English may put the noun second ("how many test errors"); French puts it first, and the
    word after is an adjective ("mémoire supplémentaire") or already the verb ("combien de paramètres
    contient"): both readings are phrases."""
    units: list[str] = []
    phrases: list[str] = []
    for m in _UNIT_ASKED.finditer(question):
        noun, after, korean = (u.lower() if u else "" for u in m.groups())
        words = [u for u in (noun, "" if after in salient else after, korean) if u and u not in _NOT_UNITS]
        units += words
        if words:
            phrases += [" ".join(words)] + (words[:1] if len(words) > 1 and m.group().lower().startswith("combien")
                                             else [])
    return units, phrases


def figure_phrases(sentence: str) -> list[str]:
    """The (up to three) words after each figure of the sentence: what it counts ("74 test errors")."""
    text = _REFERENCE.sub(" ", sentence)
    out = []
    for m in _MEASURE.finditer(text):
        words = _AFTER_FIGURE.match(text, m.end())
        phrase = words.group(1).strip() if words else ""
        first = phrase.split()[0].lower() if phrase else ""
        if len(first) > 2 and first not in _NOT_UNITS:  # "5 or 10 documents", "10 à 15": no unit after 5 or 10
            out.append(phrase)
    return out


def units_across(q: Question, sentences: list[tuple[str, str]], embed: Callable[[list[str]], np.ndarray]) -> list[bool]:
    """For each (sentence, language): whether, in a language other than the question's, a figure of it is
    followed by words that mean the asked unit. The unit patterns only see the question's own words, so
    "74 test errors" would never answer "combien d'erreurs" without this; one embedding call (cached)."""
    if not q.unit_phrases or q.duration:
        return [False] * len(sentences)
    phrases = [figure_phrases(text) if lang != q.lang else [] for text, lang in sentences]
    flat = sorted({p for ps in phrases for p in ps})
    # a listed noun in both the question and the phrase decides without meaning (nothing to embed)
    listed = {p: _listed_match(q, p) for p in flat} if any(known(u) for u in q.units) else {}
    close = {p for p, match in listed.items() if match}
    unsure = [p for p in flat if listed.get(p) is None]
    if unsure:
        vecs = embed([*q.unit_phrases, *unsure])
        n = len(q.unit_phrases)
        sims = (vecs[n:] @ vecs[:n].T).max(axis=1)
        close |= {p for p, sim in zip(unsure, sims, strict=True) if sim >= UNIT_SIMILARITY}
    return [any(p in close for p in ps) for ps in phrases]


def _listed_match(q: Question, phrase: str) -> bool | None:
    """Whether a figure's words name the asked unit, when one of them is a listed counted noun; else None."""
    entries = [entry for word in phrase.split() if (entry := known(word))]
    return any(set(entry) & set(q.units) for entry in entries) if entries else None


_SEPARATORS = re.compile(r"[-._]")
_COMPOUND = re.compile(r"[-/]")
_NUMBER = re.compile(r"[\d.,%]+")


def named_document(q: Question, documents: dict[str, tuple[str, ...]]) -> str | None:
    """The document the question names: of those whose retrieved passages hold every name and identifier
    the question gives (bare numbers aside), the one naming them in most of its passages (the paper a
    name stands for, not a note that mentions it once), the first retrieved on a tie; None when the
    question names nothing or no document holds all."""
    names = q.names
    if not names:
        return None
    found: list[tuple[float, str]] = []
    for doc, passages in documents.items():
        held = [_names_in(passage, names) for passage in passages]
        if frozenset().union(*held) == names:
            found.append((sum(h == names for h in held) / len(held), doc))
    return max(found, key=lambda f: f[0])[1] if found else None  # max keeps the first of equals


def names_absent(q: Question, texts: list[str]) -> bool:
    """Whether the question names something (a name or an identifier, not a bare number) and none of the
    texts mentions any of it: then the archive does not cover its subject, however close the wording.

    Generous on purpose, since it refuses: a part of a compound name counts ("WSJ-only" → "wsj",
    "10-model" → "model"), and hyphens, dots and underscores are set aside ("GPT4" is "GPT-4"). Over
    ../shared/corpus, 87 of 300 off-topic questions (BEIR's scifact-en, piaf-fr, korquad-ko) name nothing
    the retrieved passages hold, 11 of them answered by sentence scores alone; none of the 111 questions
    the corpus answers (102 with names) does."""
    keys = {_SEPARATORS.sub("", k) for n in q.names
            for k in [n, *(p for p in _COMPOUND.split(n) if len(p) >= 3 and not p.isdigit())]}
    keys.discard("")
    if not keys:
        return False
    text = _SEPARATORS.sub("", "\n".join(texts).lower())
    return not any(re.search(rf"(?<![a-z0-9]){re.escape(k)}", text) for k in keys)


@lru_cache(maxsize=16384)
def has_measure(text: str) -> bool:
    """Whether the text states a figure of its own (not a digit inside an identifier or a URL, nor a
    table number or a citation's year). Kept for the sentences seen last: an answer asks it of each of
    a few hundred candidates, and related questions meet the same ones."""
    if _DIGIT.search(text) is None and "(" not in text:  # neither a figure nor a bound such as "O(N)"
        return False
    return _MEASURE.search(_REFERENCE.sub(" ", text)) is not None


def _contains(text_low: str, token: str) -> bool:
    # ASCII boundaries only: Korean particles stick to names ("VoCo-LLaMA는") and must not hide them;
    # a plural is the same name ("8 NVIDIA H100 GPUs" names the GPU a question asks about)
    return re.search(rf"(?<![a-z0-9]){re.escape(token)}s?(?![a-z0-9])", text_low) is not None


def lexical(q: Question, sentence: str, passage: str, lang: str, document: tuple[str, ...] = ()) -> tuple[float, float]:
    """(share of the question's terms in the sentence, share of its names and numbers in the passage).

    Names count at the passage's level: the sentence that holds a fact often refers to its subject
    ("it achieved 74 test errors") while a sentence that only names it says nothing asked for. Those
    the passage lacks count as much as DOCUMENT_NAMES times their share of `document` (the retrieved
    passages of the sentence's document)."""
    terms = q.terms and len(q.terms & _terms(sentence, lang)) / len(q.terms)
    names = frozenset(q.salient)
    if not names:
        return float(terms or 0.0), 0.0
    held = _names_in(passage, names)
    share = len(held) / len(names)
    if document and len(held) < len(names):
        shares = _document_shares(document, names)
        share += DOCUMENT_NAMES * sum(shares[n] for n in names - held) / len(names)
    return float(terms or 0.0), share


@lru_cache(maxsize=1024)
def _document_shares(document: tuple[str, ...], names: frozenset[str]) -> dict[str, float]:
    """Each name's share of the document's passages that hold it (callers only read the dict)."""
    held = [_names_in(passage, names) for passage in document]
    return {name: sum(name in h for h in held) / len(document) for name in names}


# An answer weighs a few hundred sentences of ~30 passages, and related questions meet the same ones
# again: tokenizing them (Kiwi for Korean, Snowball elsewhere) was ~70 % of an answer's time.
@lru_cache(maxsize=16384)
def _terms(sentence: str, lang: str) -> frozenset[str]:
    return frozenset(terms_of(sentence, lang))


@lru_cache(maxsize=8192)
def _names_in(passage: str, names: frozenset[str]) -> frozenset[str]:
    low = passage.lower()
    return frozenset(s for s in names if _contains(low, s))


def gives_asked(q: Question, text: str) -> bool:
    """A figure in the unit the question counts in, or after the quantity it names."""
    return gives_unit(q.units, text) or gives_quantity(q.quantities, text)


def evidence_score(q: Question, sentence: str, passage: str, lang: str, rank: int, *, unit_meant: bool = False,
                   paged: bool = False, document: tuple[str, ...] = ()) -> float:
    """Everything but meaning: shared terms, names and numbers, a figure for a quantity question, hit rank.

    `unit_meant`: a figure of the sentence is followed by words that mean the asked unit in another
    language (see `units_across`). `paged`: the sentence comes from a paged document (a PDF), whose
    prose closes its sentences, so an open one is a table row, a caption or a line a float cut; a
    Markdown table's row weighs as little. `document`: see `lexical`."""
    terms, salient = lexical(q, sentence, passage, lang, document)
    unit = W_UNIT if unit_meant or gives_asked(q, sentence) else 0.0
    quantity = W_QUANTITY if q.quantitative and has_measure(sentence) and (unit or not q.duration) else 0.0
    debris = (paged and not _CLOSED.search(sentence)) or _TABLE_ROW.search(sentence) is not None
    states = W_HEADING * is_heading(sentence) + W_OPEN * debris  # what a title, a label or debris lacks
    return W_TERMS * terms + W_SALIENT * salient + quantity + unit + W_PRIOR / rank - states


def is_heading(sentence: str) -> bool:
    """Short and without a closing mark: a title or a label rather than a statement."""
    return len(sentence.split()) <= 12 and not _END.search(sentence.strip())


# How much lower e5-small scores a sentence's translation than the sentence itself, by (question language,
# sentence language): benchmarks/language_gap.py over 500 Tatoeba pairs each (onnx-int8, BENCHMARKS.md).
# French and Korean were not measured against each other: the larger Korean gap stands for both.
TRANSLATION_GAP = {("en", "fr"): 0.043, ("fr", "en"): 0.066, ("en", "ko"): 0.062, ("ko", "en"): 0.088,
                   ("fr", "ko"): 0.088, ("ko", "fr"): 0.088}


def ranking_scores(q: Question, langs: list[str], scores: np.ndarray) -> np.ndarray:
    """The scores to rank sentences by: one in another language than the question's gets back what a
    translation loses in cosine (TRANSLATION_GAP), so that a Korean note stating the fact competes with
    English sentences that only share the question's wording. Only ranking: whether anything answers at
    all still reads the scores themselves (given back there too, 6 more of 300 off-topic questions got an
    answer)."""
    return scores + np.asarray([TRANSLATION_GAP.get((q.lang, lang), 0.0) for lang in langs], np.float32)


def score_sentences(q_vec: np.ndarray, vecs: np.ndarray, evidence: list[float]) -> np.ndarray:
    """One score per sentence: cosine to the question plus its lexical evidence."""
    if not len(evidence):
        return np.zeros(0, np.float32)
    return (vecs @ q_vec + np.asarray(evidence, np.float32)).astype(np.float32)


def mmr(scores: np.ndarray, vecs: np.ndarray, k: int, *, lam: float = 0.75, margin: float = 0.12) -> list[int]:
    """Up to k indices by maximal marginal relevance, never further than `margin` below the best score."""
    if not len(scores):
        return []
    chosen: list[int] = []
    best = float(scores.max())
    while len(chosen) < k:
        redundancy = (vecs @ vecs[chosen].T).max(axis=1) if chosen else np.zeros(len(scores))
        value = lam * scores - (1 - lam) * redundancy
        value[chosen] = -np.inf
        value[scores < best - margin] = -np.inf
        i = int(np.argmax(value))
        if value[i] == -np.inf or (chosen and redundancy[i] > 0.97):
            break
        chosen.append(i)
    return chosen
