"""The data that flows through ingest: Block → Document → Chunk."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

BlockKind = Literal["heading", "paragraph", "list", "table", "code", "quote", "caption"]
# What a passage is to a reader: the body; the bibliography; or front matter (authors, affiliations, e-mails,
# acknowledgements, footnote marks, a saved page's navigation and byline). Only the body is searched by default.
Role = Literal["body", "references", "front_matter"]
ROLES: tuple[Role, ...] = ("body", "references", "front_matter")
DocKind = Literal["paper", "note", "record"]


class Block(BaseModel):
    """A structural unit of a document: a paragraph, a heading, a list, a table..."""

    text: str = Field(description="The block's text, cleaned, without trailing whitespace.")
    kind: BlockKind = Field(default="paragraph", description="What sort of block this is.")
    page: int | None = Field(default=None, description="1-based page number (PDFs only).")
    section: list[str] = Field(
        default_factory=list, description="Headings above this block, outermost first."
    )
    references: bool = Field(
        default=False, description="True inside a bibliography / references section."
    )
    role: Role = Field(default="body", description="body, references or front_matter (see ingest.roles).")


class ArxivMeta(BaseModel):
    """What arXiv says about a paper (from its API), kept with the paper."""

    arxiv_id: str = Field(description="Id without version, e.g. '1706.03762' or 'hep-th/9901001'.")
    version: str | None = Field(default=None, description="Version suffix, e.g. 'v5'.")
    title: str = ""
    authors: list[str] = Field(default_factory=list)
    abstract: str = ""
    categories: list[str] = Field(default_factory=list, description="Primary category first.")
    published: datetime | None = None
    updated: datetime | None = None
    doi: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    pdf_sha256: str | None = Field(default=None, description="Content address of the stored PDF.")


class Document(BaseModel):
    """One ingested item: a paper, a note or a JSONL record, before chunking."""

    doc_id: str = Field(description="Stable id: 'arxiv:<id>' for papers, else path- or record-based.")
    kind: DocKind = Field(description="paper, note or record.")
    title: str = Field(description="Best known title.")
    source: str = Field(description="Where it came from: absolute path or URL.")
    lang: str = Field(default="und", description="Dominant language (ISO 639-1), 'und' if unknown.")
    langs: list[str] = Field(default_factory=list, description="Every language found, dominant first.")
    blocks: list[Block] = Field(default_factory=list, description="Content in reading order.")
    pages: int | None = Field(default=None, description="Page count for PDFs.")
    arxiv_id: str | None = Field(default=None, description="arXiv id (no version) if known.")
    arxiv: ArxivMeta | None = Field(default=None, description="arXiv metadata when known locally.")
    references: list[str] = Field(
        default_factory=list, description="arXiv ids this document links to (notes about papers)."
    )
    date: datetime | None = Field(default=None, description="Publication or note date if known.")
    content_hash: str = Field(description="sha256 of the raw input bytes (or record text).")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Extra source fields.")

    @property
    def text(self) -> str:
        """All block texts joined by blank lines."""
        return "\n\n".join(b.text for b in self.blocks)


class Chunk(BaseModel):
    """A retrievable passage of a document, sized for the embedding model."""

    chunk_id: str = Field(description="uuid5 of document id, position and text hash.")
    doc_id: str = Field(description="The document this chunk belongs to.")
    position: int = Field(description="0-based order of the chunk within its document.")
    text: str = Field(description="The chunk's text, verbatim from the document.")
    lang: str = Field(description="Language of this chunk (ISO 639-1 or 'und').")
    page_start: int | None = Field(default=None, description="First page the chunk spans.")
    page_end: int | None = Field(default=None, description="Last page the chunk spans.")
    section: list[str] = Field(default_factory=list, description="Section path of the chunk start.")
    references: bool = Field(default=False, description="True if the chunk is bibliography.")
    role: Role = Field(default="body", description="body, references or front_matter: a chunk holds one role.")
    text_hash: str = Field(description="sha256 of the text: the embedding cache key.")
    tokens: int = Field(description="Token count by the chunker's counter.")
    page_breaks: list[tuple[int, int]] = Field(
        default_factory=list, description="(character offset, page) where each page of the chunk begins.")
    sentences: list[tuple[int, int]] = Field(
        default_factory=list, description="(start, end) character offsets of each sentence of the text, as "
        "chunking cut them (headings and over-long sentences cut by length included).")
