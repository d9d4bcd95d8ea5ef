"""Index-side models: what is stored per document and chunk, and what a search returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

SearchMode = Literal["hybrid", "dense", "sparse"]
VectorMode = Literal["dense", "sparse"]  # what a Store searches by; hybrid is fused above it


class EmbedderInfo(BaseModel):
    """The embedding model a collection was built with."""

    model: str = Field(description="Model id (hub id or folder name).")
    dim: int = Field(description="Vector size.")
    runtime: str = Field(description="What computed the stored vectors (engine and weights).")
    close_runtimes: list[str] = Field(default_factory=list, description=(
        "Other runtimes checked to give vectors close enough (cosine >= 0.999) to share the store."))
    reembedding: str | None = Field(default=None, description=(
        "Runtime a re-embedding started with and has not finished: vectors are mixed until it does."))


class DocRecord(BaseModel):
    """A stored document, as `veille docs` lists it."""

    doc_id: str
    title: str
    source: str
    arxiv_id: str | None = None
    lang: str
    langs: list[str] = Field(default_factory=list)
    kind: str
    pages: int | None = None
    chunks: int = 0
    ingested_at: datetime
    date: datetime | None = None
    categories: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    content_hash: str = ""
    chunking: int = Field(default=0, description="Version of the chunker that cut its chunks "
                                                 "(ingest.chunking.CHUNKING_VERSION; 0: before versions).")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Source facts worth showing: author, site, "
                                                                        "URL, feed tags, Hugging Face upvotes.")
    chunk_ids: list[str] = Field(default_factory=list, exclude=True)


class SearchFilters(BaseModel):
    """Restrictions on a search; every field is optional and they combine with AND."""

    lang: list[str] | None = Field(default=None, description="Chunk languages, e.g. ['fr', 'ko'].")
    kind: list[str] | None = Field(default=None, description="paper, note or record.")
    category: list[str] | None = Field(default=None, description="arXiv categories, e.g. ['cs.CL'].")
    doc_id: list[str] | None = Field(default=None, description="Only these documents.")
    date_from: datetime | None = Field(default=None, description="Document date on or after.")
    date_to: datetime | None = Field(default=None, description="Document date on or before.")
    exclude_references: bool = Field(default=False, description="Skip bibliography chunks.")


class Hit(BaseModel):
    """One retrieved passage."""

    rank: int
    score: float
    doc_id: str
    chunk_id: str
    title: str
    source: str
    arxiv_id: str | None = None
    lang: str
    page_start: int | None = None
    page_end: int | None = None
    section: list[str] = Field(default_factory=list)
    text: str
    position: int = 0
    page_breaks: list[tuple[int, int]] = Field(default_factory=list, exclude=True,
                                               description="(offset, page) where each page of the text begins.")
    sentences: list[tuple[int, int]] = Field(default_factory=list, exclude=True,
                                             description="(start, end) of each sentence of the text, as chunking cut "
                                             "them; empty for chunks stored before they were kept.")

    def page_at(self, offset: int) -> int | None:
        """The page a character of the text sits on (the chunk's first page when unknown)."""
        page = self.page_start
        for start, number in self.page_breaks:
            if start <= offset:
                page = number
        return page


class Point(BaseModel):
    """A chunk ready for the store: vectors and payload."""

    chunk_id: str
    dense: list[float]
    sparse_indices: list[int]
    sparse_values: list[float]
    payload: dict[str, Any]
