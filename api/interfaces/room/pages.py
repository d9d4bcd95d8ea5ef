"""The reading room's pages on the HTTP server: ask, search, read a passage, digests, library, watch.

Server-rendered (Jinja2, autoescaped: stored text is data); htmx, served from this server, opens a
citation beside an answer and follows a job, and room.js streams an answer as it comes. Without JavaScript
every page works: links open whole pages and the answer arrives whole. Pages live beside the JSON API,
under paths it does not use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask

from veille.anchors import passage_path
from veille.digest.brief import Digest
from veille.errors import NotFoundError, QueryError, VeilleError
from veille.index.hits import SearchFilters
from veille.index.records import DocRecord
from veille.interfaces.http.read_routes import answer_events
from veille.interfaces.http.shared_kb import SharedKnowledgeBase
from veille.interfaces.http.watch_routes import submit_watch
from veille.interfaces.http.write_routes import save_upload
from veille.interfaces.room import views
from veille.interfaces.room.session import LANG_COOKIE, SESSION_COOKIE, Gate, PageHeaders, interface_language
from veille.languages import ANSWER_LANGS, language_name, text_for
from veille.reader.answer import Answer, Citation
from veille.settings import Settings
from veille.watch.subscriptions import new_subscription

HERE = Path(__file__).resolve().parent
_MARKER = re.compile(r"\[(\d+)\]")
PAGE_CACHE = "pages"  # VEILLE_HOME/cache/pages: rendered PDF pages, by content hash and page


def room_routes(app: FastAPI, s: SharedKnowledgeBase, settings: Settings) -> None:
    """Mount the reading room on `app`."""
    gate = Gate(settings)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["parts"] = cited_parts
    templates = Jinja2Templates(env=env)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(PageHeaders)
    room = _Room(s, settings, gate, templates)
    room.reading(app)
    room.library(app)
    room.watch(app)
    room.account(app)


class _Room:
    """The pages, sharing one knowledge base, gate and template set."""

    def __init__(self, s: SharedKnowledgeBase, settings: Settings, gate: Gate, templates: Jinja2Templates) -> None:
        self.s, self.kb, self.settings, self.gate, self.templates = s, s.kb, settings, gate, templates

    # -- rendering ---------------------------------------------------------------------------
    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A template rendered in the reader's interface language."""
        ui = interface_language(request)
        base = {"request": request, "ui": ui, "t": lambda key, **v: _text(ui, key, **v), "csrf": self.gate.csrf(),
                "signed_in": self.gate.signed_in(request), "token_set": bool(self.settings.api_token),
                "langs": sorted(ANSWER_LANGS), "lang_name": language_name, "fragment": _fragment(request)}
        response = self.templates.TemplateResponse(request, template, base | context, status_code=status)
        asked = request.query_params.get("ui")
        if asked in ANSWER_LANGS:
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="strict", httponly=True)
        return response

    def failure(self, request: Request, exc: VeilleError) -> HTMLResponse:
        status = 404 if isinstance(exc, NotFoundError) else 400
        return self.page(request, "error.html", status=status, message=exc.message, source=exc.source)

    def guarded(self, request: Request, show: Callable[[], Response]) -> Response:
        """A read page, or the login page when reads need the token."""
        if not self.gate.may_read(request):
            return _login_redirect(request)
        try:
            return show()
        except VeilleError as exc:
            return self.failure(request, exc)

    def write(self, request: Request, csrf: str | None, act: Callable[[], Response]) -> Response:
        """A form's write: signed in, the form's own, then done."""
        if not self.gate.signed_in(request):
            return _login_redirect(request)
        if not self.gate.csrf_ok(csrf):
            return self.page(request, "error.html", status=403, message=_text(interface_language(request),
                                                                              "form_expired"), source=None)
        try:
            return act()
        except VeilleError as exc:
            return self.failure(request, exc)

    # -- reading ------------------------------------------------------------------------------
    def reading(self, app: FastAPI) -> None:
        kb, s = self.kb, self.s

        @app.get("/", include_in_schema=False)
        def home() -> RedirectResponse:
            return RedirectResponse("/ask", status_code=303)

        @app.get("/ask", response_class=HTMLResponse, include_in_schema=False)
        async def ask_page(request: Request, q: str = Query("", max_length=2000), lang: str = "") -> Response:
            if not self.gate.may_read(request):
                return _login_redirect(request)
            answer: Answer | None = None
            if q.strip():
                try:
                    answer = await s.heavy(kb.ask, q, lang=lang if lang in ANSWER_LANGS else None)
                except VeilleError as exc:
                    return self.failure(request, exc)
            return self.page(request, "ask.html", q=q, lang=lang, answer=answer)

        @app.get("/ask/stream", include_in_schema=False)
        def ask_stream(request: Request, q: str = Query(..., min_length=1, max_length=2000),
                       lang: str = "") -> Response:
            if not self.gate.may_read(request):
                return Response(status_code=401)
            ui = interface_language(request)
            try:
                events, release = answer_events(s, q, {"lang": lang if lang in ANSWER_LANGS else None})
            except VeilleError as exc:
                return self.failure(request, exc)
            render = self.templates.get_template("answer.html")
            page = {"request": request, "ui": ui, "t": lambda key, **v: _text(ui, key, **v), "fragment": True}
            return StreamingResponse(_answer_stream(events, lambda a: render.render(page | {"answer": a})),
                                     media_type="text/event-stream", background=BackgroundTask(release))

        @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
        async def search_page(request: Request, q: str = Query("", max_length=2000), lang: str = "",
                              kind: str = "", category: str = "", since: str = "", until: str = "") -> Response:
            if not self.gate.may_read(request):
                return _login_redirect(request)
            groups: list[views.FoundDocument] = []
            try:
                filters = SearchFilters(lang=[lang] if lang else None, kind=[kind] if kind else None,
                                        category=[category] if category else None,
                                        date_from=_day(since, "since"), date_to=_day(until, "until"))
                if q.strip():
                    groups = await s.heavy(views.search, kb, q, kb._checked(filters))
            except VeilleError as exc:
                return self.failure(request, exc)
            return self.page(request, "search.html", q=q, lang=lang, kind=kind, category=category, since=since,
                             until=until, groups=groups)

        @app.get("/read/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
        def read(request: Request, doc_id: str, chunk: str | None = None, start: int | None = None,
                 end: int | None = None, page: int | None = Query(None, ge=1)) -> Response:
            def show() -> Response:
                view = s.read(views.passage, kb, doc_id, chunk, start, end, page)
                template = "passage.html" if _fragment(request) else "read.html"
                return self.page(request, template, view=view, here=_here(doc_id, view, start, end),
                                 image=(f"/page-image/{view.page}/{quote(doc_id, safe='')}" if view.page else ""))
            return self.guarded(request, show)

        @app.get("/page-image/{page}/{doc_id:path}", include_in_schema=False)
        def page_image(request: Request, page: int, doc_id: str) -> Response:
            def show() -> Response:
                return Response(self._page_png(doc_id, page), media_type="image/png",
                                headers={"Cache-Control": "private, max-age=86400"})
            return self.guarded(request, show)

        @app.get("/file/{doc_id:path}", include_in_schema=False)
        def original(request: Request, doc_id: str) -> Response:
            def show() -> Response:
                record = s.read(kb.document, doc_id)
                found = views.source_file(kb, record) if record else None
                if found is None:
                    raise NotFoundError("the document's file is not on this machine", source=doc_id)
                return FileResponse(found, filename=found.name)
            return self.guarded(request, show)

        @app.get("/digests", response_class=HTMLResponse, include_in_schema=False)
        async def digests(request: Request, topic: str = Query("", max_length=500), since: str = "",
                          lang: str = "", max_docs: int = Query(8, ge=1, le=50)) -> Response:
            if not self.gate.may_read(request):
                return _login_redirect(request)
            digest: Digest | None = None
            lang = lang if lang in ANSWER_LANGS else interface_language(request)
            if topic.strip() or since:
                try:
                    digest = await s.heavy(kb.digest, topic.strip() or None, since=_since(since), lang=lang,
                                           max_docs=max_docs)
                except VeilleError as exc:
                    return self.failure(request, exc)
            return self.page(request, "digests.html", topic=topic, since=since, lang=lang, max_docs=max_docs,
                             digest=digest, anchors=_anchors(digest), morning=_morning(self.settings.digests))

        @app.get("/digests/morning/{name}", response_class=HTMLResponse, include_in_schema=False)
        def morning(request: Request, name: str) -> Response:
            def show() -> Response:
                found = {p.name: p for p in _morning(self.settings.digests)}.get(name)
                if found is None:
                    raise NotFoundError("no such morning digest", source=name)
                return self.page(request, "morning.html", name=name, html=_markdown(found.read_text("utf-8")))
            return self.guarded(request, show)

    def _page_png(self, doc_id: str, page: int) -> bytes:
        """A PDF page's image, rendered once and kept under VEILLE_HOME/cache/pages."""
        from veille.ingest.pdf_pages import render_png  # PyMuPDF: when a page is asked for

        record = self.s.read(self.kb.document, doc_id)
        pdf = views.pdf_file(self.kb, record) if record else None
        if record is None or pdf is None:
            raise NotFoundError("no PDF for this document on this machine", source=doc_id)
        cache = self.settings.home / "cache" / PAGE_CACHE / f"{record.content_hash or record.doc_id}-{page}.png"
        if cache.is_file():
            return cache.read_bytes()
        png = render_png(pdf, page, views.PAGE_ZOOM)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(png)
        return png

    # -- the library --------------------------------------------------------------------------
    def library(self, app: FastAPI) -> None:
        kb, s, settings = self.kb, self.s, self.settings

        @app.get("/library", response_class=HTMLResponse, include_in_schema=False)
        def library(request: Request, lang: str = "", kind: str = "", sort: str = "date",
                    q: str = Query("", max_length=200)) -> Response:
            def show() -> Response:
                docs = [d for d in s.read(kb.documents) if (not lang or d.lang == lang) and (not kind or d.kind == kind)
                        and (not q or q.lower() in d.title.lower())]
                key: dict[str, Callable[[Any], Any]] = {"title": lambda d: d.title.lower(), "lang": lambda d: d.lang,
                                                        "kind": lambda d: d.kind}
                docs.sort(key=key.get(sort, _when), reverse=sort not in key)
                return self.page(request, "library.html", docs=docs, lang=lang, kind=kind, sort=sort, q=q)
            return self.guarded(request, show)

        @app.get("/library/doc/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
        def document(request: Request, doc_id: str) -> Response:
            def show() -> Response:
                record = s.read(kb.document, doc_id)
                if record is None:
                    raise NotFoundError("no such document", source=doc_id)
                chunks = s.read(kb.chunks, doc_id)
                held = {d.arxiv_id: d.doc_id for d in s.read(kb.documents) if d.arxiv_id}
                return self.page(request, "document.html", record=record, chunks=chunks,
                                 sections=_sections(chunks), cites=[(a, held.get(a)) for a in record.references],
                                 has_file=views.source_file(kb, record) is not None,
                                 read=lambda c: passage_path(doc_id, c["chunk_id"]))
            return self.guarded(request, show)

        @app.post("/library/upload", include_in_schema=False)
        def upload(request: Request, files: Annotated[list[UploadFile], File()],
                   csrf: Annotated[str, Form()] = "") -> Response:
            def act() -> Response:
                saved = [save_upload(f, settings.home / "uploads", Path(f.filename or "upload").name,
                                     settings.max_upload_mb) for f in files if f.filename]
                if not saved:
                    raise QueryError("choose at least one file", source="files")
                job = s.jobs.submit("upload", lambda progress: s.ingest(kb.ingest, saved, progress=progress),
                                    total=len(saved))
                return _see(f"/library/jobs/{job.id}")
            return self.write(request, csrf, act)

        @app.post("/library/arxiv", include_in_schema=False)
        def arxiv(request: Request, ids: Annotated[str, Form(max_length=4000)],
                  csrf: Annotated[str, Form()] = "") -> Response:
            def act() -> Response:
                wanted = ids.replace(",", " ").split()
                if not wanted:
                    raise QueryError("give at least one arXiv id", source="ids")
                job = s.jobs.submit("arxiv", lambda progress: s.ingest(kb.ingest_arxiv, ids=wanted,
                                                                       progress=progress), total=len(wanted))
                return _see(f"/library/jobs/{job.id}")
            return self.write(request, csrf, act)

        @app.post("/library/urls", include_in_schema=False)
        def urls(request: Request, urls: Annotated[str, Form(max_length=20000)],
                 csrf: Annotated[str, Form()] = "") -> Response:
            def act() -> Response:
                wanted = urls.split()
                if not wanted:
                    raise QueryError("give at least one URL", source="urls")
                job = s.jobs.submit("urls", lambda progress: s.ingest(kb.ingest_urls, wanted, progress=progress),
                                    total=len(wanted))
                return _see(f"/library/jobs/{job.id}")
            return self.write(request, csrf, act)

        @app.get("/library/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
        def job(request: Request, job_id: str) -> Response:
            def show() -> Response:
                found = s.jobs.get(job_id)
                if found is None:
                    raise NotFoundError("no such job", source=job_id)
                return self.page(request, "job.html", job=found, running=found.status in ("queued", "running"))
            return self.guarded(request, show)

        @app.post("/library/remove/{doc_id:path}", include_in_schema=False)
        def remove(request: Request, doc_id: str, csrf: Annotated[str, Form()] = "") -> Response:
            def act() -> Response:
                if s.read(kb.document, doc_id) is None:
                    raise NotFoundError("no such document", source=doc_id)
                s.call(kb.remove, doc_id)
                return _see("/library?" + urlencode({"removed": doc_id}))
            return self.write(request, csrf, act)

    # -- the watch ------------------------------------------------------------------------------
    def watch(self, app: FastAPI) -> None:
        kb, s = self.kb, self.s

        @app.get("/subscriptions", response_class=HTMLResponse, include_in_schema=False)
        def subscriptions(request: Request) -> Response:
            return self.guarded(request, lambda: self.page(request, "subscriptions.html",
                                                           subs=kb.subscriptions.all()))

        @app.post("/subscriptions", include_in_schema=False)
        def add(request: Request, kind: Annotated[str, Form()], target: Annotated[str, Form(max_length=2000)] = "",
                schedule: Annotated[str, Form(max_length=40)] = "daily", csrf: Annotated[str, Form()] = "") -> Response:
            def act() -> Response:
                if kind not in ("arxiv", "arxiv-query", "feed", "url", "hf-daily"):
                    raise QueryError(f"unknown kind of source {kind!r}", source="kind")
                if kind != "hf-daily" and not target.strip():
                    raise QueryError("this source needs a URL, a category or a query", source="target")
                sub = new_subscription("arxiv" if kind.startswith("arxiv") else kind,  # type: ignore[arg-type]
                                       target.strip(), arxiv_query=kind == "arxiv-query", schedule=schedule)
                kb.subscriptions.add(sub)
                return _see("/subscriptions")
            return self.write(request, csrf, act)

        @app.post("/subscriptions/{sub_id}/remove", include_in_schema=False)
        def remove(request: Request, sub_id: str, csrf: Annotated[str, Form()] = "") -> Response:
            return self.write(request, csrf, lambda: (kb.subscriptions.remove(sub_id), _see("/subscriptions"))[1])

        @app.post("/subscriptions/{sub_id}/run", include_in_schema=False)
        def run(request: Request, sub_id: str, csrf: Annotated[str, Form()] = "") -> Response:
            def act() -> Response:
                kb.subscriptions.get(sub_id)
                return _see(f"/library/jobs/{submit_watch(s, [sub_id], None).id}")
            return self.write(request, csrf, act)

    # -- signing in ------------------------------------------------------------------------------
    def account(self, app: FastAPI) -> None:
        gate = self.gate

        @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
        def login_page(request: Request, next: str = "/ask") -> Response:
            return self.page(request, "login.html", next=_local(next), wrong=False)

        @app.post("/login", include_in_schema=False)
        def login(request: Request, token: Annotated[str, Form(max_length=500)],
                  csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/ask") -> Response:
            if not gate.csrf_ok(csrf) or not gate.token_ok(token):
                return self.page(request, "login.html", status=401, next=_local(next), wrong=True)
            response = _see(_local(next))
            response.set_cookie(SESSION_COOKIE, gate.session_value(), httponly=True, samesite="strict",
                                max_age=30 * 86400, secure=request.url.scheme == "https")
            return response

        @app.post("/logout", include_in_schema=False)
        def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
            response = _see("/ask")
            if gate.csrf_ok(csrf):
                response.delete_cookie(SESSION_COOKIE)
            return response


def cited_parts(text: str, citations: list[Citation]) -> list[tuple[str, Citation | None]]:
    """An answer's text cut at its [n] markers: each stretch with the citation that ends it."""
    by_n = {c.n: c for c in citations}
    out: list[tuple[str, Citation | None]] = []
    last = 0
    for m in _MARKER.finditer(text):
        if (c := by_n.get(int(m.group(1)))) is not None:
            out.append((text[last:m.start()], c))
            last = m.end()
    return [*out, (text[last:], None)]


def _text(ui: str, key: str, **values: object) -> str:
    return text_for(ui, key, table="room", **values)


def _fragment(request: Request) -> bool:
    """Whether htmx asked for the page's main part only."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "side"


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _local(url: str) -> str:
    """A path on this server (never another site, whatever a link says)."""
    return url if url.startswith("/") and not url.startswith("//") else "/ask"


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _see("/login?" + urlencode({"next": target}))


def _when(record: DocRecord) -> datetime:
    """A document's date for sorting (its own, else when it came in), on one clock."""
    when = record.date or record.ingested_at
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as exc:
        raise QueryError(f"not a date: {value!r} (expected YYYY-MM-DD)", source=name) from exc


def _since(value: str) -> datetime | None:
    """`7d`, `24h` or a date."""
    if not value:
        return None
    if value[:-1].isdigit() and value[-1] in "dh":
        amount = int(value[:-1])
        return datetime.now(UTC) - (timedelta(days=amount) if value[-1] == "d" else timedelta(hours=amount))
    return _day(value, "since")


def _here(doc_id: str, view: views.PassageView, start: int | None, end: int | None) -> Callable[[int], str]:
    """The passage page at another page of the same PDF, the same quote kept."""
    def at(page: int) -> str:
        params: dict[str, Any] = {"chunk": view.chunk_id, "page": page}
        if start is not None and end is not None:
            params |= {"start": start, "end": end}
        return f"/read/{quote(doc_id, safe='')}?{urlencode(params)}"
    return at


def _anchors(digest: Digest | None) -> dict[int, str]:
    """Each citation number of a digest and its passage page."""
    return {c.n: c.anchor.href for c in digest.citations} if digest else {}


def _morning(folder: Path) -> list[Path]:
    """The morning digests, newest first."""
    return sorted(folder.glob("veille-*.md"), reverse=True) if folder.is_dir() else []


def _markdown(text: str) -> str:
    """A morning digest's Markdown as HTML; HTML written in it is shown as text, not run."""
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").render(text))


def _sections(chunks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The document's section paths in order, each with its first chunk."""
    seen: dict[str, str] = {}
    for c in chunks:
        path = " › ".join(c.get("section") or [])
        if path and path not in seen:
            seen[path] = c["chunk_id"]
    return list(seen.items())


def _answer_stream(events: Iterator[str | Answer], render: Callable[[Answer], str]) -> Iterator[str]:
    """Server-sent events: the answer's text as it comes (`token`), then its page fragment (`html`)."""
    try:
        for event in events:
            if isinstance(event, Answer):
                yield f"event: html\ndata: {json.dumps(render(event), ensure_ascii=False)}\n\n"
            else:
                yield f"event: token\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
    except VeilleError as exc:
        yield f"event: failure\ndata: {json.dumps(exc.message, ensure_ascii=False)}\n\n"
