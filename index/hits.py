"""What a search takes and returns: its mode, its filters, and the passages it finds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

SearchMode = Literal["hybrid", "dense", "sparse"]


VectorMode = Literal["dense", "sparse"]  # what a Store searches by; hybrid is fused above it


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
