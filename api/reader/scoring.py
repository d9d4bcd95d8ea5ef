"""How well a sentence answers a question: meaning, shared terms, the question's names and numbers.

Dense similarity alone ranks a sentence *about* BLEU above the one *giving* the BLEU score; a
question's numbers and named entities, and whether it asks for a quantity, are what single out
the sentence that holds the fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

import numpy as np

from veille.languages import language, listed, words
from veille.languages.scripts import HANGUL_SYLLABLES
from veille.reader.question import Question, not_units
from veille.reader.settings import READER, ReaderSettings
from veille.reader.terms import sentence_terms
from veille.reader.units import gives_quantity, gives_unit, known

_DIGIT = re.compile(r"\d")
# A figure standing on its own ("91%", "28.4", "16,000", "338개", "576×", "175B"), not a digit buried
# in a URL, an identifier or a citation key. Korean writes counters and particles onto the figure ("6조",
# "128K까지"): a Hangul syllable may follow it. Asymptotic bounds ("O(N)", "Θ(N²d)") are how papers state
# memory and time.
_FIGURE_END = rf"(?![^\W{HANGUL_SYLLABLES}]|[/-])"  # no letter, digit, "/" or "-" after a figure; Hangul may follow
_MEASURE = re.compile(r"(?<![\w./:-])\d[\d,.]*[-–]\d[\d,.]*(?:\s?(?:%|×|[KMBT]))?" + _FIGURE_END + "|"  # "4-16%"
                      r"(?<![\w./:-])\d[\d,.]*(?:\s?(?:%|×|x|[KMBT]))?" + _FIGURE_END + "|"
                      r"(?<![\w./:-])\d[\d,.]*(?:%|×|[KMBT])|(?<!\w)[OΘΩ]\([^()\s]{1,12}\)")
_CLOSED = re.compile(r"[.!?…。？！:;][\"'»”)\]]*\s*$")
_TABLE_ROW = re.compile(r"\S\s*\|.*\|")  # "Quantification 4 bits | 4x | faible": a Markdown table's row
_AFTER_FIGURE = re.compile(r"\s*((?:[^\W\d_][\w'’-]*\s*){1,3})")


@cache
def _reference() -> re.Pattern[str]:
    """Figures that label or date a reference rather than measure anything: "Table 2", "Fig. 7", "§C.4",
    "(Lee et al., 2019)", "Hu et al., 2022", numbered citations "[5, 2, 35]" (labels: each language's)."""
    labels = "|".join(listed("patterns", "reference_labels"))
    return re.compile(r"\b(?:" + labels + r")\s*[A-Z]?\d+(?:\.\d+)*|§\s*[A-Z]?\d+(?:\.\d+)*|"
                      r"\bet al\.?,?\s*\(?(?:19|20)\d\d[a-z]?|\b[A-Z][\w-]+,\s*(?:19|20)\d\d[a-z]?(?=\s*[);\]])|"
                      r"\((?:19|20)\d\d[a-z]?\)|\[\d+(?:\s*[,–-]\s*\d+)*\]")


@cache
def _end() -> re.Pattern[str]:
    """What closes a statement: punctuation, or a syllable that ends a sentence ("…했다")."""
    return re.compile(r"[.!?:;。)\]" + "".join(words("closing_syllables")) + r"]\W*$")


def figure_phrases(sentence: str) -> list[str]:
    """The (up to three) words after each figure of the sentence: what it counts ("74 test errors")."""
    text = _reference().sub(" ", sentence)
    out = []
    for m in _MEASURE.finditer(text):
        words = _AFTER_FIGURE.match(text, m.end())
        phrase = words.group(1).strip() if words else ""
        first = phrase.split()[0].lower() if phrase else ""
        if len(first) > 2 and first not in not_units():  # "5 or 10 documents", "10 à 15": no unit after 5 or 10
            out.append(phrase)
    return out


def units_across(q: Question, sentences: list[tuple[str, str]], embed: Callable[[list[str]], np.ndarray],
                 cfg: ReaderSettings = READER) -> list[bool]:
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
        close |= {p for p, sim in zip(unsure, sims, strict=True) if sim >= cfg.unit_similarity}
    return [any(p in close for p in ps) for ps in phrases]


def _listed_match(q: Question, phrase: str) -> bool | None:
    """Whether a figure's words name the asked unit, when one of them is a listed counted noun; else None."""
    entries = [entry for word in phrase.split() if (entry := known(word))]
    return any(set(entry) & set(q.units) for entry in entries) if entries else None


_SEPARATORS = re.compile(r"[-._]")
_COMPOUND = re.compile(r"[-/]")


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


def names_absent(q: Question, texts: list[str], heads_only: bool = False) -> bool:
    """Whether the question names something (a name or an identifier, not a bare number) and none of the
    texts mentions any of it: then the archive does not cover its subject, however close the wording.

    Generous on purpose, since it refuses: a part of a compound name counts ("WSJ-only" → "wsj",
    "10-model" → "model"), and hyphens, dots and underscores are set aside ("GPT4" is "GPT-4"). With
    `heads_only`, a name's qualifying words count for nothing ("Large" of "Mistral Large 2")."""
    keys = {_SEPARATORS.sub("", k) for n in (q.heads if heads_only else q.names)
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
    return _MEASURE.search(_reference().sub(" ", text)) is not None


def _contains(text_low: str, token: str) -> bool:
    # ASCII boundaries only: Korean particles stick to names ("VoCo-LLaMA는") and must not hide them;
    # a plural is the same name ("8 NVIDIA H100 GPUs" names the GPU a question asks about)
    return re.search(rf"(?<![a-z0-9]){re.escape(token)}s?(?![a-z0-9])", text_low) is not None


def lexical(q: Question, sentence: str, passage: str, lang: str, document: tuple[str, ...] = (),
            document_names: float = READER.document_names) -> tuple[float, float]:
    """(share of the question's terms in the sentence, share of its names and numbers in the passage).

    Names count at the passage's level: the sentence that holds a fact often refers to its subject
    ("it achieved 74 test errors") while a sentence that only names it says nothing asked for. Those
    the passage lacks count as much as `document_names` times their share of `document` (the retrieved
    passages of the sentence's document): a paper calls itself by name in many passages and states what
    it does in others, while a note on many papers names each in one section only."""
    terms = q.terms and len(q.terms & sentence_terms(sentence, lang)) / len(q.terms)
    names = frozenset(q.salient)
    if not names:
        return float(terms or 0.0), 0.0
    held = _names_in(passage, names)
    share = len(held) / len(names)
    if document and len(held) < len(names):
        shares = _document_shares(document, names)
        share += document_names * sum(shares[n] for n in names - held) / len(names)
    return float(terms or 0.0), share


@lru_cache(maxsize=1024)
def _document_shares(document: tuple[str, ...], names: frozenset[str]) -> dict[str, float]:
    """Each name's share of the document's passages that hold it (callers only read the dict)."""
    held = [_names_in(passage, names) for passage in document]
    return {name: sum(name in h for h in held) / len(document) for name in names}


@lru_cache(maxsize=8192)
def _names_in(passage: str, names: frozenset[str]) -> frozenset[str]:
    low = passage.lower()
    return frozenset(s for s in names if _contains(low, s))


def gives_asked(q: Question, text: str) -> bool:
    """A figure in the unit the question counts in, or after the quantity it names."""
    return gives_unit(q.units, text) or gives_quantity(q.quantities, text)


def evidence_score(q: Question, sentence: str, passage: str, lang: str, rank: int, *, unit_meant: bool = False,
                   paged: bool = False, document: tuple[str, ...] = (), cfg: ReaderSettings = READER) -> float:
    """Everything but meaning: shared terms, names and numbers, a figure for a quantity question, hit rank.

    `unit_meant`: a figure of the sentence is followed by words that mean the asked unit in another
    language (see `units_across`). `paged`: the sentence comes from a paged document (a PDF), whose
    prose closes its sentences, so an open one is a table row, a caption or a line a float cut; a
    Markdown table's row weighs as little. `document`: see `lexical`. The weights are `cfg`'s."""
    terms, salient = lexical(q, sentence, passage, lang, document, cfg.document_names)
    unit = cfg.w_unit if unit_meant or gives_asked(q, sentence) else 0.0
    quantity = cfg.w_quantity if q.quantitative and has_measure(sentence) and (unit or not q.duration) else 0.0
    debris = (paged and not _CLOSED.search(sentence)) or _TABLE_ROW.search(sentence) is not None
    states = cfg.w_heading * is_heading(sentence) + cfg.w_open * debris  # what a title, a label or debris lacks
    return cfg.w_terms * terms + cfg.w_salient * salient + quantity + unit + cfg.w_prior / rank - states


def is_heading(sentence: str) -> bool:
    """Short and without a closing mark: a title or a label rather than a statement."""
    return len(sentence.split()) <= 12 and not _end().search(sentence.strip())


def translation_gap(question_lang: str, sentence_lang: str) -> float:
    """How much lower e5-small scores a sentence's translation into `sentence_lang` than the sentence itself,
    for a question in `question_lang` (each language file's [translation_gap], measured)."""
    found = language(question_lang)
    return float(found.table("translation_gap").get(sentence_lang, 0.0)) if found else 0.0


def ranking_scores(q: Question, langs: list[str], scores: np.ndarray) -> np.ndarray:
    """The scores to rank sentences by: one in another language than the question's gets back what a
    translation loses in cosine (`translation_gap`), so that a Korean note stating the fact competes with
    English sentences that only share the question's wording. Only ranking: whether anything answers at
    all still reads the scores themselves (given back there too, off-topic questions get answers)."""
    return scores + np.asarray([translation_gap(q.lang, lang) for lang in langs], np.float32)


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
