"""arXiv as a source: metadata through the `arxiv` package, PDFs into a content-addressed store.

Layout under the store root (VEILLE_HOME/arxiv):
  meta/<id>.json       ArxivMeta, written after its PDF is safely stored (so a rerun resumes)
  pdf/<sha[:2]>/<sha>.pdf
"""

from __future__ import annotations

import hashlib
import logging
import socket
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import arxiv
import requests

from veille.errors import NetworkError, SourceError, VeilleError
from veille.ingest.arxiv_ids import parse_arxiv_id
from veille.ingest.atomic_files import atomic_write
from veille.ingest.documents import ArxivMeta

log = logging.getLogger(__name__)
API_URL = "https://export.arxiv.org/api/query"


class TimeoutSession(requests.Session):
    """A requests session whose every call has a timeout (arxiv.Client sets none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


class ArxivStore:
    """Local arXiv metadata and PDFs, addressed by id and by content hash."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _meta_path(self, arxiv_id: str) -> Path:
        return self.root / "meta" / f"{arxiv_id.replace('/', '_')}.json"

    def pdf_path(self, sha256: str) -> Path:
        """Where the PDF with this content hash lives."""
        return self.root / "pdf" / sha256[:2] / f"{sha256}.pdf"

    def get(self, arxiv_id: str) -> ArxivMeta | None:
        """Stored metadata for an id (no version), or None."""
        path = self._meta_path(arxiv_id)
        if not path.exists():
            return None
        return ArxivMeta.model_validate_json(path.read_text(encoding="utf-8"))

    def complete(self, arxiv_id: str, version: str | None = None) -> ArxivMeta | None:
        """Stored metadata whose PDF is stored too (and of `version` if given)."""
        meta = self.get(arxiv_id)
        if meta is None or not meta.pdf_sha256 or not self.pdf_path(meta.pdf_sha256).exists():
            return None
        return meta if version in (None, meta.version) else None

    def put(self, meta: ArxivMeta) -> None:
        """Write metadata atomically."""
        atomic_write(self._meta_path(meta.arxiv_id), meta.model_dump_json(indent=1).encode())

    def put_pdf(self, data: bytes) -> str:
        """Store PDF bytes under their sha256; returns the hash."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.pdf_path(sha)
        if not path.exists():
            atomic_write(path, data)
        return sha


def to_meta(result: arxiv.Result) -> ArxivMeta:
    """Our metadata model from an arxiv.Result."""
    short = result.get_short_id()
    parsed = parse_arxiv_id(short) or (short, None)
    primary = result.primary_category
    cats = [primary] + [c for c in result.categories if c != primary] if primary else result.categories
    return ArxivMeta(
        arxiv_id=parsed[0], version=parsed[1], title=" ".join(result.title.split()),
        authors=[a.name for a in result.authors], abstract=" ".join(result.summary.split()),
        categories=cats, published=result.published, updated=result.updated,
        doi=result.doi or None, comment=result.comment or None,
        journal_ref=result.journal_ref or None, abs_url=result.entry_id, pdf_url=result.pdf_url,
    )


class ArxivFetcher:
    """Finds papers on arXiv and stores their metadata and PDFs, politely and resumably."""

    def __init__(self, store: ArxivStore, *, session: requests.Session | None = None,
                 timeout: float = 20.0, delay_seconds: float = 3.0, retries: int = 3,
                 page_size: int = 100, check_network: bool = True, api_url: str = API_URL) -> None:
        self.store = store
        self.api_url = api_url
        self.client = arxiv.Client(page_size=page_size, delay_seconds=delay_seconds, num_retries=retries)
        self.client.query_url_format = api_url + "?{}"
        self.client._session = session or TimeoutSession(timeout)
        self.session = self.client._session
        self.delay = delay_seconds
        self.check_network = check_network and session is None
        self._last_download = 0.0

    def _probe(self) -> None:
        """Fail in milliseconds, not after minutes of retries, when arXiv is unreachable."""
        if not self.check_network:
            return
        host, port = _address(self.api_url)
        try:
            socket.create_connection((host, port), timeout=5).close()
        except OSError as exc:
            raise NetworkError(f"cannot reach arXiv ({host}): network unreachable ({exc})",
                               source="arxiv") from exc
        self.check_network = False

    def _run(self, search: arxiv.Search, what: str) -> Iterator[ArxivMeta]:
        self._probe()
        try:
            for result in self.client.results(search):
                if "/api/errors" in result.entry_id:
                    raise SourceError(f"arXiv rejected the request: {result.summary.strip()}", source=what)
                yield to_meta(result)
        except arxiv.HTTPError as exc:
            raise SourceError(f"arXiv answered HTTP {exc.status}", source=what) from exc
        except arxiv.UnexpectedEmptyPageError as exc:
            raise SourceError("arXiv returned an empty page mid-results; try again", source=what) from exc
        except requests.RequestException as exc:
            raise NetworkError(f"arXiv request failed ({exc.__class__.__name__})", source=what) from exc

    def by_ids(self, ids: Iterable[str]) -> Iterator[ArxivMeta | VeilleError]:
        """Metadata for ids (new/old style, with or without version); stored ones cost nothing."""
        wanted: list[str] = []
        for raw in ids:
            parsed = parse_arxiv_id(raw)
            if parsed is None:
                yield SourceError("not an arXiv id", source=raw)
                continue
            local = self.store.complete(*parsed)
            if local is not None:
                yield local
            else:
                wanted.append(parsed[0] + (parsed[1] or ""))
        if not wanted:
            return
        found: set[str] = set()
        for meta in self._run(arxiv.Search(id_list=wanted, max_results=len(wanted)), ",".join(wanted)):
            found.add(meta.arxiv_id)
            yield meta
        for raw in wanted:
            if parse_arxiv_id(raw)[0] not in found:  # type: ignore[index]
                yield SourceError("no such paper on arXiv", source=raw)

    def by_query(self, query: str, max_results: int = 50) -> Iterator[ArxivMeta]:
        """Metadata for a free search query, most relevant first."""
        yield from self._run(arxiv.Search(query=query, max_results=max_results), query)

    def by_category(self, category: str, days: int, max_results: int = 200,
                    now: datetime | None = None) -> Iterator[ArxivMeta]:
        """Papers of a category submitted in the last `days` days, newest first."""
        end = now or datetime.now(UTC)
        start = end - timedelta(days=days)
        query = f"cat:{category} AND submittedDate:[{start:%Y%m%d%H%M} TO {end:%Y%m%d%H%M}]"
        search = arxiv.Search(query=query, max_results=max_results,
                              sort_by=arxiv.SortCriterion.SubmittedDate)
        yield from self._run(search, f"{category} last {days} days")

    def fetch_pdf(self, meta: ArxivMeta) -> tuple[ArxivMeta, Path, bool]:
        """Make sure the paper's PDF is stored. Returns (meta, pdf path, downloaded?)."""
        local = self.store.complete(meta.arxiv_id, meta.version)
        if local is not None:
            return local, self.store.pdf_path(local.pdf_sha256 or ""), False
        if not meta.pdf_url:
            raise SourceError("arXiv lists no PDF for this paper", source=meta.arxiv_id)
        data = self._download(meta.pdf_url, meta.arxiv_id)
        meta = meta.model_copy(update={"pdf_sha256": self.store.put_pdf(data)})
        self.store.put(meta)  # last: a crash before this line refetches nothing twice but the PDF
        return meta, self.store.pdf_path(meta.pdf_sha256 or ""), True

    def _download(self, url: str, what: str) -> bytes:
        self._probe_host(url)
        wait = self.delay - (time.monotonic() - self._last_download)
        if wait > 0:
            time.sleep(wait)
        try:
            resp = self.session.get(url, headers={"user-agent": "veille (arxiv.py)"})
        except requests.RequestException as exc:
            raise NetworkError(f"PDF download failed ({exc.__class__.__name__})", source=what) from exc
        finally:
            self._last_download = time.monotonic()
        if resp.status_code != 200:
            raise SourceError(f"PDF download answered HTTP {resp.status_code}", source=what)
        if not resp.content.startswith(b"%PDF"):
            raise SourceError("download is not a PDF", source=what)
        return resp.content

    def _probe_host(self, url: str) -> None:
        if self.check_network:
            host, port = _address(url)
            try:
                socket.create_connection((host, port), timeout=5).close()
            except OSError as exc:
                raise NetworkError(f"cannot reach {host}: network unreachable", source=url) from exc


def _address(url: str) -> tuple[str, int]:
    """The host and port a URL connects to."""
    parts = urlparse(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
