"""Keyword side: language-aware tokens → BM25-weighted sparse vectors (Qdrant applies the IDF).

French: elision ("l'", "d'"), accent folding, Snowball stemming. English: Snowball (Porter2).
Korean: morphemes from kiwipiepy (content words only). Identifiers such as "GPT-4o",
"Llama-3.1" or "2506.05345" are kept whole as well as split.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import zlib
from collections import Counter
from functools import cache, lru_cache
from typing import Any

import snowballstemmer

from veille.ingest.language import detect_language
from veille.languages import common, language, languages
from veille.languages.scripts import HANGUL

_IDENT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-.:/][A-Za-z0-9]+)+(?![A-Za-z0-9])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
K1, B, AVGDL = 1.2, 0.75, 120.0  # BM25's usual constants; changing them changes every stored sparse vector


@cache
def stop_words(lang: str) -> frozenset[str]:
    """The words no index term is made of, in `lang` (English's for a language without a list)."""
    found = language(lang)
    listed = found.words("stop") if found else []
    return frozenset(listed) if listed else (stop_words("en") if lang != "en" else frozenset())


@cache
def _stemmer_name(lang: str) -> str | None:
    found = language(lang)
    return (found.data["language"].get("snowball") if found else None) or common()["snowball"].get(lang)


@cache
def _elision(lang: str) -> re.Pattern[str] | None:
    found = language(lang)
    pattern = found.data["language"].get("elision") if found else None
    return re.compile(pattern, re.IGNORECASE) if pattern else None


@cache
def _morphemes() -> dict[str, Any]:
    """How the keyword side reads the language written in Hangul, as morphemes: its [keywords] table."""
    return next((lang.table("keywords") for lang in languages() if lang.table("keywords")), {})


@cache
def morpheme_languages() -> frozenset[str]:
    """Languages the keyword side reads as morphemes (a [keywords] table) rather than stems."""
    return frozenset(lang.code for lang in languages() if lang.table("keywords"))


def fold(text: str) -> str:
    """Lowercase and strip accents (é → e) for Latin scripts."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


# The server tokenizes queries from several threads: a Snowball stemmer keeps the word it works on in
# itself, so each thread has its own; Kiwi is loaded once and used by one thread at a time.
_LOCAL = threading.local()
_KIWI_LOCK = threading.Lock()


def _stemmer(lang: str) -> snowballstemmer.Stemmer | None:
    stemmers: dict[str, snowballstemmer.Stemmer] = _LOCAL.__dict__.setdefault("stemmers", {})
    name = _stemmer_name(lang)
    if name and name not in stemmers:
        stemmers[name] = snowballstemmer.stemmer(name)
    return stemmers[name] if name else None


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    from kiwipiepy import Kiwi  # loads a ~100 MB model: only when Korean shows up
    return Kiwi()


def _latin_tokens(text: str, lang: str) -> list[str]:
    elision = _elision(lang)
    text = elision.sub(" ", text) if elision else text
    return [t for t in (_term(lang, w) for w in _WORD.findall(text)) if t is not None]


@lru_cache(maxsize=200_000)
def _term(lang: str, word: str) -> str | None:
    """A word's index term (folded, stemmed), None for a stop word. Kept per word: an archive's
    vocabulary is small beside its text, and folding then stemming every occurrence was most of
    the time an ingest spent on its sparse side and an answer on weighing its candidate sentences."""
    folded = fold(word)
    if folded in stop_words(lang):
        return None
    if folded.isdigit():
        return folded
    stemmer = _stemmer(lang if _stemmer_name(lang) else "en")
    assert stemmer is not None
    return str(stemmer.stemWord(folded))


def _korean_tokens(text: str) -> list[str]:
    """Content morphemes; Latin-script words inside Korean text go through the English path,
    so 'Benchmarking' in a Korean summary meets 'benchmark' in an English question."""
    out = []
    table = _morphemes()
    keep, verbs = set(table.get("morpheme_tags", ())), set(table.get("verb_tags", ()))
    with _KIWI_LOCK:
        tokens = _kiwi().tokenize(text)
    for tok in tokens:
        tag = tok.tag.split("-")[0]
        if tag == table.get("latin_tag"):
            out.extend(_latin_tokens(tok.form, "en"))
        elif tag in keep:
            out.append(tok.form + table.get("verb_ending", "") if tag in verbs else tok.form)
    return out


def tokenize(text: str, lang: str | None = None) -> list[str]:
    """Index terms of `text` in language `lang` (detected when None)."""
    lang = lang or detect_language(text)
    idents = [fold(m) for m in _IDENT.findall(text) if re.search(r"\d|[A-Z].*[A-Z]", m)]
    korean = lang in morpheme_languages() or HANGUL.search(text)
    return idents + (_korean_tokens(text) if korean else _latin_tokens(text, lang))


@lru_cache(maxsize=16384)
def distinct_terms(text: str, lang: str) -> frozenset[str]:
    """The distinct index terms of `text` in `lang` (kept for the texts seen last: answers and digests weigh
    the same sentences again and again)."""
    return frozenset(tokenize(text, lang))


def term_index(term: str) -> int:
    """Stable 32-bit index of a term (a vocabulary-free hashing trick)."""
    return zlib.crc32(term.encode("utf-8"))


def _merge(counts: Counter[int]) -> tuple[list[int], list[float]]:
    items = sorted(counts.items())
    return [i for i, _ in items], [float(v) for _, v in items]


def encode_document(text: str, lang: str | None) -> tuple[list[int], list[float]]:
    """Sparse vector of a passage: BM25 term-frequency saturation (IDF is Qdrant's job)."""
    return encode_terms(tokenize(text, lang))


def encode_terms(terms: list[str]) -> tuple[list[int], list[float]]:
    """Sparse vector of a passage's terms, in order (BM25 saturation and length normalisation)."""
    tf = Counter(term_index(t) for t in terms)
    norm = K1 * (1 - B + B * len(terms) / AVGDL)
    weights: Counter[int] = Counter({i: n * (K1 + 1) / (n + norm) for i, n in tf.items()})
    return _merge(weights)


def encode_query(text: str, lang: str | None = None) -> tuple[list[int], list[float]]:
    """Sparse vector of a query: each distinct term once.

    Latin-script queries are also stemmed the English way, so a French question still meets
    the English technical terms that French notes are full of.
    """
    lang = lang or detect_language(text)
    terms = set(tokenize(text, lang))
    if lang != "en" and lang not in morpheme_languages() and not HANGUL.search(text):
        terms |= set(tokenize(text, "en"))
    return encode_query_terms(terms)


def encode_query_terms(terms: set[str]) -> tuple[list[int], list[float]]:
    """Sparse vector of a query's distinct terms (weight 1 each)."""
    return _merge(Counter({term_index(t): 1 for t in terms}))
