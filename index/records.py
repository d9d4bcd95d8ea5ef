"""Index-side models: what is stored per document and chunk, and what a search returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
    glossary: list[tuple[str, str]] = Field(default_factory=list, description="(term, gloss) pairs the document "
                                            "gives of its own terms, in two languages (veille.glossary).")
    chunk_ids: list[str] = Field(default_factory=list, exclude=True)
    vector_sums: dict[str, list[float]] = Field(default_factory=dict, exclude=True, description=(
        "Per chunk language, the sum of the document's body chunk vectors (the archive's language means)."))
    vector_counts: dict[str, int] = Field(default_factory=dict, exclude=True, description="The chunks summed.")


class Point(BaseModel):
    """A chunk ready for the store: vectors and payload."""

    chunk_id: str
    dense: list[float]
    sparse_indices: list[int]
    sparse_values: list[float]
    payload: dict[str, Any]
