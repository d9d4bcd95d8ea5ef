"""Web pages → Documents: the article's main text (trafilatura), and the fetched HTML kept on disk.

trafilatura finds the article among navigation, cookie banners, share links, comments, widgets and
footers, and reads the title, author and date from the page's metadata; its structured output (HTML
with headings and paragraphs) then goes through the same block parser as HTML notes.

Layout under the store root (VEILLE_HOME/web):
  html/<sha[:2]>/<sha>.html   the bytes as fetched, by content hash (re-processing needs no network)
  pages/<sha1(url)>.json      PageRecord: the URL's last fetch (hash, ETag, Last-Modified, when)
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import trafilatura
from pydantic import BaseModel, Field, ValidationError

from veille.errors import EmptyInputError
from veille.ingest.arxiv_ids import arxiv_ids_in_text
from veille.ingest.atomic_files import atomic_write
from veille.ingest.documents import Document
from veille.ingest.html_blocks import html_blocks
from veille.ingest.language import detect_language, dominant_languages
from veille.ingest.roles import note_roles
from veille.ingest.text_files import decode_text
from veille.languages import listed

# "By Jane Doe", "Par …": what opens a byline, in each language (taken off the author's name)
_BYLINE = re.compile(r"^(?:" + "|".join(listed("patterns", "byline_prefixes")) + r")\s*[:\-]?\s+", re.IGNORECASE)


class PageRecord(BaseModel):
    """The last fetch of one URL."""

    url: str
    sha256: str = Field(description="Content address of the stored HTML.")
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime


def clean_url(url: str) -> str:
    """The URL without its #fragment (the same page however it was linked)."""
    return urlunparse(urlparse(url.strip())._replace(fragment=""))


def page_id(url: str) -> str:
    """Stable document id of a web page: 'web:<last path segment>-<hash of the URL>'."""
    url = clean_url(url)
    slug = re.sub(r"[^\w.-]+", "-", urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]).strip("-")[:60]
    return f"web:{slug or urlparse(url).hostname or 'page'}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"


def parse_page(html: bytes, url: str) -> Document:
    """The article of an HTML page as a note: main text, title, author, date, language (a pure function
    of the bytes and the URL, so a page fetched again unchanged is recognised)."""
    text, _ = decode_text(html, source=url)
    body = trafilatura.extract(text, url=url, output_format="html", include_comments=False,
                               include_tables=True, include_formatting=True, include_links=False)
    blocks = note_roles(html_blocks(body)) if body else []
    if sum(len(b.text) for b in blocks) < 20:
        raise EmptyInputError("no article text found on the page", source=url)
    meta = trafilatura.extract_metadata(text, default_url=url)
    langs = dominant_languages((detect_language(b.text), len(b.text)) for b in blocks if b.role == "body")
    plain = "\n\n".join(b.text for b in blocks)
    author = (_BYLINE.sub("", meta.author or "").strip() or None) if meta else None
    return Document(
        doc_id=page_id(url), kind="note", title=(meta.title if meta and meta.title else _fallback_title(url)),
        source=clean_url(url), lang=langs[0] if langs else "und", langs=langs or ["und"], blocks=blocks,
        references=arxiv_ids_in_text(plain), date=_date(meta.date if meta else None),
        content_hash=hashlib.sha256(html).hexdigest(),
        metadata={"format": "web", "url": clean_url(url), "author": author,
                  "site": meta.sitename if meta else None},
    )


def summary_document(url: str, title: str, summary: str) -> Document:
    """A feed entry's own text (HTML or plain) as the note of `url`, when its page has no article."""
    blocks = html_blocks(f"<div>{summary}</div>")
    if not blocks:
        raise EmptyInputError("the feed entry has no text", source=url)
    langs = dominant_languages((detect_language(b.text), len(b.text)) for b in blocks)
    return Document(doc_id=page_id(url), kind="note", title=title or _fallback_title(url), source=clean_url(url),
                    lang=langs[0] if langs else "und", langs=langs or ["und"], blocks=blocks,
                    references=arxiv_ids_in_text(summary), content_hash=hashlib.sha256(summary.encode()).hexdigest(),
                    metadata={"format": "feed-summary", "url": clean_url(url)})


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _fallback_title(url: str) -> str:
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").strip().capitalize() or url


class WebStore:
    """Fetched pages on disk: HTML by content hash, and each URL's last fetch."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def html_path(self, sha256: str) -> Path:
        """Where the HTML with this content hash lives."""
        return self.root / "html" / sha256[:2] / f"{sha256}.html"

    def _record_path(self, url: str) -> Path:
        return self.root / "pages" / f"{hashlib.sha1(clean_url(url).encode()).hexdigest()}.json"

    def record(self, url: str) -> PageRecord | None:
        """The URL's last fetch, if its HTML is still stored."""
        path = self._record_path(url)
        try:
            rec = PageRecord.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            return None
        return rec if self.html_path(rec.sha256).exists() else None

    def html(self, url: str) -> bytes | None:
        """The stored HTML of the URL's last fetch."""
        rec = self.record(url)
        return self.html_path(rec.sha256).read_bytes() if rec else None

    def put(self, url: str, html: bytes, etag: str | None, last_modified: str | None) -> PageRecord:
        """Store a fetch: the bytes first, then the record pointing at them (so a crash loses nothing)."""
        sha = hashlib.sha256(html).hexdigest()
        if not self.html_path(sha).exists():
            atomic_write(self.html_path(sha), html)
        rec = PageRecord(url=clean_url(url), sha256=sha, etag=etag, last_modified=last_modified,
                         fetched_at=datetime.now(UTC))
        atomic_write(self._record_path(url), rec.model_dump_json().encode())
        return rec
