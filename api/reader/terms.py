"""A text's terms as the reader weighs them: the keyword side's terms, loanwords read as English.

Korean notes on AI research keep most technical nouns as English written in Hangul: "추가 코퍼스" is
"additional corpus". The reader's lexical evidence compares a question's terms with a sentence's, so
without this a Korean question shares no term with the English paper that answers it, nor an English
question with the Korean note. The loanwords are listed in the language files ([loanwords]); the
keyword index itself is unchanged: this is the reader's reading.
"""

from __future__ import annotations

from functools import cache, lru_cache

from veille.index.keywords import distinct_terms, tokenize
from veille.languages import languages


@cache
def _stems() -> dict[str, str]:
    """Each loanword's English stem, as the keyword side stems English ("attention" → "attent")."""
    return {word: tokenize(english, "en")[0] for lang in languages()
            for word, english in lang.table("loanwords").items()}


def as_english(found: list[str]) -> list[str]:
    """The terms with each loanword replaced by the English stem it stands for."""
    stems = _stems()
    return [stems.get(t, t) for t in found]


def terms_of(text: str, lang: str) -> list[str]:
    """The keyword side's terms of `text` in `lang`, in order, loanwords read as English."""
    return as_english(tokenize(text, lang))


# An answer weighs a few hundred sentences of ~30 passages, and related questions meet the same ones
# again: tokenizing them (Kiwi for Korean, Snowball elsewhere) is most of the lexical side's time.
@lru_cache(maxsize=16384)
def sentence_terms(sentence: str, lang: str) -> frozenset[str]:
    """The distinct terms of a sentence (loanwords read as English)."""
    stems = _stems()
    return frozenset(stems.get(t, t) for t in distinct_terms(sentence, lang))
