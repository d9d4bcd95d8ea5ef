"""Retrieved passages → candidate sentences (verbatim spans) and the citations built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from veille.anchors import anchor
from veille.index.hits import Hit
from veille.ingest.sentence_split import split_sentences
from veille.reader.answer import Citation
from veille.reader.scoring import has_measure

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 12  # shorter pieces are headings, labels or formula debris
MAX_CHARS = 700  # longer "sentences" are tables or run-on extraction artefacts


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, located by offsets so its quote stays verbatim."""

    hit: Hit
    start: int
    end: int

    @property
    def text(self) -> str:
        """The sentence exactly as stored."""
        return self.hit.text[self.start:self.end]

    @property
    def passage(self) -> str:
        """The document's title and the passage the sentence comes from: what names its subject (a sentence
        that states the fact often says "it" or "the model" where the passage names it)."""
        return passage_of(self.hit)

    @property
    def page(self) -> int | None:
        """The page the sentence starts on."""
        return self.hit.page_at(self.start)


def passage_of(hit: Hit) -> str:
    """The hit's passage under its document's title."""
    return f"{hit.title or ''}\n{hit.text}"


@lru_cache(maxsize=8192)
def _spans(text: str, lang: str) -> list[tuple[int, int]]:
    """Offsets of each sentence in `text` (the splitter only strips, it never rewrites).

    Kept for the texts seen last: every answer splits the passages it reads, the same passages
    come back for related questions, and pysbd takes ~10 ms a passage (half the cost of an answer).
    Callers only read the list."""
    spans, pos = [], 0
    for piece in split_sentences(text, lang):
        start = text.find(piece, pos)
        if start < 0:  # defensive: a splitter that altered the text gives no quotable span
            continue
        spans.append((start, start + len(piece)))
        pos = start + len(piece)
    return spans


def sentence_spans(hit: Hit) -> list[tuple[int, int]]:
    """Offsets of the hit's sentences: as chunking cut them when the store kept them, else split now."""
    return hit.sentences or _spans(hit.text, hit.lang)


ENDED = re.compile(r"[.!?…。？！][\"'»”)\]]*\s*$")
LIST_MARK = re.compile(r"^\s*(?:[-•*–]|\d{1,2}[.)])\s+")  # a list item's marker: "- …", "• …", "1. …"
_LOWER_START = re.compile(r"\s*[a-zà-öø-ÿ]")


def _whole(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Spans with a piece that goes on with an unfinished sentence folded into it: a splitter cut at
    a line or block break ('We propose FlashAttention,' / 'an IO-aware exact attention algorithm…')."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and _LOWER_START.match(text[start:end]) and not ENDED.search(text[out[-1][0]:out[-1][1]]):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


@lru_cache(maxsize=32768)  # every answer asks it of the few hundred sentences of its passages
def _quotable(sentence: str) -> bool:
    letters = len(_LETTER.findall(sentence))
    return letters >= MIN_LETTERS and len(sentence) <= MAX_CHARS and letters / len(sentence) > 0.45


def candidates(hits: list[Hit]) -> list[Candidate]:
    """Quotable sentences of the hits, best hit first; a sentence repeated by chunk overlap appears once."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for hit in hits:
        for start, end in _whole(sentence_spans(hit), hit.text):
            marker = LIST_MARK.match(hit.text[start:end])  # a list item is quoted from its first word
            start += marker.end() if marker and start + marker.end() < end else 0
            sentence = hit.text[start:end]
            key = " ".join(sentence.split()).lower()
            if key not in seen and _quotable(sentence):
                seen.add(key)
                out.append(Candidate(hit, start, end))
    return out


def documents(hits: list[Hit]) -> dict[str, tuple[str, ...]]:
    """Per document, its retrieved passages (each under the title, as `Candidate.passage`): how often the
    document names a thing beyond the passage a sentence comes from (see relevance.lexical)."""
    texts: dict[str, list[str]] = {}
    for hit in hits:
        texts.setdefault(hit.doc_id, []).append(passage_of(hit))
    return {doc: tuple(parts) for doc, parts in texts.items()}


def continued(cand: Candidate, wants_figure: bool, quoted_apart: frozenset[tuple[str, int]] = frozenset(),
              most: int = 4) -> Candidate:
    """The sentence with what follows when the fact is there: the list or sentence a colon announces,
    or, when the question asks for a figure the sentence lacks, the next sentence that gives it. A
    sentence in `quoted_apart` ((chunk id, start) of other citations) is not taken in."""
    text, end, listing = cand.hit.text, cand.end, False
    for start, stop in [s for s in _whole(sentence_spans(cand.hit), text) if s[0] >= cand.end][:most]:
        quoted, piece = text[cand.start:end].rstrip(), text[start:stop]
        announced = quoted.endswith(":") or (listing and bool(LIST_MARK.match(piece)))
        figure_next = end == cand.end and wants_figure and not has_measure(quoted) and has_measure(piece)
        if (cand.hit.chunk_id, start) in quoted_apart or not (announced or figure_next) \
                or stop - cand.start > 2 * MAX_CHARS:
            break
        listing, end = listing or (announced and bool(LIST_MARK.match(piece))), stop
    return replace(cand, end=end)


def link(source: str, arxiv_id: str | None) -> str:
    """Where a reader opens the document: the arXiv page for papers, else the stored path or URL."""
    return f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else source


def citation(n: int, cand: Candidate, score: float) -> Citation:
    """The citation numbered `n` that quotes `cand`."""
    h = cand.hit
    return Citation(n=n, doc_id=h.doc_id, chunk_id=h.chunk_id, title=h.title, source=h.source,
                    url=link(h.source, h.arxiv_id), arxiv_id=h.arxiv_id, page=cand.page, section=h.section,
                    quote=cand.text, start=cand.start, score=round(float(score), 4), lang=h.lang,
                    anchor=anchor(h.doc_id, h.chunk_id, cand.page, cand.start, cand.end))
