"""RSS / Atom feeds (feedparser) and Hugging Face daily papers (JSON) → the items they announce."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from pydantic import BaseModel, Field

from veille.errors import ParseError
from veille.ingest.arxiv_ids import parse_arxiv_id
from veille.ingest.documents import ArxivMeta


class FeedEntry(BaseModel):
    """One item of a feed."""

    key: str = Field(description="What identifies the entry across runs: its guid / id, else its link.")
    link: str | None = Field(default=None, description="The page the entry announces.")
    title: str = ""
    summary: str = Field(default="", description="The feed's own text (full content when it gives one).")
    published: datetime | None = None
    author: str | None = None
    tags: list[str] = Field(default_factory=list)


class Feed(BaseModel):
    """A parsed feed."""

    title: str = ""
    lang: str | None = None
    entries: list[FeedEntry] = Field(default_factory=list)


def parse_feed(body: bytes, url: str) -> Feed:
    """Parse RSS 2.0 / Atom bytes; a document that is no feed at all is a ParseError naming `url`."""
    # No base URL given to feedparser: it would "resolve" an Atom <id> that is not a URL against it.
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        why = f" ({parsed.get('bozo_exception')})" if parsed.bozo else ""
        raise ParseError(f"not a readable RSS or Atom feed{why}", source=url)
    info = parsed.feed
    return Feed(title=info.get("title", ""), lang=info.get("language"),
                entries=[_entry(e, url) for e in parsed.entries if e.get("id") or e.get("link")])


def _entry(e: Any, base: str) -> FeedEntry:
    content = e.get("content") or []
    summary = max([c.get("value", "") for c in content] + [e.get("summary", "")], key=len)
    link = urljoin(base, e["link"]) if e.get("link") else None  # relative links are the feed's
    return FeedEntry(key=str(e.get("id") or link), link=link, title=e.get("title", ""),
                     summary=summary, published=_when(e.get("published_parsed") or e.get("updated_parsed")),
                     author=e.get("author"), tags=[t.get("term") for t in e.get("tags", []) if t.get("term")])


def _when(struct: Any) -> datetime | None:
    return datetime.fromtimestamp(calendar.timegm(struct), UTC) if struct else None


class DailyPaper(BaseModel):
    """One paper of a Hugging Face daily-papers page."""

    meta: ArxivMeta = Field(description="What the page says about the paper, as arXiv metadata.")
    upvotes: int = 0
    comments: int = 0


def parse_daily_papers(body: bytes, url: str, pdf_base: str = "https://arxiv.org/pdf") -> list[DailyPaper]:
    """The papers of https://huggingface.co/api/daily_papers?date=…: a JSON list of {paper: {id, …}}.

    Their PDFs are asked from `pdf_base`/<id> (arXiv's)."""
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON ({exc})", source=url) from exc
    if not isinstance(items, list):
        raise ParseError("expected a JSON list of daily papers", source=url)
    papers = []
    for item in items:
        paper = item.get("paper") if isinstance(item, dict) else None
        parsed = parse_arxiv_id(str(paper.get("id", ""))) if isinstance(paper, dict) else None
        if paper is None or parsed is None:
            continue  # an item without an arXiv id cannot go through the arXiv source
        papers.append(DailyPaper(meta=_meta(paper, parsed, pdf_base.rstrip("/")),
                                 upvotes=int(paper.get("upvotes") or 0),
                                 comments=int(item.get("numComments") or 0)))
    return papers


def _meta(paper: dict[str, Any], parsed: tuple[str, str | None], pdf_base: str) -> ArxivMeta:
    authors = [a.get("name", "") for a in paper.get("authors", []) if isinstance(a, dict) and a.get("name")]
    return ArxivMeta(arxiv_id=parsed[0], version=parsed[1], title=" ".join(str(paper.get("title", "")).split()),
                     authors=authors, abstract=str(paper.get("summary", "")).strip(),
                     published=_iso(paper.get("publishedAt")), abs_url=f"https://arxiv.org/abs/{parsed[0]}",
                     pdf_url=f"{pdf_base}/{parsed[0]}")


def _iso(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
