"""The read routes: health, stats, search, ask (streamed or whole), digests, documents."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Literal

import anyio
import anyio.to_thread
import pydantic_core
from fastapi import FastAPI, Query
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from veille.anchors import hit_anchor
from veille.digest.brief import Digest
from veille.errors import NotFoundError, VeilleError
from veille.index.hits import Hit, SearchFilters, SearchMode
from veille.index.records import DocRecord
from veille.ingest.text_files import scrub
from veille.interfaces.http.shared_kb import FreeTurn, SharedKnowledgeBase
from veille.languages import ANSWER_LANGS
from veille.reader.answer import Answer
from veille.settings import Settings


class SearchRequest(BaseModel):
    """POST /search."""

    query: str = Field(examples=["KV cache compression"])
    k: int = Field(default=10, ge=1, le=1000)
    mode: SearchMode = "hybrid"
    per_doc: bool = False
    filters: SearchFilters = Field(default_factory=SearchFilters)


class AskRequest(BaseModel):
    """POST /ask."""

    question: str = Field(examples=["Combien de mémoire le cache occupe-t-il pour un contexte de 32k ?"])
    k: int = Field(default=8, ge=1, le=50)
    lang: str | None = Field(default=None, description="Answer language (default: the question's).")
    use_llm: bool = True
    stream: bool = Field(default=False, description="Server-sent events: token pieces, then the answer.")
    filters: SearchFilters = Field(default_factory=SearchFilters)


class DigestRequest(BaseModel):
    """POST /digest."""

    topic: str | None = Field(default=None, examples=["KV cache compression"])
    since: datetime | None = None
    until: datetime | None = None
    lang: str = Field(default="fr", description="Language of the digest's own words: "
                                                + ", ".join(sorted(ANSWER_LANGS)) + ".")
    max_docs: int = Field(default=8, ge=1, le=50)
    kinds: list[str] | None = None


def _hits(query: str, hits: list[Hit]) -> dict[str, Any]:
    return {"query": query, "hits": [h.model_dump(mode="json") | {"section": " > ".join(h.section),
                                                                   "anchor": hit_anchor(h).model_dump()} for h in hits]}



def _sse(events: Iterator[str | Answer]) -> Iterator[str]:
    try:
        for event in events:
            if isinstance(event, Answer):
                yield f"event: answer\ndata: {event.model_dump_json()}\n\n"
            else:
                yield f"event: token\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
    except VeilleError as exc:
        yield f"event: error\ndata: {json.dumps({'type': type(exc).__name__, 'message': str(exc)})}\n\n"


class _ReleaseOnce:
    """Releases the readers' turn once, from whichever comes first: the stream's end, or the
    response's background task, which Starlette runs even when the client went away (a generator
    never started has no `finally` to run, so a dropped stream would keep the lock for good)."""

    def __init__(self, lock: threading.Lock | FreeTurn) -> None:
        self.lock, self.done, self.guard = lock, False, threading.Lock()

    def __call__(self) -> None:
        with self.guard:
            if not self.done:
                self.done = True
                self.lock.release()


def _released(release: _ReleaseOnce, first: str | Answer, rest: Iterator[str | Answer]) -> Iterator[str | Answer]:
    """The stream's events; the knowledge-base lock is released when the stream ends."""
    try:
        yield first
        yield from rest
    finally:
        release()


def answer_events(s: SharedKnowledgeBase, question: str, args: dict[str, Any]) -> tuple[Iterator[str | Answer],
                                                                                       Callable[[], None]]:
    """An answer's events (text pieces, then the Answer) with the readers' turn held, and what releases the
    turn: once, at the stream's end or from the response's background task, whichever comes first. A bad
    question fails here, before any event, so that it is answered as an error rather than a broken stream."""
    turn = s.readers
    turn.acquire()
    try:
        events = s.kb.ask_stream(question, **args)
        first = next(events)
    except BaseException:
        turn.release()
        raise
    release = _ReleaseOnce(turn)
    return _released(release, first, events), release


def _stream(s: SharedKnowledgeBase, question: str, args: dict[str, Any]) -> StreamingResponse:
    """A streamed answer: the readers' turn is held until the stream ends or the client goes away."""
    events, release = answer_events(s, question, args)
    return StreamingResponse(_sse(events), media_type="text/event-stream", background=BackgroundTask(release))


def read_routes(app: FastAPI, s: SharedKnowledgeBase, settings: Settings, reader: list[Any]) -> None:
    """GET /health, /stats, /documents, /documents/{id}, /digest; POST /search, /ask, /digest."""
    kb = s.kb

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Store and embedder ready."""
        stats = s.read(kb.stats)
        return {"status": "ok", "documents": stats["documents"], "embedder": stats["embedder"],
                "max_upload_mb": settings.max_upload_mb, "instance": app.state.instance}

    @app.get("/stats", dependencies=reader)
    def stats() -> dict[str, Any]:
        """Counts by language and kind, embedder and store."""
        return s.read(kb.stats)

    @app.post("/search", dependencies=reader)
    async def search(req: SearchRequest) -> Response:
        """The k best passages, in any language."""
        def found() -> bytes:  # the JSON written in the worker too: the event loop serves every client
            hits = kb.search(req.query, k=req.k, mode=req.mode, filters=req.filters, per_doc=req.per_doc)
            return pydantic_core.to_json(_hits(scrub(req.query), hits))  # the query echoed: valid UTF-8 too
        return Response(await s.heavy(found), media_type="application/json")

    @app.post("/ask", response_model=None, dependencies=reader)
    async def ask(req: AskRequest) -> Answer | StreamingResponse:
        """An answer with verbatim, paged citations; `stream: true` for server-sent events."""
        args: dict[str, Any] = {"k": req.k, "lang": req.lang, "filters": req.filters, "use_llm": req.use_llm}
        if not req.stream:
            answer: Answer = await s.heavy(kb.ask, req.question, **args)
            return answer
        return await anyio.to_thread.run_sync(functools.partial(_stream, s, req.question, args))

    @app.post("/digest", dependencies=reader)
    async def digest(req: DigestRequest) -> Digest:
        """A cited digest as JSON (the Markdown is in `markdown`)."""
        d: Digest = await s.heavy(kb.digest, req.topic, since=req.since, until=req.until,
                                  lang=req.lang, max_docs=req.max_docs, kinds=req.kinds)
        return d

    @app.get("/digest", response_model=None, dependencies=reader)
    async def digest_get(topic: str | None = None, since: datetime | None = None, until: datetime | None = None,
                         lang: str = "fr", max_docs: int = Query(8, ge=1, le=50),
                         format: Literal["md", "json"] = "md") -> Any:
        """The digest as Markdown (`format=md`, default) or JSON."""
        d: Digest = await s.heavy(kb.digest, topic, since=since, until=until, lang=lang, max_docs=max_docs)
        return PlainTextResponse(d.markdown, media_type="text/markdown") if format == "md" else d

    @app.get("/glossary", dependencies=reader)
    def glossary(term: str | None = Query(None, max_length=200)) -> dict[str, Any]:
        """The terms the archive gives in two languages (all, or those naming `term`), with counts and documents."""
        return {"entries": [e.__dict__ for e in s.read(kb.glossary, term)]}

    @app.get("/documents", dependencies=reader)
    def documents(offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500), lang: str | None = None,
                  kind: str | None = None) -> dict[str, Any]:
        """Stored documents, paged and filterable."""
        docs: list[DocRecord] = [d for d in s.read(kb.documents) if (not lang or d.lang == lang)
                                 and (not kind or d.kind == kind)]
        return {"total": len(docs), "offset": offset, "limit": limit,
                "documents": [d.model_dump(mode="json") for d in docs[offset:offset + limit]]}

    @app.get("/documents/{doc_id:path}", dependencies=reader)
    def document(doc_id: str) -> dict[str, Any]:
        """One document: metadata, chunks and where to open it."""
        record = s.read(kb.document, doc_id)
        if record is None:
            raise NotFoundError("no such document", source=doc_id)
        link = f"https://arxiv.org/abs/{record.arxiv_id}" if record.arxiv_id else record.source
        return {"document": record.model_dump(mode="json"), "link": link, "chunks": s.read(kb.chunks, doc_id)}
