"""What the reading room's pages show, gathered from the knowledge base (the routes only render it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from veille.anchors import passage_path, source_link
from veille.errors import NotFoundError, QueryError
from veille.index.hits import Hit, SearchFilters
from veille.index.keywords import distinct_terms
from veille.index.records import DocRecord
from veille.kb import KnowledgeBase

PAGE_ZOOM = 1.5  # a PDF page's image, times its size in points: legible on a laptop, ~200 kB a page
OVERLAP_CHARS = 4000  # the end of a chunk its successor may repeat (the chunker carries ~50 tokens over)


class Segment(BaseModel):
    """A stretch of a document's text; the cited sentence, if it is in it, apart."""

    chunk_id: str
    before: str
    quote: str = ""
    after: str = ""
    href: str = Field(default="", description="The passage page at this chunk.")


class PassageView(BaseModel):
    """A document opened at a passage: a PDF page with the quote's boxes, or the text with the quote marked."""

    record: DocRecord
    chunk_id: str
    quote: str
    page: int | None = None
    pages: int | None = None
    width: float = 0.0
    height: float = 0.0
    boxes: list[dict[str, float]] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    original: str = Field(description="The source opened at the quote without the server.")
    has_file: bool = False


class Found(BaseModel):
    """One search hit as the search page shows it: the matching sentence apart from its neighbours."""

    hit: Hit
    before: str
    match: str
    after: str
    href: str


class FoundDocument(BaseModel):
    """A document's hits on the search page, best first."""

    doc_id: str
    title: str
    kind: str
    lang: str
    hits: list[Found]


def pdf_file(kb: KnowledgeBase, record: DocRecord) -> Path | None:
    """The PDF a paper was read from: its file, or the copy the arXiv source keeps by content hash."""
    if record.kind != "paper":
        return None
    local = Path(record.source)
    if local.suffix.lower() == ".pdf" and local.is_file():
        return local
    kept = kb.services.arxiv_store.pdf_path(record.content_hash) if record.content_hash else None
    return kept if kept is not None and kept.is_file() else None


def source_file(kb: KnowledgeBase, record: DocRecord) -> Path | None:
    """The file a document was read from, when it is on this machine (a PDF, a note)."""
    pdf = pdf_file(kb, record)
    if pdf is not None:
        return pdf
    local = Path(record.source)
    return local if not record.source.startswith(("http://", "https://")) and local.is_file() else None


def passage(kb: KnowledgeBase, doc_id: str, chunk_id: str | None, start: int | None, end: int | None,
            page: int | None) -> PassageView:
    """The document `doc_id` opened at a chunk (its first when none is named), the span [start, end) of that
    chunk marked; a PDF at `page` (default: the chunk's)."""
    record = kb.document(doc_id)
    if record is None:
        raise NotFoundError("no such document", source=doc_id)
    chunks = kb.chunks(doc_id)
    if not chunks:
        raise NotFoundError("the document has no stored text", source=doc_id)
    chunk = next((c for c in chunks if c["chunk_id"] == chunk_id), chunks[0] if chunk_id is None else None)
    if chunk is None:
        raise NotFoundError("no such passage in this document", source=chunk_id)
    text = chunk["text"]
    start, end = _span(text, start, end)
    quote = text[start:end]
    pdf = pdf_file(kb, record)
    view = PassageView(record=record, chunk_id=chunk["chunk_id"], quote=quote,
                       has_file=source_file(kb, record) is not None,
                       original=source_link(record.source, page or chunk.get("page_start"), quote,
                                            _arxiv_pdf(kb, record)))
    if pdf is not None:
        from veille.ingest.pdf_pages import locate  # PyMuPDF: when a page is asked for

        shown = page or _quote_page(chunk, start)
        found = locate(pdf, shown, quote) if quote else locate(pdf, shown, "")
        return view.model_copy(update={"page": shown, "pages": found.pages, "width": found.width,
                                       "height": found.height, "boxes": [b.model_dump() for b in found.boxes]})
    return view.model_copy(update={"segments": segments(chunks, chunk["chunk_id"], start, end, doc_id)})


def _span(text: str, start: int | None, end: int | None) -> tuple[int, int]:
    """A valid span of `text`: the one asked for, else nothing marked."""
    if start is None or end is None:
        return 0, 0
    if not 0 <= start < end <= len(text):
        raise QueryError(f"the span {start}-{end} is not in the passage ({len(text)} characters)", source="span")
    return start, end


def _quote_page(chunk: dict[str, Any], start: int) -> int:
    """The page a chunk's offset falls on (chunks record where their pages break)."""
    page = int(chunk.get("page_start") or 1)
    for offset, number in chunk.get("page_breaks") or []:
        if offset <= start:
            page = int(number)
    return page


def _arxiv_pdf(kb: KnowledgeBase, record: DocRecord) -> str | None:
    return f"{kb.settings.arxiv_pdf_url.rstrip('/')}/{record.arxiv_id}" if record.arxiv_id else None


def segments(chunks: list[dict[str, Any]], marked: str, start: int, end: int, doc_id: str) -> list[Segment]:
    """The document's text chunk by chunk, each chunk's overlap with the previous one left out, the span of
    the `marked` chunk apart (found in the previous chunk when it sits in the overlap)."""
    out: list[Segment] = []
    previous = ""
    for c in chunks:
        text, cut = c["text"], _overlap(previous, c)
        href = passage_path(doc_id, c["chunk_id"])
        if c["chunk_id"] == marked and end > start:
            quote = text[start:end]
            if start >= cut:
                out.append(Segment(chunk_id=c["chunk_id"], before=text[cut:start], quote=quote, after=text[end:],
                                   href=href))
                previous = text
                continue
            if out and quote in out[-1].before + out[-1].after:  # in the overlap: mark it where it was shown
                out[-1] = _marked(out[-1], quote)
        out.append(Segment(chunk_id=c["chunk_id"], before=text[cut:], href=href))
        previous = text
    return out


def _overlap(previous: str, chunk: dict[str, Any]) -> int:
    """Where a chunk's own text starts: after its leading sentences that end the previous chunk."""
    cut, tail = 0, previous[-OVERLAP_CHARS:]
    for a, b in chunk.get("sentences") or []:
        if not tail or chunk["text"][a:b] not in tail:
            break
        cut = b
    while cut < len(chunk["text"]) and chunk["text"][cut].isspace():
        cut += 1
    return cut


def _marked(segment: Segment, quote: str) -> Segment:
    text = segment.before + segment.quote + segment.after
    at = text.find(quote)
    return segment.model_copy(update={"before": text[:at], "quote": quote, "after": text[at + len(quote):]})


def search(kb: KnowledgeBase, query: str, filters: SearchFilters, k: int = 30) -> list[FoundDocument]:
    """The best passages for `query`, grouped by document in the order of each document's best, each with
    the sentence sharing most of the query's terms apart."""
    hits = kb.search(query, k=k, filters=filters)
    groups: dict[str, FoundDocument] = {}
    for hit in hits:
        if hit.doc_id not in groups:
            record = kb.document(hit.doc_id)
            groups[hit.doc_id] = FoundDocument(doc_id=hit.doc_id, title=hit.title or hit.source,
                                               kind=record.kind if record else "", lang=hit.lang, hits=[])
        groups[hit.doc_id].hits.append(_found(hit, query))
    return list(groups.values())


def _found(hit: Hit, query: str) -> Found:
    spans = hit.sentences or [(0, len(hit.text))]
    wanted = distinct_terms(query, hit.lang) | distinct_terms(query, "en")
    a, b = max(spans, key=lambda s: (len(distinct_terms(hit.text[s[0]:s[1]], hit.lang) & wanted), -s[0]))
    return Found(hit=hit, before=hit.text[max(0, a - 300):a], match=hit.text[a:b], after=hit.text[b:b + 300],
                 href=passage_path(hit.doc_id, hit.chunk_id, a, b, hit.page_start))
