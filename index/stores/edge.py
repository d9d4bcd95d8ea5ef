"""The embedded store: Qdrant's own engine in-process (Qdrant Edge), one folder under VEILLE_HOME.

Two shards: `chunks` (dense + IDF-weighted sparse vectors, payload indexes on every filtered
field) and `docs` (document records and the embedder the store was built with, no vectors in
use). Edge has no background optimizer: points written since the last `optimize()` sit in plain
segments that are searched exactly, so searches are correct at once and `optimize()` (HNSW
building) is a step of its own (index.edge_index decides when).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from veille.errors import StoreError
from veille.index.fusion import best_per_doc
from veille.index.hits import SearchFilters, VectorMode
from veille.index.records import DocRecord, EmbedderInfo, Point
from veille.index.stores.base import META_ID, check_compatible, point_uuid, record_from_payload, record_payload
from veille.index.stores.process_lock import ProcessLock

# Fields searches filter on, indexed so that filtered searches read the index, not every payload.
# Everything stays in RAM (Edge's defaults): memory-mapping the indexes opens a store faster but has not
# been shown to survive the crash test (tests/index/stores/test_edge.py) as the defaults do.
PAYLOAD_INDEXES: dict[str, qe.PayloadSchemaType] = {
    "doc_id": qe.PayloadSchemaType.Keyword, "lang": qe.PayloadSchemaType.Keyword,
    "kind": qe.PayloadSchemaType.Keyword, "categories": qe.PayloadSchemaType.Keyword,
    "date_ts": qe.PayloadSchemaType.Float, "references": qe.PayloadSchemaType.Bool,
    "role": qe.PayloadSchemaType.Keyword,
}
# The graph and its beam, so that fusion (50 candidates a side) reads at least 0.99 of the exact top 50
# up to a million chunks: Qdrant's default graph (m 16, ef_construct 100) cannot get there at a usable beam,
# this one can (BENCHMARKS.md, "HNSW beam sweep"). A store keeps the graph it was built with.
HNSW_EF = 2048
HNSW_M, HNSW_EF_CONSTRUCT, FULL_SCAN_KB = 32, 200, 10_000
# Filtered searches are exact: Edge's filtered HNSW search misses a share of the exact top 10 under a
# language filter, and exact search over a payload-index selection stays within the latency budget.
EXACT_WHEN_FILTERED = True
EDGE_VERSION = version("qdrant-edge-py")
FLUSH_SECONDS = 2.0  # writes are in the WAL at once; fsync (flush) at most this long after them
PAGE = 512  # scroll page size


class EdgeStore:
    """A Store on Qdrant Edge shards under `path` (one process at a time, like every embedded store)."""

    # Searches ran in two threads beside a writer (upserts, deletes, optimize) without error in the
    # issue's test, and tests/index/test_edge.py repeats it. A query holds the GIL while it runs (py-spy
    # on the server under load), so it should read no more than it must (see nearest's `fields`).
    concurrent_reads = True

    def __init__(self, path: Path, collection: str = "veille") -> None:
        self.path = path
        self.name = collection
        path.mkdir(parents=True, exist_ok=True)
        self.lock = ProcessLock(path)
        self.chunks: qe.EdgeShard | None = None
        self.docs_shard: qe.EdgeShard | None = None
        self.generation = 0  # one process writes an Edge store: this process, which counts its writes
        try:
            self.chunks = self._load(path / f"{collection}_chunks")
            self.docs_shard = self._load(path / f"{collection}_docs")
        except StoreError:
            self.close()
            raise
        self._last_flush = time.monotonic()

    def _load(self, folder: Path) -> qe.EdgeShard | None:
        if not (folder / "edge_config.json").exists():
            return None
        # A process killed during optimize() leaves its half-built segment here; the shard's own
        # segments are intact (WAL), and holding the folder's lock means nobody else is building.
        for leftover in (folder / "temp_segments").glob("*"):
            shutil.rmtree(leftover, ignore_errors=True)
        try:
            return qe.EdgeShard.load(str(folder))
        except Exception as exc:  # Edge raises bare Exceptions; a held WAL means another process
            if "WouldBlock" in str(exc):
                raise StoreError(self.lock.message(), source=str(self.path)) from exc
            raise StoreError(f"cannot open the store: {exc}", source=str(folder)) from exc

    # -- setup ------------------------------------------------------------------------------
    def open(self, info: EmbedderInfo) -> None:
        """Create the shards, or check they were built with a compatible embedder."""
        stored = self.stored_info()
        if stored is not None:
            check_compatible(stored, info, f"{self.name}_chunks")
            self._index_new_fields()
            return
        if self.chunks is None:
            self.chunks = qe.EdgeShard.create(str(self.path / f"{self.name}_chunks"), qe.EdgeConfig(
                vectors={"dense": qe.EdgeVectorParams(size=info.dim, distance=qe.Distance.Cosine)},
                sparse_vectors={"sparse": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
                hnsw_config=qe.HnswIndexConfig(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT,
                                               full_scan_threshold=FULL_SCAN_KB)))
            for field, schema in PAYLOAD_INDEXES.items():
                self.chunks.update(qe.UpdateOperation.create_field_index(field, schema))
        if self.docs_shard is None:  # a shard needs a vector config; records carry none
            self.docs_shard = qe.EdgeShard.create(str(self.path / f"{self.name}_docs"), qe.EdgeConfig(
                sparse_vectors={"unused": qe.EdgeSparseVectorParams()}))
        self.set_info(info)

    def _index_new_fields(self) -> None:
        """Index the filtered fields a store made by an earlier version lacks (`role`)."""
        if self.chunks is None:
            return
        held = set(self.chunks.info().payload_schema)
        for field, schema in PAYLOAD_INDEXES.items():
            if field not in held:
                self.chunks.update(qe.UpdateOperation.create_field_index(field, schema))

    def set_info(self, info: EmbedderInfo) -> None:
        """Record the embedder in the records shard's meta point."""
        self.generation += 1
        self._open(self.docs_shard).update(qe.UpdateOperation.upsert_points([qe.Point(
            META_ID, {}, {"_meta": True, **info.model_dump()})]))
        self.flush()

    def stored_info(self) -> EmbedderInfo | None:
        """The embedder the store was built with, if any."""
        if self.docs_shard is None:
            return None
        found = self.docs_shard.retrieve([META_ID], with_payload=True, with_vector=False)
        return EmbedderInfo.model_validate(found[0].payload) if found and found[0].payload else None

    # -- writes -----------------------------------------------------------------------------
    def upsert(self, points: list[Point]) -> None:
        """Insert or replace chunk points."""
        self.generation += 1
        if points:
            self._open(self.chunks).update(qe.UpdateOperation.upsert_points([qe.Point(
                p.chunk_id, {"dense": p.dense, "sparse": qe.SparseVector(p.sparse_indices, p.sparse_values)},
                p.payload) for p in points]))

    def delete_chunks(self, doc_id: str, keep: set[str]) -> None:
        """Delete a document's chunks except those in `keep`."""
        self.generation += 1
        must_not: list[Any] = [qe.HasIdCondition(set(keep))] if keep else []
        self._open(self.chunks).update(qe.UpdateOperation.delete_points_by_filter(qe.Filter(
            must=[_doc_condition(doc_id)], must_not=must_not or None)))

    def put_doc(self, record: DocRecord) -> None:
        """Insert or replace a document record (the last write of a document's ingest)."""
        self.generation += 1
        payload = record_payload(record)
        point = qe.Point(point_uuid(record.doc_id), {}, payload)
        self._open(self.docs_shard).update(qe.UpdateOperation.upsert_points([point]))
        self._flush_soon()

    def delete_doc(self, doc_id: str) -> None:
        """Remove a document's chunks first, then its record (a crash leaves it re-removable)."""
        self.generation += 1
        self.delete_chunks(doc_id, set())
        self._open(self.docs_shard).update(qe.UpdateOperation.delete_points([point_uuid(doc_id)]))
        self.flush()

    def flush(self) -> None:
        """Write what is in memory to disk (fsync)."""
        for shard in (self.chunks, self.docs_shard):
            if shard is not None:
                shard.flush()
        self._last_flush = time.monotonic()

    def _flush_soon(self) -> None:
        # Every write is in the WAL when update() returns (it survives a crash of this process);
        # fsync costs ~80 ms, so it is batched: at most FLUSH_SECONDS of writes await it.
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    # -- reads ------------------------------------------------------------------------------
    def get_doc(self, doc_id: str) -> DocRecord | None:
        """One document record."""
        if self.docs_shard is None:
            return None
        found = self.docs_shard.retrieve([point_uuid(doc_id)], with_payload=True, with_vector=False)
        return record_from_payload(found[0].payload) if found and found[0].payload else None

    def docs(self) -> list[DocRecord]:
        """Every document record, oldest ingest first."""
        if self.docs_shard is None:
            return []
        out = [record_from_payload(r.payload) for r in _scroll(self.docs_shard, None, False)
               if r.payload and not r.payload.get("_meta")]
        return sorted(out, key=lambda r: (r.ingested_at, r.doc_id))

    def chunk_payloads(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's chunk payloads in position order."""
        return [payload for payload, _ in self._doc_points(doc_id, with_vectors=False)]

    def chunk_vectors(self, doc_id: str) -> list[tuple[dict[str, Any], list[float]]]:
        """A document's chunks in position order, each with its stored dense vector."""
        return self._doc_points(doc_id, with_vectors=True)

    def _doc_points(self, doc_id: str, with_vectors: bool) -> list[tuple[dict[str, Any], list[float]]]:
        if self.chunks is None:
            return []
        flt = qe.Filter(must=[_doc_condition(doc_id)])
        out = [(r.payload or {}, list(_named(r.vector).get("dense") or []))
               for r in _scroll(self.chunks, flt, ["dense"] if with_vectors else False)]
        return sorted(out, key=lambda item: item[0].get("position", 0))

    def export_points(self, batch: int = 256) -> Iterator[Point]:
        """Every chunk point with its vectors (copying a store without re-embedding)."""
        if self.chunks is None:
            return
        for r in _scroll(self.chunks, None, True, batch):
            vec = _named(r.vector)
            sparse = vec.get("sparse")
            yield Point(chunk_id=str(r.id), dense=list(vec.get("dense") or []),
                        sparse_indices=list(getattr(sparse, "indices", [])),
                        # Edge hands back whole weights as ints (1.0 → 1)
                        sparse_values=[float(v) for v in getattr(sparse, "values", [])], payload=r.payload or {})

    def count(self) -> int:
        """Number of chunk points."""
        return self.chunks.count(qe.CountRequest(exact=True)) if self.chunks is not None else 0

    def query(self, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None,
              mode: VectorMode, limit: int, filters: SearchFilters,
              per_doc: bool, fields: Sequence[str] | None = None) -> list[tuple[float, dict[str, Any]]]:
        """(score, payload) of the best chunks by the dense or the sparse vector (`fields`: see Store)."""
        if self.chunks is None:
            return []
        if mode == "sparse":
            if not sparse or not sparse[0]:
                return []
            vector: Any = qe.SparseVector(sparse[0], sparse[1])
        else:
            vector = dense
        flt = edge_filter(filters)
        params = search_params(filters)
        keys = None if fields is None else sorted({*fields, "doc_id"} if per_doc else set(fields))
        depth = limit
        while True:  # Edge has no group-by: one document's chunks can fill a page, so go deeper
            rows = self.nearest(vector, mode, depth, flt, params, keys)
            ranked = best_per_doc(rows) if per_doc else rows
            if not per_doc or len(ranked) >= limit or len(rows) < depth:
                return ranked[:limit]
            depth *= 4

    def nearest(self, vector: Any, using: str, limit: int, flt: qe.Filter | None,
                params: qe.SearchParams, fields: list[str] | None = None) -> list[tuple[float, dict[str, Any]]]:
        """(score, payload) of the `limit` nearest chunks by one named vector, with Edge's own parameters
        (`fields`: only these payload keys and the chunk id; none at all reads no payload)."""
        found = self._open(self.chunks).query(qe.QueryRequest(
            limit=limit, query=qe.Query.Nearest(vector, using=using), filter=flt, params=params,
            with_payload=True if fields is None else (fields or False), with_vector=False))
        if fields is None:
            return [(p.score, p.payload or {}) for p in found]
        return [(p.score, {**(p.payload or {}), "chunk_id": str(p.id)}) for p in found]

    def payloads(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Whole payloads of these chunks by chunk id."""
        if self.chunks is None or not chunk_ids:
            return {}
        found = self._open(self.chunks).retrieve(list(chunk_ids), with_payload=True, with_vector=False)
        return {str(r.id): r.payload or {} for r in found}

    # -- index building and release -----------------------------------------------------------
    def unindexed(self) -> int:
        """Dense vectors not yet in an HNSW graph (searched exactly until optimize() runs)."""
        if self.chunks is None:
            return 0
        info = self.chunks.info()
        # indexed_vectors_count counts both named vectors, and sparse ones are indexed on write:
        # what is missing from two per point is the dense vectors still outside an HNSW graph.
        return max(0, 2 * info.points_count - info.indexed_vectors_count)

    def optimize(self) -> bool:
        """Merge segments and build the HNSW index (blocks; searches keep answering meanwhile)."""
        self.generation += 1
        if self.chunks is None:
            return False
        changed = bool(self.chunks.optimize())
        self.flush()
        return changed

    def close(self) -> None:
        """Flush and release both shards and the lock."""
        for shard in (self.chunks, self.docs_shard):
            if shard is not None:
                shard.flush()
                shard.close()
        self.chunks = self.docs_shard = None
        self.lock.release()

    def _open(self, shard: qe.EdgeShard | None) -> qe.EdgeShard:
        """A shard to write to: open() creates them."""
        if shard is None:
            raise StoreError("the store is not open (open() creates it)", source=str(self.path))
        return shard


def search_params(filters: SearchFilters) -> qe.SearchParams:
    """HNSW with a wide beam, or exact search under a selective filter (see HNSW_EF, EXACT_WHEN_FILTERED); leaving
    out the bibliography and front matter keeps most of the archive, which the graph searches well."""
    return qe.SearchParams(hnsw_ef=HNSW_EF, exact=EXACT_WHEN_FILTERED and filters.selective)


def edge_filter(filters: SearchFilters) -> qe.Filter | None:
    """An Edge filter from SearchFilters."""
    must: list[Any] = []
    for key, values in (("lang", filters.lang), ("kind", filters.kind),
                        ("categories", filters.category), ("doc_id", filters.doc_id)):
        if values:
            must.append(qe.FieldCondition(key, match=qe.MatchAny(list(values))))
    if filters.date_from or filters.date_to:
        must.append(qe.FieldCondition("date_ts", range=qe.RangeFloat(
            gte=filters.date_from.timestamp() if filters.date_from else None,
            lte=filters.date_to.timestamp() if filters.date_to else None)))
    if filters.exclude_references:
        # The binding turns a Python bool into the integer 0/1, which matches no boolean payload:
        # numpy's bool goes through as a boolean (the contract tests catch a regression).
        must.append(qe.FieldCondition("references", match=qe.MatchValue(np.bool_(False))))  # type: ignore[arg-type]
    hidden = filters.hidden_roles  # chunks stored before roles have none, and are searched as body
    must_not: list[Any] = [qe.FieldCondition("role", match=qe.MatchAny(hidden))] if hidden else []
    if filters.only_roles:
        must.append(qe.FieldCondition("role", match=qe.MatchAny(filters.only_roles)))
    return qe.Filter(must=must or None, must_not=must_not or None) if must or must_not else None


def _doc_condition(doc_id: str) -> qe.FieldCondition:
    return qe.FieldCondition("doc_id", match=qe.MatchValue(doc_id))


def _named(vector: Any) -> dict[str, Any]:
    return vector if isinstance(vector, dict) else {}


def _scroll(shard: qe.EdgeShard, flt: qe.Filter | None, with_vector: bool | list[str],
            page: int = PAGE) -> Iterator[qe.Record]:
    """Every record matching `flt`, page by page."""
    offset: Any = None
    while True:
        records, offset = shard.scroll(qe.ScrollRequest(offset=offset, limit=page, filter=flt, with_payload=True,
                                                        with_vector=with_vector))
        yield from records
        if offset is None:
            return
