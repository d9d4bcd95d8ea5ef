"""Glosses a text gives of its own terms: "지식 증류(knowledge distillation)", "Distillation de modèle (Model
Distillation)", "미세 조정 (fine-tuning)". Notes on research write the English term beside their own all
the time; collected from every ingested text, they make a glossary the archive teaches itself, which
carries a query's terms into the archive's other languages.

This module finds the candidates: a parenthesis holding a short gloss, and the spans of words before
it that may be the term it glosses (a term of one to a few words, so several spans). Which span the
gloss translates, if any, is the embedding model's call (veille.glossary), not this module's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from veille.languages.scripts import HANGUL

# "term (gloss)" where the gloss is one to five words, letters only: not a citation "(Lee et al., 2019)",
# a figure "(8×)", an aside "(see Table 2)" or an acronym "(DMS)"
_PAREN = re.compile(r"([^\s(][^()\n]{0,80}?)\s?\(([^\W\d_](?:[^\W\d_]|['’ -]){1,50}[^\W\d_])\)")
_WORD = re.compile(r"[^\W_][\w'’-]*")
_ACRONYM = re.compile(r"^[A-Z0-9-]{2,10}s?$")
MAX_TERM_WORDS = 5


@dataclass(frozen=True)
class GlossCandidate:
    """A gloss and the spans before it that may be the term it glosses, longest last."""

    gloss: str
    spans: tuple[str, ...]


def candidates(text: str) -> list[GlossCandidate]:
    """Every "term (gloss)" in `text` whose two sides may be two languages' words for one thing."""
    out: list[GlossCandidate] = []
    for m in _PAREN.finditer(text):
        gloss = " ".join(m.group(2).split())
        words = gloss.split()
        if _ACRONYM.match(gloss) or len(words) > MAX_TERM_WORDS or "et al" in gloss:
            continue
        before = _WORD.findall(m.group(1))[-(len(words) + 2):]
        spans = tuple(dict.fromkeys(" ".join(before[-n:]) for n in range(1, len(before) + 1)))
        spans = tuple(s for s in spans if _differ(s, gloss))
        if spans:
            out.append(GlossCandidate(gloss, spans))
    return out


def _differ(term: str, gloss: str) -> bool:
    """Two ways of writing one thing, not one written twice ("Transformer (transformers)")."""
    a, b = term.lower(), gloss.lower()
    if a.rstrip("s") == b.rstrip("s") or a in b or b in a:
        return False
    return bool(HANGUL.search(term)) != bool(HANGUL.search(gloss)) or set(a.split()) != set(b.split())
