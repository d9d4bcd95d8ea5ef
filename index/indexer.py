"""Document + chunks → points in the store, idempotently: unchanged chunks are never re-embedded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from veille.index.embedding.cache import EmbeddingCache, embed_passages
from veille.index.embedding.embedder import Embedder
from veille.index.keywords import encode_document
from veille.index.records import DocRecord, Point
from veille.index.stores.base import Store
from veille.ingest.chunking import CHUNKING_VERSION
from veille.ingest.documents import Chunk, Document

IndexStatus = Literal["added", "updated", "unchanged"]


def chunk_payload(doc: Document, chunk: Chunk) -> dict[str, Any]:
    """What a search hit needs to show and filter on, stored with the chunk."""
    categories = doc.arxiv.categories if doc.arxiv else []
    return {
        "doc_id": doc.doc_id, "chunk_id": chunk.chunk_id, "position": chunk.position,
        "text": chunk.text, "lang": chunk.lang, "doc_lang": doc.lang, "kind": doc.kind,
        "title": doc.title, "source": doc.source, "arxiv_id": doc.arxiv_id,
        "page_start": chunk.page_start, "page_end": chunk.page_end, "section": chunk.section,
        "page_breaks": [list(b) for b in chunk.page_breaks], "sentences": [list(s) for s in chunk.sentences],
        "references": chunk.references, "role": chunk.role, "categories": categories, "text_hash": chunk.text_hash,
        "date_ts": doc.date.timestamp() if doc.date else None,
    }


# Document metadata copied into its record (small, and shown by `veille docs` and digests); the rest of a
# JSONL record's fields can be large and stay out.
RECORD_METADATA = ("format", "url", "author", "site", "feed", "tags", "hf_upvotes", "hf_comments")


def doc_record(doc: Document, chunks: list[Chunk], now: datetime) -> DocRecord:
    """The stored summary of a document."""
    return DocRecord(
        doc_id=doc.doc_id, title=doc.title, source=doc.source, arxiv_id=doc.arxiv_id, lang=doc.lang,
        langs=doc.langs, kind=doc.kind, pages=doc.pages, chunks=len(chunks), ingested_at=now,
        date=doc.date, categories=doc.arxiv.categories if doc.arxiv else [],
        references=doc.references, content_hash=doc.content_hash, chunking=CHUNKING_VERSION,
        metadata={k: v for k, v in doc.metadata.items() if k in RECORD_METADATA and v not in (None, "", [])},
        chunk_ids=[c.chunk_id for c in chunks])


Pairs = Callable[[Document], list[tuple[str, str]]]


def index_document(doc: Document, chunks: list[Chunk], *, embedder: Embedder, store: Store,
                   cache: EmbeddingCache | None, batch_size: int = 32, glossary: Pairs | None = None) -> IndexStatus:
    """Store a document's chunks; embed only chunks the store does not already hold. `glossary` gives the
    document's glossary pairs (veille.glossary), kept in its record.

    New points are written before stale ones are deleted and the record last, so a crash at
    any point leaves a store that a rerun completes (with vectors from the cache).
    """
    existing = store.get_doc(doc.doc_id)
    ids = [c.chunk_id for c in chunks]
    current = existing is not None and existing.chunking == CHUNKING_VERSION
    if existing and current and existing.chunk_ids == ids and existing.content_hash == doc.content_hash:
        return "unchanged"
    have = set(existing.chunk_ids) if existing and current else set()
    # an older chunker's chunks are all stored again (what is kept with them changed), each with its own
    # stored vector when its text is unchanged: a new version costs no embedding
    kept = {p.get("chunk_id"): v for p, v in store.chunk_vectors(doc.doc_id) if v} if existing and not current else {}
    fresh = [c for c in chunks if c.chunk_id not in have]
    todo = [c for c in fresh if c.chunk_id not in kept]
    embedded = embed_passages(embedder, [c.text for c in todo], cache, batch_size)
    vectors = kept | {c.chunk_id: vec.tolist() for c, vec in zip(todo, embedded, strict=True)}
    points = []
    for chunk in fresh:
        indices, values = encode_document(chunk.text, chunk.lang)
        points.append(Point(chunk_id=chunk.chunk_id, dense=vectors[chunk.chunk_id], sparse_indices=indices,
                            sparse_values=values, payload=chunk_payload(doc, chunk)))
    store.upsert(points)
    store.delete_chunks(doc.doc_id, keep=set(ids))
    record = doc_record(doc, chunks, datetime.now(UTC))
    record.vector_sums, record.vector_counts = vector_sums(store.chunk_vectors(doc.doc_id))
    record.glossary = glossary(doc) if glossary else []
    store.put_doc(record)
    return "updated" if existing else "added"


def vector_sums(rows: list[tuple[dict[str, Any], list[float]]]) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Per chunk language, the sum of the body chunks' vectors and their count: what the archive's language
    means are made of (index.language_means)."""
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for payload, vector in rows:
        if vector and payload.get("role", "body") == "body":
            lang = payload.get("lang", "und")
            sums[lang] = sums.get(lang, 0) + np.asarray(vector, np.float64)
            counts[lang] = counts.get(lang, 0) + 1
    return {lang: [round(float(x), 6) for x in s] for lang, s in sums.items()}, counts
