"""A loopback HTTP server speaking the OpenAI chat-completions and Ollama chat protocols.

Each test tells it how to reply to the next request (`server.reply = fn(body) -> Reply`); requests
to translate a question (LLM mode's first call of an ask) go to `server.translate`, which by default
translates nothing. It records the bodies it received so tests can check what the prompt carried.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from veille.reader.translation import PROMPT
from veille.settings import LLMSettings

TRANSLATING = PROMPT.splitlines()[0]


@dataclass
class Reply:
    """What to send back: text (whole or in stream pieces), an HTTP error, raw bytes, or a delay."""

    text: str = ""
    status: int = 200
    raw: bytes | None = None
    delay: float = 0.0
    pieces: list[str] = field(default_factory=list)


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def _openai_stream(pieces: list[str]) -> Iterator[bytes]:
    yield _chunk({"role": "assistant", "content": ""})
    for p in pieces:
        yield _chunk({"content": p})
    yield _chunk({}, "stop")
    yield b"data: [DONE]\n\n"


def _openai_whole(text: str) -> bytes:
    return json.dumps({"id": "c1", "object": "chat.completion", "created": 0, "model": "fake",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()


def _ollama_lines(pieces: list[str]) -> Iterator[bytes]:
    for p in pieces:
        yield (json.dumps({"model": "fake", "created_at": "2026-01-01T00:00:00Z",
                           "message": {"role": "assistant", "content": p}, "done": False}) + "\n").encode()
    yield (json.dumps({"model": "fake", "created_at": "2026-01-01T00:00:00Z",
                       "message": {"role": "assistant", "content": ""}, "done": True,
                       "done_reason": "stop"}) + "\n").encode()


def _ollama_whole(text: str) -> bytes:
    return json.dumps({"model": "fake", "created_at": "2026-01-01T00:00:00Z", "done": True, "done_reason": "stop",
                       "message": {"role": "assistant", "content": text}}).encode()


class FakeLLMServer:
    """Start with `with FakeLLMServer() as server:`; `server.url` is the OpenAI base URL (…/v1)."""

    def __init__(self) -> None:
        self.reply: Callable[[dict[str, Any]], Reply] = lambda body: Reply(text="")
        self.translate: Callable[[dict[str, Any]], Reply] = lambda body: Reply(text="")
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append(body)
                outer._respond(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def settings(self, timeout: float = 2) -> LLMSettings:
        """Veille's LLM settings pointing at this server (OpenAI-compatible, no retries)."""
        return LLMSettings(provider="openai-compatible", base_url=self.url, model="fake", timeout=timeout, retries=0)

    @property
    def root(self) -> str:
        """Base address (Ollama style)."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def url(self) -> str:
        """OpenAI-compatible base URL."""
        return self.root + "/v1"

    def _respond(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        system = next((m.get("content", "") for m in body.get("messages", []) if m.get("role") == "system"), "")
        r = (self.translate if system.startswith(TRANSLATING) else self.reply)(body)
        time.sleep(r.delay)
        if r.status != 200 or r.raw is not None:
            h.send_response(r.status)
            h.send_header("Content-Type", "application/json")
            h.end_headers()
            h.wfile.write(r.raw if r.raw is not None else b'{"error": {"message": "boom", "type": "server_error"}}')
            return
        ollama = h.path.startswith("/api/")
        stream = body.get("stream", ollama)
        pieces = r.pieces or [r.text]
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream" if stream and not ollama else "application/json")
        h.end_headers()
        if ollama:
            parts = _ollama_lines(pieces) if stream else iter([_ollama_whole("".join(pieces))])
        else:
            parts = _openai_stream(pieces) if stream else iter([_openai_whole("".join(pieces))])
        for part in parts:
            h.wfile.write(part)
            h.wfile.flush()

    def __enter__(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
