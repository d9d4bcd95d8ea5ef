"""The web as a source: a URL, a feed or a day of Hugging Face daily papers → documents to ingest.

Each URL goes where it belongs: an arXiv abs/pdf link through the arXiv source, a PDF through the
PDF parser, anything else through the web-page extractor. Fetched bytes are kept (PDFs by the arXiv
store or the web store, pages by the web store), so re-processing needs no network, and a second
fetch is conditional (ETag / Last-Modified): an unchanged page costs one 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlparse

from veille.errors import EmptyInputError, SourceError, VeilleError
from veille.ingest.arxiv_ids import parse_arxiv_id
from veille.ingest.arxiv_source import ArxivFetcher
from veille.ingest.atomic_files import atomic_write
from veille.ingest.documents import Document
from veille.ingest.feeds import DailyPaper, FeedEntry, parse_daily_papers
from veille.ingest.http_fetch import Fetcher, WebResponse
from veille.ingest.local_files import Loaded
from veille.ingest.pdf import parse_pdf
from veille.ingest.web_pages import WebStore, clean_url, page_id, parse_page, summary_document
from veille.pipeline import load_paper

MIN_SUMMARY = 200  # characters: a feed summary shorter than this is a teaser, not the article
ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org"}


def arxiv_id_of_url(url: str) -> str | None:
    """The paper id of an arXiv abs/pdf/html URL (version kept), else None."""
    parts = urlparse(url)
    if parts.hostname not in ARXIV_HOSTS:
        return None
    segments = parts.path.strip("/").split("/", 1)
    if len(segments) != 2 or segments[0] not in ("abs", "pdf", "html"):
        return None
    raw = segments[1].removesuffix(".pdf")
    return raw if parse_arxiv_id(raw) else None


class Collector:
    """Fetches and parses what the watch collects; every failure comes back as a Loaded error."""

    def __init__(self, fetcher: Fetcher, web: WebStore, arxiv: ArxivFetcher,
                 pdf_base: str = "https://arxiv.org/pdf") -> None:
        self.fetcher, self.web, self.arxiv, self.pdf_base = fetcher, web, arxiv, pdf_base

    def url(self, url: str, entry: FeedEntry | None = None, extra: dict[str, Any] | None = None) -> Loaded:
        """One URL as a document; `entry` (the feed item announcing it) fills in a missing date or title."""
        url = clean_url(url)
        paper = arxiv_id_of_url(url)
        if paper:
            return self._paper(paper)
        try:
            resp = self._fetch_page(url)
            doc = self._parse(url, resp)
        except EmptyInputError as exc:  # a page with no article: the feed's own text, if it has one
            if entry is None or len(entry.summary) < MIN_SUMMARY:
                return Loaded(url, error=exc)
            doc = summary_document(url, entry.title, entry.summary)
            return Loaded(url, document=_with_entry(doc, entry, extra or {}),
                          warnings=[f"{url}: no article text on the page; the feed's summary was kept"])
        except VeilleError as exc:
            return Loaded(url, error=exc)
        return Loaded(url, document=_with_entry(doc, entry, extra or {}))

    def papers(self, papers: list[DailyPaper]) -> Iterator[Loaded]:
        """Daily papers through the arXiv source (their metadata is already known: no API call)."""
        for paper in papers:
            yield load_paper(self.arxiv, paper.meta, {"hf_upvotes": paper.upvotes, "hf_comments": paper.comments})

    def daily(self, api: str, day: date) -> list[DailyPaper]:
        """The day's list from the Hugging Face daily-papers API."""
        url = f"{api}?{urlencode({'date': day.isoformat()})}"
        return parse_daily_papers(self.fetcher.get(url).body, url, pdf_base=self.pdf_base)

    def _paper(self, arxiv_id: str) -> Loaded:
        found = next(iter(self.arxiv.by_ids([arxiv_id])), None)
        if found is None:
            return Loaded(arxiv_id, error=SourceError("arXiv does not know this paper", source=arxiv_id))
        if isinstance(found, VeilleError):
            return Loaded(found.source or arxiv_id, error=found)
        return load_paper(self.arxiv, found)

    def _fetch_page(self, url: str) -> WebResponse:
        rec = self.web.record(url)
        resp = self.fetcher.get(url, etag=rec.etag if rec else None,
                                last_modified=rec.last_modified if rec else None, page=True)
        if resp.not_modified and rec is not None:
            return resp.model_copy(update={"body": self.web.html(url),
                                           "content_type": "text/html"})
        if not resp.body.startswith(b"%PDF"):
            self.web.put(url, resp.body, resp.etag, resp.last_modified)
        return resp

    def _parse(self, url: str, resp: WebResponse) -> Document:
        if resp.body.startswith(b"%PDF") or "application/pdf" in resp.content_type:
            return self._pdf(url, resp.body)
        return parse_page(resp.body, url)

    def _pdf(self, url: str, body: bytes) -> Document:
        """A PDF found on the web: stored by content hash, parsed like any PDF, named by its URL."""
        sha = hashlib.sha256(body).hexdigest()
        path = self.web.root / "pdf" / sha[:2] / f"{sha}.pdf"
        if not path.exists():
            atomic_write(path, body)
        doc = parse_pdf(path, self.arxiv.store.get)
        if doc.kind == "paper" and doc.arxiv_id:
            return doc
        return doc.model_copy(update={"source": url, "doc_id": page_id(url)})  # a new version replaces it


def _with_entry(doc: Document, entry: FeedEntry | None, extra: dict[str, Any]) -> Document:
    """The page as extracted, completed by its feed entry (date, title, tags) when the page lacks them."""
    update: dict[str, Any] = {"metadata": {**doc.metadata, **extra}}
    if entry is not None:
        update["date"] = doc.date or entry.published
        update["metadata"]["tags"] = entry.tags
        if not doc.title and entry.title:
            update["title"] = entry.title
    return doc.model_copy(update=update)
