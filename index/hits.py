"""What a search takes and returns: its mode, its filters, and the passages it finds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

SearchMode = Literal["hybrid", "dense", "sparse"]
HIDDEN_ROLES = ("references", "front_matter")  # chunk roles (ingest.roles) a search leaves out unless asked


VectorMode = Literal["dense", "sparse"]  # what a Store searches by; hybrid is fused above it


class SearchFilters(BaseModel):
    """Restrictions on a search; every field is optional and they combine with AND."""

    lang: list[str] | None = Field(default=None, description="Chunk languages, e.g. ['fr', 'ko'].")
    kind: list[str] | None = Field(default=None, description="paper, note or record.")
    category: list[str] | None = Field(default=None, description="arXiv categories, e.g. ['cs.CL'].")
    doc_id: list[str] | None = Field(default=None, description="Only these documents.")
    date_from: datetime | None = Field(default=None, description="Document date on or after.")
    date_to: datetime | None = Field(default=None, description="Document date on or before.")
    exclude_references: bool = Field(default=False, description="Skip bibliography chunks (they are skipped unless "
                                                                 "`roles` asks for them).")
    roles: list[str] | None = Field(default=None, description="Chunk roles to search: body, references, front_matter "
                                                              "(default: body only; the bibliography and front matter "
                                                              "are searched on request).")

    @property
    def hidden_roles(self) -> list[str]:
        """The roles left out: those not asked for, when `roles` is set; else all but the body."""
        if self.roles is None:
            return list(HIDDEN_ROLES)
        return [r for r in ("body", *HIDDEN_ROLES) if r not in self.roles]

    @property
    def only_roles(self) -> list[str] | None:
        """The roles asked for when the body is not among them: chunks must carry one (those stored before
        roles carry none and count as body)."""
        return list(self.roles) if self.roles is not None and "body" not in self.roles else None

    @property
    def selective(self) -> bool:
        """Whether the filters keep a small part of the archive (a language, a document, a date range...), as
        opposed to only leaving out the bibliography and front matter."""
        return any((self.lang, self.kind, self.category, self.doc_id, self.date_from, self.date_to, self.roles))


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
    role: str = Field(default="body", description="body, references or front_matter (ingest.roles).")
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
