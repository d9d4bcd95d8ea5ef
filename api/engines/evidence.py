"""Retrieved passages → candidate sentences (verbatim spans) and the citations built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from veille.engines.models import Citation
from veille.index.models import Hit
from veille.ingest.sentences import split_sentences

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 12  # shorter pieces are headings, labels or formula debris
MAX_CHARS = 700  # longer "sentences" are tables or run-on extraction artefacts


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, located by offsets so its quote stays verbatim."""

    hit: Hit
    start: int
    end: int
    context_start: int  # start of the sentence before it in the same passage (names often sit there)

    @property
    def text(self) -> str:
        """The sentence exactly as stored."""
        return self.hit.text[self.start:self.end]

    @property
    def context(self) -> str:
        """The sentence with the one before it."""
        return self.hit.text[self.context_start:self.end]

    @property
    def page(self) -> int | None:
        """The page the sentence starts on."""
        return self.hit.page_at(self.start)


def _spans(text: str, lang: str) -> list[tuple[int, int]]:
    """Offsets of each sentence in `text` (the splitter only strips, it never rewrites)."""
    spans, pos = [], 0
    for piece in split_sentences(text, lang):
        start = text.find(piece, pos)
        if start < 0:  # defensive: a splitter that altered the text gives no quotable span
            continue
        spans.append((start, start + len(piece)))
        pos = start + len(piece)
    return spans


def _quotable(sentence: str) -> bool:
    letters = len(_LETTER.findall(sentence))
    return letters >= MIN_LETTERS and len(sentence) <= MAX_CHARS and letters / len(sentence) > 0.45


def candidates(hits: list[Hit]) -> list[Candidate]:
    """Quotable sentences of the hits, best hit first; a sentence repeated by chunk overlap appears once."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for hit in hits:
        prev = 0
        for start, end in _spans(hit.text, hit.lang):
            sentence = hit.text[start:end]
            key = " ".join(sentence.split()).lower()
            if key not in seen and _quotable(sentence):
                seen.add(key)
                out.append(Candidate(hit, start, end, prev))
            prev = start
    return out


def link(source: str, arxiv_id: str | None) -> str:
    """Where a reader opens the document: the arXiv page for papers, else the stored path or URL."""
    return f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else source


def citation(n: int, cand: Candidate, score: float) -> Citation:
    """The citation numbered `n` that quotes `cand`."""
    h = cand.hit
    return Citation(n=n, doc_id=h.doc_id, chunk_id=h.chunk_id, title=h.title, source=h.source,
                    url=link(h.source, h.arxiv_id), arxiv_id=h.arxiv_id, page=cand.page, section=h.section,
                    quote=cand.text, start=cand.start, score=round(float(score), 4), lang=h.lang)
