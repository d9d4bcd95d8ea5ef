"""What a digest holds: its documents' entries, themes, cited sentences and citations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from veille.reader.answer import AnswerMode, Citation


class CitedText(BaseModel):
    """A sentence of a digest and the citation numbers it carries."""

    text: str
    citations: list[int] = Field(default_factory=list)


class DigestEntry(BaseModel):
    """One selected document in a digest."""

    doc_id: str
    title: str
    kind: str
    lang: str
    link: str = Field(description="arXiv URL or the note's path.")
    date: datetime | None = None
    relevance: float = Field(description="Similarity of the document to the topic (or centrality in its theme).")
    theme: str | None = None
    new: CitedText | None = Field(default=None, description="What is new, in one cited sentence.")
    key_points: list[CitedText] = Field(default_factory=list)
    technical: list[CitedText] = Field(default_factory=list)


class Theme(BaseModel):
    """A group of related documents (digest without topic)."""

    name: str
    doc_ids: list[str]


class Digest(BaseModel):
    """A thematic brief: structured content plus its Markdown rendering."""

    title: str
    topic: str | None
    lang: str
    mode: AnswerMode
    generated_at: datetime
    since: datetime | None = None
    until: datetime | None = None
    considered: int = Field(description="Documents looked at (in the window).")
    selected: int = Field(description="Documents kept in the digest.")
    left_out: int = Field(default=0, description="Documents that qualified but were left out by the cap (max_docs).")
    summary: list[CitedText] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    documents: list[DigestEntry] = Field(default_factory=list)
    insights: list[CitedText] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    markdown: str = ""
