"""Embedding cache: (model, runtime, text hash) → vector, in SQLite, so no text is embedded twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from veille.index.embedder import Embedder
from veille.ingest.chunking import text_hash


class EmbeddingCache:
    """A persistent vector cache; `None` path keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, "
                        "PRIMARY KEY (model, hash))")
        self.hits = 0
        self.misses = 0

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for the hashes that have one."""
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            part = list(hashes[start:start + 500])
            rows = self.db.execute(
                f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({','.join('?' * len(part))})",
                [model, *part]).fetchall()
            out.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return out

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors (float32) by text hash."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()])

    def close(self) -> None:
        """Close the database."""
        self.db.close()


def cache_key(embedder: Embedder) -> str:
    """Vectors from different runtimes of one model differ slightly: key by both."""
    return f"{embedder.model_id}@{embedder.runtime}"


def embed_passages(embedder: Embedder, texts: Sequence[str], cache: EmbeddingCache | None,
                   batch_size: int = 32) -> np.ndarray:
    """Embed passages, reusing cached vectors, deduplicating, batching by length."""
    hashes = [text_hash(t) for t in texts]
    key = cache_key(embedder)
    known = cache.get_many(key, hashes) if cache else {}
    todo: dict[str, str] = {h: t for h, t in zip(hashes, texts, strict=True) if h not in known}
    if cache:
        cache.hits += len(texts) - len(todo)
        cache.misses += len(todo)
    # Sorting by length keeps padding low inside each batch.
    order = sorted(todo, key=lambda h: len(todo[h]))
    fresh: dict[str, np.ndarray] = {}
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        vecs = embedder.embed_passages([todo[h] for h in batch])
        fresh.update(zip(batch, vecs, strict=True))
    if cache and fresh:
        cache.put_many(key, fresh)
    known.update(fresh)
    return np.stack([known[h] for h in hashes]) if hashes else np.zeros((0, embedder.dim), np.float32)
