"""Background jobs: a shutdown stops the running job between two embedding batches or two inputs."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from veille.index.embedding.cache import embed_passages
from veille.index.embedding.fake import FakeEmbedder
from veille.interfaces.http.jobs import Jobs, Progress
from veille.pipeline import IngestItem, IngestReport


class _Slow(FakeEmbedder):
    """Counts batches; the first one tells the test the job is running."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0
        self.started = threading.Event()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.batches += 1
        self.started.set()
        threading.Event().wait(0.02)
        return super().embed_passages(texts)


def test_shutdown_stops_a_job_between_embedding_batches() -> None:
    jobs, embedder = Jobs(), _Slow()

    def work(progress: Progress) -> IngestReport:
        embed_passages(embedder, [f"passage {i}" for i in range(5000)], None, batch_size=1)
        return IngestReport()

    job = jobs.submit("upload", work)
    assert embedder.started.wait(30)
    jobs.shutdown()
    state = jobs.get(job.id)
    assert state is not None and state.status == "failed" and "shutting down" in (state.error or "")
    assert embedder.batches < 5000


def test_shutdown_stops_a_job_between_two_inputs() -> None:
    jobs, started, release = Jobs(), threading.Event(), threading.Event()
    done: list[int] = []

    def work(progress: Progress) -> IngestReport:
        for i in range(100):
            done.append(i)
            started.set()
            release.wait(30)
            progress(IngestItem(source=f"note-{i}.md", status="added"))
        return IngestReport()

    job = jobs.submit("upload", work)
    assert started.wait(30)
    stopper = threading.Thread(target=jobs.shutdown)
    stopper.start()
    while not jobs.stopping:
        threading.Event().wait(0.01)
    release.set()
    stopper.join(30)
    state = jobs.get(job.id)
    assert state is not None and state.status == "failed" and "send it again" in (state.error or "")
    assert state.done == 1 and len(done) == 1
