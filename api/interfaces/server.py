"""The HTTP API (FastAPI). It owns the knowledge base: one model load, one store handle, one writer."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
import pydantic_core
from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from veille.engines.models import Answer, Digest
from veille.index.models import DocRecord, Hit, SearchFilters, SearchMode
from veille.ingest.errors import LLMError, NotFoundError, QueryError, StoreError, VeilleError
from veille.ingest.sources import SUPPORTED_SUFFIXES
from veille.ingest.textio import scrub
from veille.interfaces.http_limits import guard
from veille.interfaces.jobs import Job
from veille.interfaces.server_watch import Scheduler, watch_routes
from veille.interfaces.service import FreeTurn, Service
from veille.kb import KnowledgeBase
from veille.settings import Settings

_STATUS = [(NotFoundError, 404), (QueryError, 400), (LLMError, 502), (StoreError, 503), (VeilleError, 400)]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\-\uac00-\ud7a3À-ÿ]+")


class SearchRequest(BaseModel):
    """POST /search."""

    query: str = Field(examples=["KV cache compression"])
    k: int = Field(default=10, ge=1, le=1000)
    mode: SearchMode = "hybrid"
    per_doc: bool = False
    filters: SearchFilters = Field(default_factory=SearchFilters)


class AskRequest(BaseModel):
    """POST /ask."""

    question: str = Field(examples=["Quelle précision les Q-Filters conservent-ils ?"])
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
    lang: Literal["fr", "en", "ko"] = "fr"
    max_docs: int = Field(default=8, ge=1, le=50)
    kinds: list[str] | None = None


class ArxivRequest(BaseModel):
    """POST /ingest/arxiv: ids, a query, or a category window."""

    ids: list[str] | None = Field(default=None, examples=[["1706.03762"]])
    query: str | None = None
    category: str | None = None
    days: int = Field(default=1, ge=1, le=365)
    max_results: int = Field(default=50, ge=1, le=2000)


def _error(status: int, kind: str, message: str, source: str | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message, "source": source}})


def _hits(query: str, hits: list[Hit]) -> dict[str, Any]:
    return {"query": query, "hits": [h.model_dump(mode="json") | {"section": " > ".join(h.section)} for h in hits]}


def create_app(kb: KnowledgeBase | None = None, settings: Settings | None = None) -> FastAPI:
    """The FastAPI application; `kb` may be given (tests), else it is opened from the settings."""
    settings = kb.settings if kb else (settings or Settings())
    service = Service(kb or KnowledgeBase(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        scheduler = Scheduler(service, settings.watch_tick_seconds) if settings.watch_tick_seconds else None
        if scheduler:
            scheduler.start()
        yield
        if scheduler:
            scheduler.stop()
        service.jobs.shutdown()
        service.kb.close()

    app = FastAPI(title="Veille", version="0.1.0", lifespan=lifespan,
                  description="Multilingual knowledge base for AI research: search, ask, digest, ingest.")
    app.state.service = service
    app.state.settings = settings
    app.state.instance = uuid.uuid4().hex  # lets a client tell this server from a stale advertisement
    _handlers(app)
    guard(app, settings)

    def auth(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = f"Bearer {settings.api_token}".encode()
        if settings.api_token and not hmac.compare_digest((authorization or "").encode(), expected):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token")

    writer = [Depends(auth)]
    reader = writer if settings.token_on_reads else []
    _read_routes(app, service, settings, reader)
    _write_routes(app, service, settings, writer, reader)
    watch_routes(app, service, writer, reader)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(VeilleError)
    async def veille_error(request: Request, exc: VeilleError) -> JSONResponse:
        status = next(code for cls, code in _STATUS if isinstance(exc, cls))
        return _error(status, type(exc).__name__, exc.message, exc.source)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "ValidationError", str(first.get("msg", "invalid request")), where)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "HTTPError", str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, "InternalError", "internal error; see the server log")


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
    never started has no `finally` to run: a dropped stream used to keep the lock for good)."""

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


def _stream(s: Service, question: str, args: dict[str, Any]) -> StreamingResponse:
    """A streamed answer: the readers' turn is held until the stream ends or the client goes away."""
    turn = s.readers
    turn.acquire()
    try:
        events = s.kb.ask_stream(question, **args)
        first = next(events)  # bad questions fail here, as a JSON error rather than a broken stream
    except BaseException:
        turn.release()
        raise
    release = _ReleaseOnce(turn)
    return StreamingResponse(_sse(_released(release, first, events)), media_type="text/event-stream",
                             background=BackgroundTask(release))


def _read_routes(app: FastAPI, s: Service, settings: Settings, reader: list[Any]) -> None:
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
                         lang: Literal["fr", "en", "ko"] = "fr", max_docs: int = Query(8, ge=1, le=50),
                         format: Literal["md", "json"] = "md") -> Any:
        """The digest as Markdown (`format=md`, default) or JSON."""
        d: Digest = await s.heavy(kb.digest, topic, since=since, until=until, lang=lang, max_docs=max_docs)
        return PlainTextResponse(d.markdown, media_type="text/markdown") if format == "md" else d

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


def _write_routes(app: FastAPI, s: Service, settings: Settings, writer: list[Any], reader: list[Any]) -> None:
    kb = s.kb

    @app.delete("/documents/{doc_id:path}", dependencies=writer)
    def delete(doc_id: str) -> dict[str, Any]:
        """Delete a document and its chunks."""
        if s.read(kb.document, doc_id) is None:
            raise NotFoundError("no such document", source=doc_id)
        record = s.call(kb.remove, doc_id)
        return {"deleted": record.doc_id, "chunks": record.chunks}

    @app.post("/ingest/arxiv", dependencies=writer, status_code=202)
    def ingest_arxiv(req: ArxivRequest) -> Job:
        """Fetch and ingest papers from arXiv in the background."""
        if sum(x is not None for x in (req.ids, req.query, req.category)) != 1:
            raise QueryError("give exactly one of ids, query or category", source="ingest/arxiv")
        return s.jobs.submit("arxiv", lambda progress: s.ingest(
            kb.ingest_arxiv, ids=req.ids, query=req.query, category=req.category, days=req.days,
            max_results=req.max_results, progress=progress), total=len(req.ids) if req.ids else None)

    @app.post("/ingest/upload", dependencies=writer, status_code=202)
    def upload(files: Annotated[list[UploadFile], File(description="PDF, notes or JSONL files.")],
               origins: Annotated[list[str] | None, Form(
                   description="Optional, one per file: the file's path on the sender's machine. The document "
                               "is stored under that name (never read from it), so sending the same file again "
                               "updates it instead of adding a copy.")] = None) -> Job:
        """Store uploaded files under VEILLE_HOME/uploads and ingest them in the background."""
        if origins is not None and (len(origins) != len(files) or any(not o or len(o) > 1024 for o in origins)):
            raise QueryError("give one origin (1 to 1024 characters) per file, or none", source="origins")
        names = origins or [Path(f.filename or "upload").name for f in files]
        if len(set(names)) < len(names):
            raise QueryError("two files have the same name; give each its origin", source="files")
        root, limit = settings.home / "uploads", settings.max_upload_mb
        saved = [_save(f, root, name, limit) for f, name in zip(files, names, strict=True)]
        mapping = {str(p): o for p, o in zip(saved, origins or [], strict=False)}
        return s.jobs.submit("upload", lambda progress: s.ingest(kb.ingest, saved, progress=progress,
                                                                 origins=mapping), total=len(saved))

    @app.get("/jobs/{job_id}", dependencies=reader)
    def job(job_id: str) -> Job:
        """Progress, counts and per-item errors of an ingest job."""
        found = s.jobs.get(job_id)
        if found is None:
            raise NotFoundError("no such job", source=job_id)
        return found


def _save(upload: UploadFile, root: Path, key: str, max_mb: int) -> Path:
    """Write one upload under `root` in a folder named after `key` (its origin or its name, so that
    sending a file again replaces it), under a sanitised name; refuse unknown types and oversize files."""
    raw = Path(upload.filename or "upload").name  # never a directory part from the client
    name = _SAFE_NAME.sub("_", raw).lstrip(".") or "upload"
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise QueryError(f"file type not allowed (expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))})",
                         source=raw)
    data = upload.file.read(max_mb * 1024 * 1024 + 1)
    if len(data) > max_mb * 1024 * 1024:
        raise HTTPException(status_code=413, detail=f"{raw}: larger than {max_mb} MB")
    folder = root / hashlib.sha1(key.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(data)
    return target
