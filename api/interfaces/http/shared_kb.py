"""The knowledge base as the HTTP server's threads share it: ordered writes, reads side by side."""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

import anyio
import anyio.to_thread

from veille.errors import StoreError
from veille.interfaces.http.jobs import Jobs
from veille.kb import KnowledgeBase
from veille.pipeline import IngestReport


class FreeTurn:
    """The turn a reader takes on a store that reads beside a writer: none."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None

    def __enter__(self) -> FreeTurn:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class SharedKnowledgeBase:
    """The knowledge base shared by the server's threads.

    Writes (deletes, ingest jobs, watch runs) take `lock`, so they stay ordered. Reads (searches,
    answers, digests, documents, stats) run side by side and beside the writer where the store
    allows it (Qdrant Edge, a Qdrant server: `Store.concurrent_reads`); the embedder, the sparse
    tokenizers and the embedding cache are safe to share between threads. On a store that does not
    allow it (qdrant-client's local mode), reads take their turn on the lock like writes."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        # a plain Lock: a streamed answer releases it from whichever worker thread ends the stream
        self.lock = threading.Lock()
        self.jobs = Jobs()
        self._readers: threading.Lock | FreeTurn | None = None
        # Searches, answers and digests are CPU-bound (the model, the engine): more of them at once than
        # there are cores only slows each one down, and would take every thread of the server's pool,
        # so that /stats queued behind them. They wait for one of these turns instead.
        self.compute = anyio.CapacityLimiter(kb.settings.http_workers or os.cpu_count() or 2)
        self.timeout = kb.settings.request_timeout

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a knowledge-base write under the lock."""
        with self.lock:
            return fn(*args, **kwargs)

    @property
    def readers(self) -> threading.Lock | FreeTurn:
        """What a read holds while it runs: nothing, or the writers' lock where the store needs it.
        The first use opens the store and loads the embedder, once, under the lock."""
        if self._readers is None:
            with self.lock:
                _ = self.kb.services.store, self.kb.services.embedder
                self._readers = FreeTurn() if self.kb.services.store.concurrent_reads else self.lock
        return self._readers

    def read(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a knowledge-base read (see the class)."""
        with self.readers:
            return fn(*args, **kwargs)

    async def heavy(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """A search, an answer or a digest: a read run in a worker thread when a compute turn is free,
        within the request time budget (past it, the client gets a 503; the thread ends its bounded work)."""
        try:
            with anyio.fail_after(self.timeout):
                return await anyio.to_thread.run_sync(functools.partial(self.read, fn, *args, **kwargs),
                                                       limiter=self.compute, abandon_on_cancel=True)
        except TimeoutError:
            raise StoreError(f"no answer within {self.timeout:g} s (VEILLE_REQUEST_TIMEOUT)",
                             source="request") from None

    def ingest(self, fn: Any, *args: Any, **kwargs: Any) -> IngestReport:
        """An ingest job: the writes under the lock, then the search index built outside it.

        Building takes minutes at 100k chunks; the engine answers searches meanwhile (it releases
        the GIL), so readers are not made to wait. Jobs run one at a time, so writes stay ordered."""
        report: IngestReport = self.call(fn, *args, build_index=False, **kwargs)
        self.kb.optimize(force=False)
        return report
