"""Background ingest jobs for the HTTP server: one worker, so writes to the store never overlap."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from veille.errors import StoppedError, VeilleError
from veille.index.embedding.cache import STOP
from veille.pipeline import IngestItem, IngestReport
from veille.watch.run import WatchReport, summary_counts

JobStatus = Literal["queued", "running", "done", "failed"]
Progress = Callable[[IngestItem], None]


class Job(BaseModel):
    """An ingest job as GET /jobs/{id} shows it."""

    id: str
    kind: str = Field(description="upload or arxiv.")
    status: JobStatus = "queued"
    created_at: datetime
    finished_at: datetime | None = None
    total: int | None = Field(default=None, description="Inputs to process, when known in advance.")
    done: int = Field(default=0, description="Inputs processed so far.")
    counts: dict[str, int] = Field(default_factory=dict, description="Items per status (added, failed...).")
    items: list[IngestItem] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the whole job failed.")
    detail: dict[str, Any] | None = Field(default=None, description="A watch run: its figures, errors and digest.")


class Jobs:
    """Registry and single-thread runner of ingest jobs."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="veille-ingest")
        self._stop = threading.Event()

    def get(self, job_id: str) -> Job | None:
        """A copy of the job's current state."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job else None

    def submit(self, kind: str, work: Callable[[Progress], IngestReport | WatchReport],
               total: int | None = None) -> Job:
        """Queue `work(progress)`; returns the job immediately."""
        job = Job(id=uuid.uuid4().hex[:12], kind=kind, created_at=datetime.now(UTC), total=total)
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job.id, work)
        return job.model_copy()

    def _progress(self, job_id: str) -> Progress:
        def step(item: IngestItem) -> None:
            with self._lock:
                job = self._jobs[job_id]
                job.items.append(item)
                job.done += 1
                job.counts[item.status] = job.counts.get(item.status, 0) + 1
            if self._stop.is_set():  # between two inputs: what is stored stays, the rest is not started
                raise StoppedError("the server shut down before this job ended; send it again to finish it "
                                   "(what was stored stays)", source=job_id)
        return step

    def _run(self, job_id: str, work: Callable[[Progress], IngestReport | WatchReport]) -> None:
        STOP.set(self._stop)  # embedding stops between batches once shutdown() is called
        self._set(job_id, status="running")
        try:
            result = work(self._progress(job_id))
            detail = None
            if isinstance(result, WatchReport):
                detail = {"counts": summary_counts(result), "digest_path": result.digest_path,
                          "digest_error": result.digest_error,
                          "runs": [r.model_dump(mode="json", exclude={"items"}) for r in result.runs]}
            self._set(job_id, status="done", detail=detail)
        except VeilleError as exc:
            self._set(job_id, status="failed", error=str(exc))
        except Exception as exc:  # a job must end in a state the client can read, whatever happened
            self._set(job_id, status="failed", error=f"internal error: {type(exc).__name__}")

    def _set(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs[job_id]
            for key, value in changes.items():
                setattr(job, key, value)
            if changes.get("status") in ("done", "failed"):
                job.finished_at = datetime.now(UTC)

    @property
    def stopping(self) -> bool:
        """Whether shutdown() was called."""
        return self._stop.is_set()

    def shutdown(self) -> None:
        """Stop: queued jobs are dropped, the running one ends after its current batch or input."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
