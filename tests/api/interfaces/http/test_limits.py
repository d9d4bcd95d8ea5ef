"""The HTTP server's limits before any route runs: upload sizes, CORS."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import make_settings
from veille.index.embedding.fake import FakeEmbedder
from veille.interfaces.http.app import create_app
from veille.interfaces.http.limits import UploadLimit
from veille.kb import KnowledgeBase


def _call(headers: list[tuple[bytes, bytes]]) -> tuple[int, bool]:
    """(status sent, whether the app behind was reached) for a POST /ingest/upload with `headers`."""
    reached, sent = [], []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/ingest/upload", "headers": headers}
    asyncio.run(UploadLimit(app, limit=1000)(scope, None, send))
    return (sent[0]["status"] if sent else 0), bool(reached)


def test_uploads_are_bounded_by_their_declared_length() -> None:
    assert _call([(b"content-length", b"5000")]) == (413, False)  # refused before a byte is read
    assert _call([]) == (411, False)
    assert _call([(b"content-length", b"999")]) == (0, True)


def test_cors_only_for_the_configured_origins(tmp_path: Path) -> None:
    preflight = {"Origin": "https://notes.example", "Access-Control-Request-Method": "POST"}
    for origins, allowed in (([], None), (["https://notes.example"], "https://notes.example")):
        kb = KnowledgeBase(make_settings(tmp_path / str(len(origins)), cors_origins=origins, watch_tick_seconds=0),
                           embedder=FakeEmbedder())
        with TestClient(create_app(kb)) as client:
            r = client.options("/search", headers=preflight)
            assert r.headers.get("access-control-allow-origin") == allowed
