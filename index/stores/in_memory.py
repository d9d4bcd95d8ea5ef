"""In-process fakes for unit tests: a deterministic embedder and a brute-force store."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from veille.errors import StoreError
from veille.index.fusion import best_per_doc
from veille.index.hits import SearchFilters, VectorMode
from veille.index.records import DocRecord, EmbedderInfo, Point


def _matches(payload: dict[str, Any], f: SearchFilters) -> bool:
    for key, values in (("lang", f.lang), ("kind", f.kind), ("doc_id", f.doc_id)):
        if values and payload.get(key) not in values:
            return False
    if f.category and not set(payload.get("categories") or []) & set(f.category):
        return False
    ts = payload.get("date_ts")
    if f.date_from and (ts is None or ts < f.date_from.timestamp()):
        return False
    if f.date_to and (ts is None or ts > f.date_to.timestamp()):
        return False
    if payload.get("role") in f.hidden_roles or (f.only_roles and payload.get("role") not in f.only_roles):
        return False
    return not (f.exclude_references and payload.get("references"))


class MemoryStore:
    """A dict-backed Store with the same semantics as QdrantStore (cosine, IDF sparse)."""

    concurrent_reads = False  # plain dicts: a read iterating beside a write would fail

    def __init__(self) -> None:
        self.points: dict[str, Point] = {}
        self.records: dict[str, DocRecord] = {}
        self.info: EmbedderInfo | None = None
        self.generation = 0

    def open(self, info: EmbedderInfo) -> None:
        """Check compatibility or remember the embedder."""
        if self.info and (self.info.model, self.info.dim) != (info.model, info.dim):
            raise StoreError(f"store was built with {self.info.model} ({self.info.dim} dims)", source="memory")
        self.info = self.info or info

    def stored_info(self) -> EmbedderInfo | None:
        """The embedder the store was built with."""
        return self.info

    def set_info(self, info: EmbedderInfo) -> None:
        """Record the embedder."""
        self.generation += 1
        self.info = info.model_copy(deep=True)

    def upsert(self, points: list[Point]) -> None:
        """Insert or replace."""
        self.generation += 1
        self.points.update((p.chunk_id, p) for p in points)

    def delete_chunks(self, doc_id: str, keep: set[str]) -> None:
        """Delete a document's chunks except `keep`."""
        self.generation += 1
        for cid in [c for c, p in self.points.items() if p.payload["doc_id"] == doc_id and c not in keep]:
            del self.points[cid]

    def put_doc(self, record: DocRecord) -> None:
        """Insert or replace a record."""
        self.generation += 1
        self.records[record.doc_id] = record.model_copy(deep=True)

    def get_doc(self, doc_id: str) -> DocRecord | None:
        """One record."""
        return self.records.get(doc_id)

    def docs(self) -> list[DocRecord]:
        """All records, oldest first."""
        return sorted(self.records.values(), key=lambda r: (r.ingested_at or datetime.min, r.doc_id))

    def delete_doc(self, doc_id: str) -> None:
        """Remove chunks and record."""
        self.generation += 1
        self.delete_chunks(doc_id, set())
        self.records.pop(doc_id, None)

    def chunk_payloads(self, doc_id: str) -> list[dict[str, Any]]:
        """Payloads in position order."""
        return sorted((p.payload for p in self.points.values() if p.payload["doc_id"] == doc_id),
                      key=lambda p: p["position"])

    def chunk_vectors(self, doc_id: str) -> list[tuple[dict[str, Any], list[float]]]:
        """Payloads and dense vectors in position order."""
        pts = sorted((p for p in self.points.values() if p.payload["doc_id"] == doc_id),
                     key=lambda p: p.payload["position"])
        return [(p.payload, list(p.dense)) for p in pts]

    def export_points(self, batch: int = 256) -> Iterator[Point]:
        """Every point, vectors included."""
        yield from list(self.points.values())

    def count(self) -> int:
        """Number of points."""
        return len(self.points)

    def _dense(self, q: list[float], pts: list[Point]) -> list[tuple[float, Point]]:
        qv = np.asarray(q, dtype=np.float32)
        return sorted(((float(np.dot(qv, p.dense)), p) for p in pts), key=lambda s: -s[0])

    def _sparse(self, q: tuple[list[int], list[float]], pts: list[Point]) -> list[tuple[float, Point]]:
        df: Counter[int] = Counter(i for p in self.points.values() for i in p.sparse_indices)
        n = len(self.points)
        weights = dict(zip(*q, strict=True))
        scored = []
        for p in pts:
            s = sum(weights[i] * v * math.log((n - df[i] + 0.5) / (df[i] + 0.5) + 1)
                    for i, v in zip(p.sparse_indices, p.sparse_values, strict=True) if i in weights)
            if s > 0:
                scored.append((s, p))
        return sorted(scored, key=lambda s: -s[0])

    def query(self, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None,
              mode: VectorMode, limit: int, filters: SearchFilters,
              per_doc: bool, fields: Sequence[str] | None = None) -> list[tuple[float, dict[str, Any]]]:
        """Brute-force search by the dense or the sparse vector (`fields`: see Store)."""
        pts = [p for p in self.points.values() if _matches(p.payload, filters)]
        if mode == "sparse":
            ranked = self._sparse(sparse, pts) if sparse and sparse[0] else []
        else:
            ranked = self._dense(dense or [], pts)
        rows = [(score, p.payload) for score, p in ranked]
        rows = (best_per_doc(rows) if per_doc else rows)[:limit]
        if fields is None:
            return rows
        keep = {*fields, "chunk_id", *(["doc_id"] if per_doc else [])}
        return [(score, {k: v for k, v in payload.items() if k in keep}) for score, payload in rows]

    def payloads(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Whole payloads by chunk id."""
        return {c: self.points[c].payload for c in chunk_ids if c in self.points}

    def unindexed(self) -> int:
        """Brute force only: nothing to build."""
        return 0

    def optimize(self) -> bool:
        """Nothing to build."""
        return False

    def close(self) -> None:
        """Nothing to release."""
