"""What Veille needs from a vector store, and what every implementation shares.

Implementations: index.edge.EdgeStore (the embedded default, Qdrant Edge in-process),
index.qdrant.QdrantStore (a Qdrant server through qdrant-client), index.memory.MemoryStore
(the unit tests' fake). tests/index/test_store_contract.py runs the same contract on each.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from veille.errors import StoreError
from veille.index.hits import SearchFilters, VectorMode
from veille.index.records import DocRecord, EmbedderInfo, Point

META_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "veille:meta"))


class Store(Protocol):
    """What Veille needs from a vector store."""

    # True when searches and reads may run in several threads beside one writer (the server's readers
    # then run side by side); False where they must take turns with writes.
    concurrent_reads: bool

    @property
    def generation(self) -> int | None:
        """Changes with every write this process makes, so that search results can be kept until the
        next one (index.cache.SearchResults); None where other processes write too: nothing is kept."""

    def open(self, info: EmbedderInfo) -> None:
        """Create the collections, or check they were built with a compatible embedder."""

    def stored_info(self) -> EmbedderInfo | None:
        """The embedder the store was built with, if any."""

    def set_info(self, info: EmbedderInfo) -> None:
        """Record which embedder the stored vectors now come from (after a check or a re-embedding)."""

    def upsert(self, points: list[Point]) -> None:
        """Insert or replace chunk points."""

    def delete_chunks(self, doc_id: str, keep: set[str]) -> None:
        """Delete a document's chunks except those in `keep`."""

    def put_doc(self, record: DocRecord) -> None:
        """Insert or replace a document record."""

    def get_doc(self, doc_id: str) -> DocRecord | None:
        """One document record."""

    def docs(self) -> list[DocRecord]:
        """Every document record."""

    def delete_doc(self, doc_id: str) -> None:
        """Remove a document record and all its chunks."""

    def chunk_payloads(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's chunk payloads in position order."""

    def chunk_vectors(self, doc_id: str) -> list[tuple[dict[str, Any], list[float]]]:
        """A document's chunks in position order, each with its dense vector."""

    def export_points(self, batch: int = 256) -> Iterator[Point]:
        """Every chunk point with its vectors (copying a store without re-embedding)."""
        ...

    def count(self) -> int:
        """Number of chunk points."""

    def query(self, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None,
              mode: VectorMode, limit: int, filters: SearchFilters,
              per_doc: bool, fields: Sequence[str] | None = None) -> list[tuple[float, dict[str, Any]]]:
        """(score, payload) of the best chunks by one vector (hybrid fusion is index.fusion's).

        `fields`: only these payload keys, plus "chunk_id" always, for candidates whose text is not
        needed yet (reading whole payloads was most of a search's time); None: the whole payload."""

    def payloads(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Whole payloads of these chunks by chunk id (unknown ids left out)."""

    def unindexed(self) -> int:
        """Chunks searched exactly because no index covers them yet (0 where the engine indexes by itself)."""
        ...

    def optimize(self) -> bool:
        """Build the search index over them now (blocks; a no-op where the engine does it by itself)."""
        ...

    def close(self) -> None:
        """Release the store (and its lock in local mode)."""


def point_uuid(key: str) -> str:
    """Qdrant ids must be UUIDs or integers; doc ids are strings."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"veille:doc:{key}"))


def check_compatible(stored: EmbedderInfo, info: EmbedderInfo, source: str) -> None:
    """StoreError unless the store was built with the same model and dimension."""
    if (stored.model, stored.dim) != (info.model, info.dim):
        raise StoreError(
            f"store was built with {stored.model} ({stored.dim} dims); the configured embedder "
            f"is {info.model} ({info.dim} dims). Use the same VEILLE_EMBEDDING_MODEL, or "
            "another VEILLE_HOME / collection to start afresh", source=source)


def record_from_payload(payload: dict[str, Any]) -> DocRecord:
    """A document record as stored (its chunk ids ride along outside the model's dump)."""
    record = DocRecord.model_validate(payload)
    record.chunk_ids = list(payload.get("chunk_ids") or [])
    record.vector_sums = dict(payload.get("vector_sums") or {})
    record.vector_counts = dict(payload.get("vector_counts") or {})
    return record


def record_payload(record: DocRecord) -> dict[str, Any]:
    """What a store keeps of a document record (its fields left out of dumps included)."""
    return record.model_dump(mode="json") | {"chunk_ids": record.chunk_ids, "vector_sums": record.vector_sums,
                                             "vector_counts": record.vector_counts}
