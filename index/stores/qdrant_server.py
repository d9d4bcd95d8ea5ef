"""The store on a Qdrant server (or cluster) through qdrant-client, shared by processes and machines.

qdrant-client's local mode (a folder, pure Python) is still readable here: an old VEILLE_HOME is
converted from it (index.transfer); the contract tests still run on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from qdrant_client import QdrantClient, models

from veille.errors import StoreError
from veille.index.hits import SearchFilters, VectorMode
from veille.index.records import DocRecord, EmbedderInfo, Point
from veille.index.stores.base import META_ID, check_compatible, point_uuid, record_from_payload, record_payload
from veille.index.stores.process_lock import ProcessLock, lock_message


def build_filter(filters: SearchFilters) -> models.Filter | None:
    """Qdrant filter from SearchFilters."""
    must: list[Any] = []
    for key, values in (("lang", filters.lang), ("kind", filters.kind),
                        ("categories", filters.category), ("doc_id", filters.doc_id)):
        if values:
            must.append(models.FieldCondition(key=key, match=models.MatchAny(any=values)))
    if filters.date_from or filters.date_to:
        must.append(models.FieldCondition(key="date_ts", range=models.Range(
            gte=filters.date_from.timestamp() if filters.date_from else None,
            lte=filters.date_to.timestamp() if filters.date_to else None)))
    if filters.exclude_references:
        must.append(models.FieldCondition(key="references", match=models.MatchValue(value=False)))
    hidden = filters.hidden_roles  # chunks stored before roles have none, and are searched as body
    must_not: list[Any] = [models.FieldCondition(key="role", match=models.MatchAny(any=hidden))] if hidden else []
    if filters.only_roles:
        must.append(models.FieldCondition(key="role", match=models.MatchAny(any=filters.only_roles)))
    return models.Filter(must=must or None, must_not=must_not or None) if must or must_not else None


class QdrantStore:
    """Qdrant through qdrant-client: `path` for local mode, `url` for a server; one code path."""

    def __init__(self, *, path: Path | None = None, url: str | None = None, api_key: str | None = None,
                 collection: str = "veille") -> None:
        self.chunks_name, self.docs_name = f"{collection}_chunks", f"{collection}_docs"
        self.url, self.path = url, path
        self.concurrent_reads = url is not None  # a server does; local mode is plain Python dicts
        self.generation: int | None = None  # other processes may write to a server: results are not kept
        self.lock: ProcessLock | None = None
        self.client = self._connect(path, url, api_key)

    def _connect(self, path: Path | None, url: str | None, api_key: str | None) -> QdrantClient:
        if url:
            return QdrantClient(url=url, api_key=api_key, timeout=30)
        if path is None:
            return QdrantClient(location=":memory:")
        path.mkdir(parents=True, exist_ok=True)
        # Our own lock first, as for the Edge store: it names the holder, and qdrant-client leaks
        # its lock file's handle when it finds the folder taken.
        self.lock = ProcessLock(path)
        try:
            return QdrantClient(path=str(path))
        except RuntimeError as exc:  # held by a process that is not Veille
            self.lock.release()
            raise StoreError(lock_message(path), source=str(path)) from exc

    def open(self, info: EmbedderInfo) -> None:
        """Create the collections, or check they were built with a compatible embedder."""
        stored = self.stored_info()
        if stored is not None:
            check_compatible(stored, info, self.chunks_name)
            return
        self._create(info)

    def _create(self, info: EmbedderInfo) -> None:
        if not self.client.collection_exists(self.chunks_name):
            self.client.create_collection(
                self.chunks_name,
                vectors_config={"dense": models.VectorParams(size=info.dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)})
            if self.url:  # payload indexes only exist on a server; local mode ignores them
                for field, schema in (("doc_id", "keyword"), ("lang", "keyword"), ("kind", "keyword"),
                                      ("categories", "keyword"), ("date_ts", "float"), ("role", "keyword")):
                    self.client.create_payload_index(self.chunks_name, field, field_schema=schema)  # type: ignore[arg-type]
        if not self.client.collection_exists(self.docs_name):
            self.client.create_collection(self.docs_name, vectors_config={})
        self.set_info(info)

    def set_info(self, info: EmbedderInfo) -> None:
        """Record the embedder in the records collection's meta point."""
        self.client.upsert(self.docs_name, [models.PointStruct(
            id=META_ID, vector={}, payload={"_meta": True, **info.model_dump()})])

    def stored_info(self) -> EmbedderInfo | None:
        """The embedder the store was built with, if any."""
        if not self.client.collection_exists(self.docs_name):
            return None
        found = self.client.retrieve(self.docs_name, [META_ID], with_payload=True)
        if not found or not found[0].payload:
            return None
        return EmbedderInfo.model_validate(found[0].payload)

    def upsert(self, points: list[Point]) -> None:
        """Insert or replace chunk points."""
        if not points:
            return
        self.client.upsert(self.chunks_name, [models.PointStruct(
            id=p.chunk_id, payload=p.payload, vector={
                "dense": p.dense,
                "sparse": models.SparseVector(indices=p.sparse_indices, values=p.sparse_values)})
            for p in points])

    def delete_chunks(self, doc_id: str, keep: set[str]) -> None:
        """Delete a document's chunks except those in `keep`."""
        must_not: list[Any] = [models.HasIdCondition(has_id=list(keep))] if keep else []
        self.client.delete(self.chunks_name, points_selector=models.FilterSelector(filter=models.Filter(
            must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))],
            must_not=must_not)))

    def put_doc(self, record: DocRecord) -> None:
        """Insert or replace a document record."""
        payload = record_payload(record)
        self.client.upsert(self.docs_name, [models.PointStruct(
            id=point_uuid(record.doc_id), vector={}, payload=payload)])

    def get_doc(self, doc_id: str) -> DocRecord | None:
        """One document record."""
        found = self.client.retrieve(self.docs_name, [point_uuid(doc_id)], with_payload=True)
        return record_from_payload(found[0].payload) if found and found[0].payload else None

    def docs(self) -> list[DocRecord]:
        """Every document record, oldest ingest first."""
        out: list[DocRecord] = []
        offset = None
        while True:
            batch, offset = self.client.scroll(self.docs_name, limit=256, offset=offset, with_payload=True)
            out.extend(record_from_payload(p.payload) for p in batch if p.payload and not p.payload.get("_meta"))
            if offset is None:
                break
        return sorted(out, key=lambda r: (r.ingested_at, r.doc_id))

    def delete_doc(self, doc_id: str) -> None:
        """Remove a document's chunks first, then its record (a crash leaves it re-removable)."""
        self.delete_chunks(doc_id, set())
        self.client.delete(self.docs_name, points_selector=models.PointIdsList(points=[point_uuid(doc_id)]))

    def chunk_payloads(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's chunk payloads in position order."""
        return [payload for payload, _ in self._doc_points(doc_id, with_vectors=False)]

    def chunk_vectors(self, doc_id: str) -> list[tuple[dict[str, Any], list[float]]]:
        """A document's chunks in position order, each with its stored dense vector."""
        return self._doc_points(doc_id, with_vectors=True)

    def _doc_points(self, doc_id: str, with_vectors: bool) -> list[tuple[dict[str, Any], list[float]]]:
        flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))])
        out: list[tuple[dict[str, Any], list[float]]] = []
        offset = None
        while True:
            batch, offset = self.client.scroll(self.chunks_name, scroll_filter=flt, limit=256, offset=offset,
                                               with_payload=True, with_vectors=["dense"] if with_vectors else False)
            for p in batch:
                vec = p.vector.get("dense") if isinstance(p.vector, dict) else None
                out.append((p.payload or {}, list(vec or [])))  # type: ignore[arg-type]
            if offset is None:
                break
        return sorted(out, key=lambda item: item[0].get("position", 0))

    def export_points(self, batch: int = 256) -> Iterator[Point]:
        """Every chunk point with its vectors (for copying a store without re-embedding)."""
        offset = None
        while True:
            records, offset = self.client.scroll(self.chunks_name, limit=batch, offset=offset,
                                                 with_payload=True, with_vectors=True)
            for r in records:
                vec = r.vector if isinstance(r.vector, dict) else {}
                sparse = vec.get("sparse")
                yield Point(chunk_id=str(r.id), dense=list(vec.get("dense") or []),  # type: ignore[arg-type]
                            sparse_indices=list(getattr(sparse, "indices", [])),
                            sparse_values=list(getattr(sparse, "values", [])), payload=r.payload or {})
            if offset is None:
                return

    def count(self) -> int:
        """Number of chunk points."""
        if not self.client.collection_exists(self.chunks_name):
            return 0
        return self.client.count(self.chunks_name, exact=True).count

    def query(self, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None,
              mode: VectorMode, limit: int, filters: SearchFilters,
              per_doc: bool, fields: Sequence[str] | None = None) -> list[tuple[float, dict[str, Any]]]:
        """(score, payload) of the best chunks by the dense or the sparse vector (`fields`: see Store)."""
        flt = build_filter(filters)
        keys = {*fields, "chunk_id", *(["doc_id"] if per_doc else [])} if fields is not None else None
        with_payload: bool | list[str] = sorted(keys) if keys else True
        kwargs: dict[str, Any] = {"query": dense, "using": "dense", "query_filter": flt, "with_payload": with_payload}
        if mode == "sparse":
            if not sparse or not sparse[0]:
                return []
            kwargs.update(query=models.SparseVector(indices=sparse[0], values=sparse[1]), using="sparse")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # local mode warns on large collections
            if per_doc:
                res = self.client.query_points_groups(self.chunks_name, group_by="doc_id", group_size=1,
                                                      limit=limit, **kwargs)
                return [(g.hits[0].score, g.hits[0].payload or {}) for g in res.groups]
            points = self.client.query_points(self.chunks_name, limit=limit, **kwargs).points
        return [(p.score, p.payload or {}) for p in points]

    def payloads(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Whole payloads of these chunks by chunk id."""
        if not chunk_ids:
            return {}
        found = self.client.retrieve(self.chunks_name, ids=list(chunk_ids), with_payload=True, with_vectors=False)
        return {str(r.id): r.payload or {} for r in found}

    def unindexed(self) -> int:
        """A server indexes in the background: nothing waits on Veille."""
        return 0

    def optimize(self) -> bool:
        """Nothing to do: the server's optimizer runs by itself."""
        return False

    def close(self) -> None:
        """Release the client (and the local-mode lock)."""
        self.client.close()
        if self.lock is not None:
            self.lock.release()
