"""The watch over HTTP (`/watch`, `/ingest/urls`) and the scheduler that runs due subscriptions.

Runs go through the server's job queue like every ingest, one at a time, so the scheduler, a
`POST /watch/{id}/run` and an upload never write to the store together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from veille.errors import QueryError
from veille.interfaces.http.jobs import Job
from veille.watch.run import WatchReport
from veille.watch.subscriptions import Subscription, new_subscription

if TYPE_CHECKING:
    from veille.interfaces.http.shared_kb import SharedKnowledgeBase

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


def watch_routes(app: FastAPI, s: SharedKnowledgeBase, writer: list[Any], reader: list[Any]) -> None:
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


def submit_watch(s: SharedKnowledgeBase, ids: list[str] | None, digest: bool | None, due_only: bool = False) -> Job:
    """Queue a watch run on the server's job queue."""
    def work(progress: Any) -> WatchReport:
        report: WatchReport = s.call(s.kb.watch, ids, due_only=due_only, digest=digest, progress=progress,
                                     build_index=False)
        s.kb.optimize(force=False)  # outside the lock, as after every ingest job (readers keep going)
        return report
    return s.jobs.submit("watch", work)


