"""Answer-side models: citations, answers and digests (what `ask` and `digest` return)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from veille.anchors import Anchor

AnswerMode = Literal["extractive", "llm", "none"]


class Citation(BaseModel):
    """A numbered quote that backs a sentence: a verbatim span of one stored chunk."""

    n: int = Field(description="The number used in the text as [n].")
    doc_id: str = Field(description="Document the quote comes from.")
    chunk_id: str = Field(description="Stored chunk that contains the quote verbatim.")
    title: str = Field(description="Document title.")
    source: str = Field(description="File path or arXiv URL the document was ingested from.")
    url: str | None = Field(default=None, description="Link to open: the arXiv page, or the note's path.")
    arxiv_id: str | None = Field(default=None, description="arXiv id of the paper, if any.")
    page: int | None = Field(default=None, description="Page the quote starts on (PDFs).")
    section: list[str] = Field(default_factory=list, description="Section path of the chunk.")
    quote: str = Field(description="Verbatim text from the chunk.")
    start: int = Field(description="Character offset of the quote in the chunk text.")
    score: float = Field(description="How well the quote answers the question (higher is better).")
    lang: str = Field(default="und", description="Language of the quoted chunk.")
    anchor: Anchor = Field(description="Where the quote sits, and the reading room's page showing it there.")


class Answer(BaseModel):
    """The reply to a question: text with [n] markers and the citations they point to."""

    question: str
    answer: str = Field(description="Answer text; each sourced sentence ends with its [n] markers.")
    lang: str = Field(description="Language of the answer's own words (en, fr, ko).")
    mode: AnswerMode = Field(description="extractive (no LLM), llm, or none (nothing relevant was found).")
    found: bool = Field(description="False when nothing relevant was retrieved.")
    citations: list[Citation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="LLM fallback, dropped or unsupported text.")
    dropped: list[str] = Field(default_factory=list,
                               description="Generated sentences removed because no passage supports them.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")


