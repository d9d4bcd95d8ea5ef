"""The HTTP API (FastAPI). It owns the knowledge base: one model load, one store handle, one writer."""

from __future__ import annotations

import hmac
import uuid
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from veille import __version__
from veille.errors import LLMError, NotFoundError, QueryError, StoreError, VeilleError
from veille.interfaces.http.limits import guard
from veille.interfaces.http.read_routes import read_routes
from veille.interfaces.http.scheduler import Scheduler
from veille.interfaces.http.shared_kb import SharedKnowledgeBase
from veille.interfaces.http.watch_routes import watch_routes
from veille.interfaces.http.write_routes import write_routes
from veille.interfaces.room.pages import room_routes
from veille.kb import KnowledgeBase
from veille.settings import Settings

_STATUS = [(NotFoundError, 404), (QueryError, 400), (LLMError, 502), (StoreError, 503), (VeilleError, 400)]


def _error(status: int, kind: str, message: str, source: str | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message, "source": source}})


def create_app(kb: KnowledgeBase | None = None, settings: Settings | None = None) -> FastAPI:
    """The FastAPI application; `kb` may be given (tests), else it is opened from the settings."""
    settings = kb.settings if kb else (settings or Settings())
    service = SharedKnowledgeBase(kb or KnowledgeBase(settings))

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

    app = FastAPI(title="Veille", version=__version__, lifespan=lifespan,
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
    read_routes(app, service, settings, reader)
    write_routes(app, service, settings, writer, reader)
    watch_routes(app, service, writer, reader)
    room_routes(app, service, settings)
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

