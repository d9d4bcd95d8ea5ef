"""A loopback HTTP server for the watch's tests: ../shared/fixtures/web as its README maps it.

`{BASE}` in the feeds becomes the server's own URL. Every answer carries an ETag and a Last-Modified
and honours If-None-Match / If-Modified-Since with a 304; every request's headers are recorded.
Extra routes (a daily-papers JSON, PDFs) can be added per test.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LAST_MODIFIED = "Mon, 28 Jul 2025 07:00:00 GMT"
ROUTES = {
    "/rss.xml": ("carnet-rss.xml", "application/rss+xml"),
    "/atom.xml": ("carnet-atom.xml", "application/atom+xml"),
    "/posts/google-ouvre-le-capot-des-llms/": ("google-ouvre-le-capot-des-llms.html", "text/html; charset=utf-8"),
    "/2025/03/10/q-filters/": ("q-filters-compression-cache-kv.html", "text/html; charset=utf-8"),
}


@dataclass
class WebFixtures:
    """The running server: its base URL, what it serves, and the requests it saw."""

    base: str
    routes: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, body: bytes, content_type: str) -> None:
        """Serve `body` at `path` (a path with its query string, if any)."""
        self.routes[path] = (body, content_type)

    def seen(self, path: str) -> list[dict[str, str]]:
        """Headers of every request made for `path`."""
        return [h for p, h in self.requests if p == path]


def _handler(fixtures: WebFixtures) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            fixtures.requests.append((self.path, headers))
            if self.path in fixtures.redirects:
                self.send_response(302)
                self.send_header("Location", fixtures.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = fixtures.routes.get(self.path)
            if found is None:
                self._send(404, b"not found", "text/plain")
                return
            body, ctype = found
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if headers.get("if-none-match") == etag or headers.get("if-modified-since") == LAST_MODIFIED:
                self._send(304, b"", ctype, etag)
                return
            self._send(200, body, ctype, etag)

        def _send(self, status: int, body: bytes, ctype: str, etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if etag:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serve_web(folder: Path) -> Iterator[WebFixtures]:
    """Serve the web fixtures of `folder` on 127.0.0.1 (a free port) for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fixtures = WebFixtures(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(fixtures)
    for route, (name, ctype) in ROUTES.items():
        body = (folder / name).read_bytes().replace(b"{BASE}", fixtures.base.encode())
        fixtures.add(route, body, ctype)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fixtures
    finally:
        server.shutdown()
        server.server_close()
