"""The glossary the archive teaches itself: pairs of terms its texts give as translations of each other,
and a query carried into the archive's other languages through them.

At ingest, each "term (gloss)" candidate of a document (veille.ingest.glossary) whose two sides are in
two languages makes a pair kept in the document's record (see `mine`). The glossary is every pair
of every stored document, counted, with the documents that give it; it grows and shrinks with the
archive. At search time, a query naming a term of a pair gets the other term beside it, on the dense
side (the query and its variants embedded, their mean searched) and on the keyword side (their terms).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from veille.index.records import DocRecord
from veille.ingest.glossary import candidates
from veille.languages import language
from veille.languages.scripts import HANGUL, LATIN, LATIN_WORDS

Embed = Callable[[list[str]], np.ndarray]
ACROSS_SCRIPTS = 0.78  # cosine below which a Hangul term and its Latin gloss are not taken for one thing
SAME_SCRIPT = 0.90  # the same for two Latin-script terms, whose cosines run higher
MAX_CANDIDATES = 400  # a document's candidates weighed at most


def mine(texts: Iterable[str], embed: Embed, lang: str) -> list[tuple[str, str]]:
    """The (term, gloss) pairs of a document in `lang`.

    A gloss in another script than the text before it (Hangul and Latin) glosses as many words as it has
    ("지식 증류(knowledge distillation)", "미세 조정(fine-tuning)"). Two Latin-script sides must be two
    languages: one writes the document language's function words or accents, the other does not
    ("Distillation de modèle (Model Distillation)"), and the span closest in meaning is the term; an
    English document's parentheses are asides and acronyms, not translations. The embedding model then
    only vetoes what is plainly unrelated (short strings all sit close in its space)."""
    chosen: list[tuple[str, str, float]] = []
    found = [c for text in texts for c in candidates(text)][:MAX_CANDIDATES]
    pending: list[tuple[str, list[str], float]] = []
    for c in found:
        across = bool(HANGUL.search(c.gloss)) != bool(HANGUL.search(c.spans[0]))
        if across:
            spans = _fitting(c.gloss, c.spans)
            if spans:
                pending.append((c.gloss, spans, ACROSS_SCRIPTS))
        elif lang != "en":
            spans = [s for s in c.spans if _two_languages(s, c.gloss, lang)]
            if spans:
                pending.append((c.gloss, spans, SAME_SCRIPT))
    if not pending:
        return []
    texts_ = sorted({t for gloss, spans, _ in pending for t in (gloss, *spans)})
    vecs = dict(zip(texts_, embed(texts_), strict=True))
    for gloss, spans, floor in pending:
        sims = [float(vecs[s] @ vecs[gloss]) for s in spans]
        best = int(np.argmax(sims))
        if sims[best] >= floor:
            chosen.append((spans[best], gloss, sims[best]))
    return list(dict.fromkeys((term, gloss) for term, gloss, _ in chosen))


def _fitting(gloss: str, spans: tuple[str, ...]) -> list[str]:
    """The span before a gloss that translates it across scripts: the longest with no more words than the
    gloss (counted across hyphens: "제로-샷" is "zero-shot"; embeddings of short strings favour the shortest,
    "조정" over "미세 조정" for "fine-tuning"), when it is in the other script alone: Hangul words for a Latin
    gloss, Latin words for a Hangul one ("𝜽sft" or "New 최근 …" gloss nothing)."""
    hangul_gloss = bool(HANGUL.search(gloss))
    if not hangul_gloss and not LATIN_WORDS.match(gloss):
        return []

    def other_script(text: str) -> bool:
        return LATIN_WORDS.match(text) is not None if hangul_gloss else LATIN.search(text) is None

    fitting = [s for s in spans if _parts(s) <= _parts(gloss)]
    longest = max(fitting, key=_parts, default=None)  # spans grow leftwards: the longest holds the others
    return [longest] if longest is not None and other_script(longest) else []


def _parts(text: str) -> int:
    return len([w for w in re.split(r"[\s-]+", text) if w])


def _two_languages(term: str, gloss: str, lang: str) -> bool:
    """Whether one side is in the document's language and the other is not: it alone writes that language's
    function words or the letters that mark it (its language file's `stop` and `marked_letters`)."""
    own = language(lang)
    stop = set(own.words("stop")) if own else set()
    letters = set("".join(own.words("marked_letters"))) if own else set()

    def marked(text: str) -> bool:
        low = text.lower()
        return bool(stop & set(low.split())) or bool(letters & set(low))
    return marked(term) != marked(gloss)


@dataclass
class Entry:
    """Two terms the archive gives as one thing, in how many documents, and which."""

    term: str
    gloss: str
    count: int = 0
    doc_ids: list[str] = field(default_factory=list)


@dataclass
class Glossary:
    """Every pair of every stored document."""

    entries: list[Entry] = field(default_factory=list)

    def lookup(self, text: str) -> list[Entry]:
        """The entries one of whose terms `text` holds (whole words; a Hangul term anywhere, as particles
        stick to it), most given first."""
        low = text.lower()
        return sorted((e for e in self.entries if _holds(low, e.term.lower()) or _holds(low, e.gloss.lower())),
                      key=lambda e: -e.count)

    def variants(self, query: str, most: int = 3) -> list[str]:
        """The query with each term it holds put in the other language, one variant per entry."""
        out: list[str] = []
        low = query.lower()
        for e in self.lookup(query)[:most]:
            source, target = (e.term, e.gloss) if _holds(low, e.term.lower()) else (e.gloss, e.term)
            variant = re.sub(re.escape(source), target, query, flags=re.IGNORECASE)
            if variant != query and variant not in out:
                out.append(variant)
        return out


def _holds(text_low: str, term_low: str) -> bool:
    if HANGUL.search(term_low):
        return term_low in text_low
    return re.search(rf"(?<![\w-]){re.escape(term_low)}(?![\w-])", text_low) is not None


def glossary(records: Iterable[DocRecord]) -> Glossary:
    """The archive's glossary, from the pairs kept in its documents' records."""
    entries: dict[tuple[str, str], Entry] = {}
    for record in records:
        for term, gloss in record.glossary:
            key = (term.lower(), gloss.lower())
            entry = entries.setdefault(key, Entry(term, gloss))
            if record.doc_id not in entry.doc_ids:  # a document writing a pair twice vouches for it once
                entry.count += 1
                entry.doc_ids.append(record.doc_id)
    return Glossary(sorted(entries.values(), key=lambda e: (-e.count, e.term.lower())))
