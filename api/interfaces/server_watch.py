"""The watch over HTTP (`/watch`, `/ingest/urls`) and the scheduler that runs due subscriptions.

Runs go through the server's job queue like every ingest, one at a time, so the scheduler, a
`POST /watch/{id}/run` and an upload never write to the store together.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from veille.ingest.errors import QueryError
from veille.interfaces.jobs import Job
from veille.watch import Subscription, is_due, new_subscription
from veille.watching import RETRY_AFTER, WatchReport

if TYPE_CHECKING:
    from veille.interfaces.service import Service

class WatchRequest(BaseModel):
    """A new subscription."""

    kind: Literal["arxiv", "feed", "hf-daily", "url"]
    url: str | None = Field(default=None, description="Feed or page URL (feed, url).")
    category: str | None = Field(default=None, description="arXiv category (arxiv).")
    query: str | None = Field(default=None, description="arXiv search query (arxiv).")
    schedule: str = "daily"


class RunRequest(BaseModel):
    """Which subscriptions to run now."""

    ids: list[str] | None = Field(default=None, description="Default: all.")
    digest: bool | None = Field(default=None, description="True: always write the digest; False: never.")


class UrlsRequest(BaseModel):
    """Web pages to ingest."""

    urls: list[str] = Field(min_length=1, max_length=200)


def _subscription(req: WatchRequest) -> Subscription:
    if req.kind == "arxiv":
        if bool(req.category) == bool(req.query):
            raise QueryError("an arxiv subscription needs one of category or query", source="watch")
        return new_subscription("arxiv", req.category or req.query or "", arxiv_query=bool(req.query),
                                schedule=req.schedule)
    if req.kind in ("feed", "url") and not req.url:
        raise QueryError(f"a {req.kind} subscription needs a url", source="watch")
    return new_subscription(req.kind, req.url or "", schedule=req.schedule)


def watch_routes(app: FastAPI, s: Service, writer: list[Any], reader: list[Any]) -> None:
    """GET/POST /watch, DELETE /watch/{id}, POST /watch/{id}/run, POST /watch/run, POST /ingest/urls."""
    kb = s.kb

    @app.get("/watch", dependencies=reader)
    def subscriptions() -> dict[str, Any]:
        """Every subscription with its last run and last error."""
        return {"subscriptions": [x.shown() for x in kb.subscriptions.all()]}

    @app.post("/watch", dependencies=writer, status_code=201)
    def add(req: WatchRequest) -> dict[str, Any]:
        """Subscribe to a source (the same source twice gives the first subscription back)."""
        sub, added = kb.subscriptions.add(_subscription(req))
        return sub.shown() | {"added": added}

    @app.delete("/watch/{sub_id}", dependencies=writer)
    def remove(sub_id: str) -> dict[str, Any]:
        """Stop watching a source; what it brought in stays."""
        return {"removed": kb.subscriptions.remove(sub_id).shown()}

    @app.post("/watch/{sub_id}/run", dependencies=writer, status_code=202)
    def run_one(sub_id: str) -> Job:
        """Run one subscription now, in the background."""
        kb.subscriptions.get(sub_id)  # an unknown id is a 404 now, not a failed job later
        return submit_watch(s, [sub_id], None)

    @app.post("/watch/run", dependencies=writer, status_code=202)
    def run_many(req: RunRequest) -> Job:
        """Run subscriptions now (all by default), then write the morning digest."""
        return submit_watch(s, req.ids, req.digest)

    @app.post("/ingest/urls", dependencies=writer, status_code=202)
    def ingest_urls(req: UrlsRequest) -> Job:
        """Fetch web pages (or PDFs, arXiv links) and ingest them in the background."""
        return s.jobs.submit("urls", lambda progress: s.ingest(kb.ingest_urls, req.urls, progress=progress),
                             total=len(req.urls))


def submit_watch(s: Service, ids: list[str] | None, digest: bool | None, due_only: bool = False) -> Job:
    """Queue a watch run on the server's job queue."""
    def work(progress: Any) -> WatchReport:
        report: WatchReport = s.call(s.kb.watch, ids, due_only=due_only, digest=digest, progress=progress,
                                     build_index=False)
        s.kb.optimize(force=False)  # outside the lock, as after every ingest job (readers keep going)
        return report
    return s.jobs.submit("watch", work)


class Scheduler:
    """A thread that queues the due subscriptions every `tick` seconds (a failed one waits RETRY_AFTER)."""

    def __init__(self, s: Service, tick: float) -> None:
        self.s, self.tick = s, tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="veille-watch", daemon=True)
        self._pending: str | None = None

    def start(self) -> None:
        """Begin ticking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop at the next tick (a queued run still finishes)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            self.tick_once()

    def tick_once(self, now: datetime | None = None) -> Job | None:
        """Queue a run of the due subscriptions, unless the previous one is still waiting or running."""
        if self._pending and (job := self.s.jobs.get(self._pending)) and job.status in ("queued", "running"):
            return None
        now = now or datetime.now(UTC)
        due = [x.id for x in self.s.kb.subscriptions.all() if _due(x, now)]
        if not due:
            return None
        job = submit_watch(self.s, due, None, due_only=True)
        self._pending = job.id
        return job


def _due(sub: Subscription, now: datetime) -> bool:
    recent_failure = sub.last_error and sub.last_attempt and now - sub.last_attempt < RETRY_AFTER
    return is_due(sub, now) and not recent_failure
