"""A running `veille serve` seen from the CLI: how it is found, and ingest sent through it.

The embedded store admits one process. While a server holds it, `veille ingest` uploads the files
(or forwards the arXiv request) to the server's ingest jobs and follows them, so the user gets the
same report and exit code as a local run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from veille.errors import StoreError, VeilleError
from veille.ingest.local_files import SUPPORTED_SUFFIXES
from veille.pipeline import IngestItem, IngestReport, discovered, failure
from veille.settings import Settings

SERVER_FILE = "server.json"
BATCH_FILES, BATCH_BYTES = 16, 64 * 1024 * 1024  # per upload request: small enough to report progress
Progress = Callable[[IngestItem], None]


@contextmanager
def advertise(home: Path, url: str, instance: str) -> Iterator[Path]:
    """Write HOME/server.json while the server runs so that the CLI of the same home finds it."""
    home.mkdir(parents=True, exist_ok=True)
    marker = home / SERVER_FILE
    marker.write_text(json.dumps({"url": url, "instance": instance, "pid": os.getpid(),
                                  "started_at": datetime.now(UTC).isoformat()}))
    try:
        yield marker
    finally:
        if _read_marker(marker).get("instance") == instance:  # a newer server may have replaced it
            marker.unlink(missing_ok=True)


def local_url(host: str, port: int) -> str:
    """The URL a local client uses to reach a server bound to host:port."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def find_server(settings: Settings, timeout: float = 2.0) -> str | None:
    """The URL of the server to send writes to: VEILLE_SERVER_URL, or a live server advertised in
    VEILLE_HOME (its /health must answer with the advertised instance; stale files are ignored)."""
    if settings.server_url:
        _health(settings.server_url, timeout)  # an explicit server that does not answer is an error
        return settings.server_url.rstrip("/")
    info = _read_marker(settings.home / SERVER_FILE)
    if not info.get("url"):
        return None
    try:
        health = _health(info["url"], timeout)
    except StoreError:
        return None
    return str(info["url"]) if health.get("instance") == info.get("instance") else None


def _read_marker(marker: Path) -> dict[str, Any]:
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _health(url: str, timeout: float) -> dict[str, Any]:
    try:
        r = requests.get(f"{url.rstrip('/')}/health", timeout=timeout)
        r.raise_for_status()
        data = r.json()
    except (requests.RequestException, ValueError) as exc:
        raise StoreError(f"no Veille server answers there ({exc.__class__.__name__})", source=url) from exc
    return data if isinstance(data, dict) else {}


class RemoteIngest:
    """`ingest` and `ingest_arxiv` with the KnowledgeBase's signatures, run as jobs on a server."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0, poll: float = 0.3) -> None:
        self.url = url.rstrip("/")
        self.timeout, self.poll = timeout, poll
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def ingest(self, paths: Iterable[Path | str], *, progress: Progress | None = None) -> IngestReport:
        """Upload files and folders (expanded here, as a local ingest would) and follow the jobs."""
        found, items = discovered(Path(p) for p in paths)
        report = IngestReport(items=items)
        limit = int(_health(self.url, self.timeout).get("max_upload_mb", 50)) * 1024 * 1024
        sendable = []
        for path in found.files:
            refused = _refusal(path, limit)
            if refused:
                report.items.append(refused)
                if progress:
                    progress(refused)
            else:
                sendable.append(path)
        for batch in _batches(sendable):
            report.items += self._follow(self._upload(batch), progress)
        return report

    def ingest_arxiv(self, *, ids: list[str] | None = None, query: str | None = None,
                     category: str | None = None, days: int = 1, max_results: int = 50,
                     progress: Progress | None = None) -> IngestReport:
        """Have the server fetch and ingest papers from arXiv."""
        body = {"ids": ids, "query": query, "category": category, "days": days, "max_results": max_results}
        job = self._call("POST", "/ingest/arxiv", json=body)
        return IngestReport(items=self._follow(job, progress))

    def ingest_urls(self, urls: list[str], *, progress: Progress | None = None) -> IngestReport:
        """Have the server fetch and ingest web pages."""
        job = self._call("POST", "/ingest/urls", json={"urls": urls})
        return IngestReport(items=self._follow(job, progress))

    def watch(self, ids: list[str] | None = None, digest: bool | None = None) -> dict[str, Any]:
        """Have the server run subscriptions; returns the finished job (its `detail` holds the run)."""
        job = self._call("POST", "/watch/run", json={"ids": ids, "digest": digest})
        self._follow(job, None)
        return self._call("GET", f"/jobs/{job['id']}")

    def _upload(self, batch: list[Path]) -> dict[str, Any]:
        handles = [p.open("rb") for p in batch]
        try:
            files = [("files", (p.name, fh)) for p, fh in zip(batch, handles, strict=True)]
            origins = [("origins", str(p.resolve())) for p in batch]
            return self._call("POST", "/ingest/upload", files=files, data=origins)
        finally:
            for fh in handles:
                fh.close()

    def _follow(self, job: dict[str, Any], progress: Progress | None) -> list[IngestItem]:
        """Poll a job until it ends; report its items as they come."""
        seen = 0
        while True:
            job = self._call("GET", f"/jobs/{job['id']}")
            items = [IngestItem.model_validate(i) for i in job.get("items", [])]
            for item in items[seen:]:
                if progress:
                    progress(item)
            seen = len(items)
            if job.get("status") in ("done", "failed"):
                break
            time.sleep(self.poll)
        if job.get("status") == "failed":
            items.append(failure(f"{self.url} job {job['id']}", job.get("error") or "the job failed"))
        return items

    def _call(self, method: str, route: str, **kwargs: Any) -> dict[str, Any]:
        try:
            r = self.http.request(method, self.url + route, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise StoreError(f"the Veille server stopped answering ({exc.__class__.__name__}); what it stored "
                             "stays: run the command again to finish", source=self.url) from exc
        if r.status_code >= 400:
            raise _server_error(r, self.url + route)
        data: dict[str, Any] = r.json()
        return data


def _refusal(path: Path, limit: int) -> IngestItem | None:
    """Why a file cannot be uploaded (the server would refuse the whole request), or None."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return failure(str(path), f"unsupported format '{path.suffix or '(no extension)'}' "
                                  f"(expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    if path.stat().st_size > limit:
        return failure(str(path), f"larger than the server's upload limit ({limit // (1024 * 1024)} MB)")
    return None


def _batches(paths: list[Path]) -> Iterator[list[Path]]:
    batch: list[Path] = []
    size = 0
    for path in paths:
        bytes_ = path.stat().st_size
        if batch and (len(batch) >= BATCH_FILES or size + bytes_ > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(path)
        size += bytes_
    if batch:
        yield batch


def _server_error(r: requests.Response, where: str) -> VeilleError:
    try:
        detail = r.json()["error"]
        message, source = str(detail["message"]), detail.get("source") or where
    except (ValueError, KeyError, TypeError):
        message, source = r.text[:200] or r.reason, where
    if r.status_code == 401:
        message += " (set VEILLE_API_TOKEN to the server's token)"
    return VeilleError(f"server refused ({r.status_code}): {message}", source=source)
