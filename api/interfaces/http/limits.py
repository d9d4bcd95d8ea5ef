"""What the HTTP server accepts before any route reads a byte: body sizes, and which web pages may call it.

Starlette parses a multipart upload in full (spooled to disk) before the route can look at it, so a
size cap checked in the route bounds nothing; this middleware refuses an oversize upload from its
declared length, and an upload that declares none.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from veille.interfaces.http.client import BATCH_BYTES
from veille.settings import Settings

Scope = dict[str, Any]


class UploadLimit:
    """ASGI middleware: POST /ingest/upload needs a Content-Length no larger than `limit` bytes."""

    def __init__(self, app: Any, limit: int, path: str = "/ingest/upload") -> None:
        self.app, self.limit, self.path = app, limit, path

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is None or not length.isdigit():
                await _refuse(send, 411, "an upload must declare its Content-Length")
                return
            if int(length) > self.limit:
                await _refuse(send, 413, f"upload larger than {self.limit // 2**20} MiB in one request")
                return
        await self.app(scope, receive, send)


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": {"type": "QueryError", "message": message, "source": "upload"}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def guard(app: FastAPI, settings: Settings) -> None:
    """Install the upload limit and, when VEILLE_CORS_ORIGINS names any, the CORS policy."""
    # one request holds one client batch (remote.py): up to BATCH_BYTES, or one file of the per-file cap
    limit = max(BATCH_BYTES, settings.max_upload_mb * 2**20) + 2**20  # + multipart headers
    app.add_middleware(UploadLimit, limit=limit)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
