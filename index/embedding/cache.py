"""Embedding cache: (model, runtime, text hash) → vector, in SQLite, so no text is embedded twice."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path

import numpy as np

from veille.errors import StoppedError
from veille.index.embedding.embedder import Embedder
from veille.ingest.chunking import text_hash

# Set by whoever runs long work in a thread (the server's ingest jobs): once the event is set, the next
# batch is not embedded, so a shutdown waits for one batch, not for a whole document or job.
STOP: ContextVar[threading.Event | None] = ContextVar("veille_stop", default=None)


class EmbeddingCache:
    """A persistent vector cache; `None` path keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._lock = threading.Lock()  # one connection shared by the server's threads: one statement at a time
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, "
                        "PRIMARY KEY (model, hash))")
        self.hits = 0
        self.misses = 0

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for the hashes that have one."""
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            part = list(hashes[start:start + 500])
            with self._lock:
                rows = self.db.execute(
                    f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({','.join('?' * len(part))})",
                    [model, *part]).fetchall()
            out.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return out

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors (float32) by text hash."""
        with self._lock, self.db:
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
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
    # Sorting by length keeps padding low inside each batch (the embedder says what length is).
    lengths = dict(zip(todo, embedder.passage_lengths(list(todo.values())), strict=True))
    order = sorted(todo, key=lengths.__getitem__)
    fresh: dict[str, np.ndarray] = {}
    stop = STOP.get()
    for start in range(0, len(order), batch_size):
        if stop is not None and stop.is_set():
            raise StoppedError("not embedded: the server is shutting down", source=f"{len(order) - start} passages")
        batch = order[start:start + batch_size]
        vecs = embedder.embed_passages([todo[h] for h in batch])
        fresh.update(zip(batch, vecs, strict=True))
    if cache and fresh:
        cache.put_many(key, fresh)
    known.update(fresh)
    return np.stack([known[h] for h in hashes]) if hashes else np.zeros((0, embedder.dim), np.float32)


class QueryVectors:
    """The embedder of queries, keeping the last `size` query vectors in memory.

    The same questions come back (a UI that refreshes or pages, a notebook cell run again, a question
    asked then searched); a query costs ~15 ms of one core to embed (onnx-int8, 2-core AMD EPYC), which
    is most of a search. Passages go to the persistent cache above; queries are too many and too
    personal to keep on disk. Safe to share between threads."""

    def __init__(self, embedder: Embedder, size: int = 4096) -> None:
        self.embedder = embedder
        self.model_id, self.runtime, self.dim = embedder.model_id, embedder.runtime, embedder.dim
        self._size = size
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm query vectors, those seen lately from memory."""
        with self._lock:
            known = {t: self._kept[t] for t in texts if t in self._kept}
            for t in known:
                self._kept.move_to_end(t)
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            fresh = dict(zip(todo, self.embedder.embed_queries(todo), strict=True))
            with self._lock:
                self._kept.update(fresh)
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
            known.update(fresh)
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages are not kept here (see embed_passages)."""
        return self.embedder.embed_passages(texts)

    def count_tokens(self, text: str) -> int:
        """The embedder's token count."""
        return self.embedder.count_tokens(text)

    def passage_lengths(self, texts: Sequence[str]) -> list[int]:
        """The embedder's passage lengths."""
        return self.embedder.passage_lengths(texts)


