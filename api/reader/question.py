"""What a question asks: its terms, names and figures, and the unit or quantity it counts in.

The words and patterns are each language's (veille/languages: question words, how a question asks for
a quantity or a duration, the nouns it counts in); this module only combines them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from veille.index.keywords import morpheme_languages
from veille.ingest.language import detect_language
from veille.languages import any_of, language, languages, words
from veille.languages.scripts import HANGUL
from veille.reader.terms import terms_of
from veille.reader.units import across, measured_in, quantities_named

_SALIENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-+%]*")
_DIGIT = re.compile(r"\d")
NUMBER = re.compile(r"[\d.,%]+")


@cache
def _quantity_question() -> re.Pattern[str]:
    return any_of("quantity_question", re.IGNORECASE)


@cache
def _duration_question() -> re.Pattern[str]:
    """A question about time ("how long did training take", "combien de temps") counts in time units: a
    figure in one of them is the answer, a figure in another unit is not."""
    return any_of("duration_question", re.IGNORECASE)


@cache
def _unit_questions() -> tuple[tuple[re.Pattern[str], bool], ...]:
    """Each language's pattern for the unit a quantity question counts in ("how many layers", "combien de
    bits", "몇 개의"), and whether that language puts the noun first."""
    return tuple((re.compile(p["unit_question"], re.IGNORECASE), bool(p.get("unit_noun_first")))
                 for p in (lang.table("patterns") for lang in languages()) if "unit_question" in p)


@cache
def _counted_phrases() -> tuple[re.Pattern[str], ...]:
    """Patterns of a question that counts with a generic counter ("몇 개의 동일한 레이어로"): the noun phrase
    after it is what is counted ("동일한 레이어"); the counter alone would favour any count."""
    return tuple(re.compile(p["counted_phrase"]) for p in (lang.table("patterns") for lang in languages())
                 if "counted_phrase" in p)


@cache
def not_units() -> frozenset[str]:
    """Function words that can follow a question word or a figure without being a unit."""
    return frozenset(words("not_units"))


@cache
def _generic_counters() -> frozenset[str]:
    return frozenset(words("generic_counters"))


@cache
def _weak_capitals() -> frozenset[str]:
    return frozenset(words("weak_capitals"))


@lru_cache(maxsize=8)
def _not_terms(lang: str) -> frozenset[str]:
    """Words that ask rather than say ("how many", "combien", "몇"): a sentence sharing them shares nothing
    asked for. A French question is also tokenized as English (to meet English passages on shared stems),
    which would keep its function words ("de", "la", "pour") as English terms: they go too."""
    asking = words("asking")
    own = language(lang)
    stop = own.words("stop") if own is not None and lang != "en" else []
    text = " ".join([*asking, *stop])
    # Kiwi tags "몇" as a numeral only before a counter: the words themselves go too
    return frozenset(t for tokens_lang in {lang, "en"} for t in terms_of(text, tokens_lang)) | set(asking)


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
    quantities: tuple[str, ...] = ()  # the named quantity's words in every language ("batch size", "표준편차")

    @property
    def names(self) -> frozenset[str]:
        """The names and identifiers the question gives: its salient tokens but bare numbers."""
        return frozenset(s for s in self.salient if not NUMBER.fullmatch(s))

    @property
    def heads(self) -> frozenset[str]:
        """The names that head a name of several words: "Mistral" of "Mistral Large 2", whose later words
        qualify it (a passage on "T5-large" does not speak of Mistral Large)."""
        return self.names - _qualifiers(self.text, self.salient)


def _salient(text: str) -> set[str]:
    """Numbers, identifiers and capitalised names, lower-cased ("GPT-4o", "40%", "OPT", "Llama").

    A capitalised first word counts only in a question written in a script without case (Hangul:
    "Transformer의 디코더는…"): elsewhere it is capitalised because it opens the sentence."""
    out = set()
    caseless = bool(HANGUL.search(text))
    for i, m in enumerate(_SALIENT.finditer(text)):
        word = m.group().rstrip(".-")
        low = word.lower()
        has_digit = bool(_DIGIT.search(word))
        capital = word[:1].isupper() and (i > 0 or caseless or word.isupper() or any(c.isupper() for c in word[1:]))
        if (has_digit or capital) and low not in _weak_capitals() and len(low) > 1:
            out.add(low)
    return out


def _qualifiers(text: str, salient: set[str]) -> set[str]:
    """Salient words that follow another salient word with only a space between them."""
    out: set[str] = set()
    previous: re.Match[str] | None = None
    for m in _SALIENT.finditer(text):
        low = m.group().rstrip(".-").lower()
        if previous is not None and previous.group().rstrip(".-").lower() in salient and low in salient \
                and text[previous.end():m.start()].isspace():
            out.add(low)
        previous = m
    return out


def profile(question: str, lang: str | None = None) -> Question:
    """Terms, salient tokens and quantity cue of a question."""
    lang = lang or detect_language(question, min_letters=8)
    terms = set(terms_of(question, lang))
    if lang not in morpheme_languages():
        terms |= set(terms_of(question, "en"))  # a French question meets English passages on shared stems
    terms -= _not_terms(lang)
    salient = _salient(question)
    # Names are scored as salient tokens; counting them as terms too would make every sentence that
    # merely names the subject outrank the one that answers about it.
    terms -= {t for s in salient for t in {*terms_of(s, "en"), *terms_of(s, lang)}}  # Kiwi splits "H100"
    units, phrases = _units_asked(question, salient)
    duration = bool(_duration_question().search(question))
    counted = next((m for pattern in _counted_phrases() if (m := pattern.search(question))), None)
    if counted:
        units = [u for u in units if u not in _generic_counters()] + _counted_words(counted.group("phrase"))
        phrases = [counted.group("phrase")]
    if units:  # "몇 개의": the counter belongs to the question word; as a term it would favour any "6개"
        terms -= _generic_counters()
    units += measured_in(question)  # "longueur de contexte" counts in tokens
    units = [word for unit in dict.fromkeys(units) for word in across(unit)]  # "토큰" also means "tokens", "jetons"
    units += words("duration_units") if duration else []
    quantities = quantities_named(question)
    return Question(text=question, lang=lang, terms=terms, salient=salient,
                    quantitative=bool(_quantity_question().search(question) or units or quantities), units=units,
                    duration=duration, unit_phrases=tuple(phrases), quantities=quantities)


def _counted_words(phrase: str) -> list[str]:
    """The counted noun of a phrase, and the noun before it when that one carries the genitive ("몇 개 언어의
    문서": the documents of how many languages, where the languages count as much as the documents)."""
    found = phrase.lower().split()
    genitive = next((g for g in words("genitive") if len(found) > 1 and found[0].endswith(g)), None)
    return [found[0][:-len(genitive)], found[-1]] if genitive else found[-1:]


def _units_asked(question: str, salient: set[str]) -> tuple[list[str], list[str]]:
    """The words a quantity question counts in, and the phrases that word the unit.

    A name after the noun is not part of it: in "combien d'articles CiteSeerX…", "CiteSeerX" says whose
    articles. English may put the noun second ("how many test errors"); a language that puts it first
    may have an adjective after it ("mémoire supplémentaire") or already the verb ("combien de paramètres
    contient"): both readings are phrases."""
    units: list[str] = []
    phrases: list[str] = []
    found = sorted(((m.start(), noun_first, m) for pattern, noun_first in _unit_questions()
                    for m in pattern.finditer(question)), key=lambda f: f[0])
    for _, noun_first, m in found:
        noun, after = ((m.groupdict().get(g) or "").lower() for g in ("noun", "after"))
        asked = [u for u in (noun, "" if after in salient else after) if u and u not in not_units()]
        units += asked
        if asked:
            phrases += [" ".join(asked)] + (asked[:1] if len(asked) > 1 and noun_first else [])
    return units, phrases
