"""What a quantity question counts, across the archive's languages: "몇 개의 토큰" is "tokens" in an
English paper, "how many languages" is "10개 언어" in a Korean note.

A figure's unit is the one word that tells the fact from the sentences around it, and it rarely
crosses languages through meaning alone (e5 puts Korean and English words for the same unit below
the cosine that tells French and English ones apart). The counted nouns of AI research are a small
closed class, listed in each language's file ([counted], veille/languages) under keys shared across
languages, as are the quantities a question may name instead ([quantities]: "batch size", "표준편차").
A sentence gives the asked unit or quantity when `gives_unit` or `gives_quantity` says so.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from veille.languages import merged, words
from veille.languages.scripts import HANGUL


@cache
def _counted() -> tuple[tuple[str, ...], ...]:
    return tuple(map(tuple, merged("counted").values()))


@cache
def _quantities() -> tuple[tuple[str, ...], ...]:
    return tuple(map(tuple, merged("quantities").values()))


@cache
def _measured_in() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern naming a quantity in any language, the unit it is counted in)."""
    return tuple((re.compile("|".join(ps), re.IGNORECASE), unit) for unit, ps in merged("measured_in").items())


@cache
def _korean_tail() -> re.Pattern[str]:
    """Particles and endings written onto a noun as a question writes it ("편이었나요")."""
    tails = [*words("particles"), *words("unit_endings")]
    return re.compile("(?:" + "|".join(map(re.escape, tails)) + ")$") if tails else re.compile(r"(?!)")


def _same(unit: str, word: str) -> bool:
    """Whether a unit as a question writes it is `word` (a plural or a particle aside)."""
    if unit == word:
        return True
    if HANGUL.match(word):  # Hangul words carry their particles
        return HANGUL.match(unit) is not None and _korean_tail().sub("", unit) == word
    return len(word) > 3 and unit.rstrip("sx") == word.rstrip("sx")


@lru_cache(maxsize=1024)
def across(unit: str) -> tuple[str, ...]:
    """The words for `unit` in every language (itself included), or just `unit` when it is not a counted noun."""
    found = [w for entry in _counted() if any(_same(unit, v) for v in entry) for w in entry]
    return tuple(dict.fromkeys([unit, *found]))


def measured_in(question: str) -> list[str]:
    """The units of the quantities the question names ("context length" → tokens), empty when none."""
    return [unit for pattern, unit in _measured_in() if pattern.search(question)]


def quantities_named(question: str) -> tuple[str, ...]:
    """The words, in every language, of each listed quantity the question names."""
    low = question.lower().replace("’", "'")
    return tuple(word for entry in _quantities() if any(_names(low, word) for word in entry) for word in entry)


def _names(text_low: str, phrase: str) -> bool:
    # particles stick to a Hangul noun ("표준편차는"): no boundary after Hangul
    after = "" if HANGUL.match(phrase[-1]) else r"(?![\w-])"
    return re.search(rf"(?<![\w-]){re.escape(phrase)}{after}", text_low) is not None


def known(word: str) -> tuple[str, ...] | None:
    """The words for `word` (itself included) when it is a listed counted noun, else None."""
    found = across(word.lower())
    return found if len(found) > 1 else None


def gives_quantity(names: tuple[str, ...], sentence: str) -> bool:
    """The named quantity followed by a figure in the same clause ("a batch size of 1024", "학습률은 0.001")."""
    return bool(names) and _quantity_pattern(names).search(sentence) is not None


@lru_cache(maxsize=256)
def _quantity_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")[^.;:!?\d]{0,40}?\d",
                      re.IGNORECASE)


def gives_unit(units: list[str], sentence: str) -> bool:
    """A figure followed (within two words) by one of `units`, singular or plural ("2 bits", "32 layers")."""
    return bool(units) and _unit_pattern(tuple(units)).search(sentence) is not None


@lru_cache(maxsize=256)
def _unit_pattern(units: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for all of a question's units, compiled once: the reader tries it on every candidate
    sentence, and a time question has twenty units."""
    stems: list[str] = []
    syllables: list[str] = []
    for unit in units:
        stem = re.escape(unit[:-1] if len(unit) > 3 and unit.endswith("s") else unit)
        # a one-syllable unit only right after the figure ("3일", not "3 일반")
        (syllables if len(unit) == 1 else stems).append(stem)
    # the unit word itself, with at most a plural or a particle after it ("ans", not "answers")
    tails = [r"\s*(?:[^\W\d]+\s+){0,2}(?:" + "|".join(stems) + r")\w{0,3}(?!\w)"] if stems else []
    # or after a generic counter: "6개의 층" answers "몇 개의 층"
    tails += [r"(?:(?:" + "|".join(words("generic_counters")) + ")" + _genitive() + r"?\s+)?(?:" + "|".join(syllables)
              + ")"] if syllables else []
    return re.compile(r"\d[\d,.]*(?:" + "|".join(tails) + ")", re.IGNORECASE)


def _genitive() -> str:
    found = words("genitive")
    return "(?:" + "|".join(map(re.escape, found)) + ")" if found else "(?!)"

