"""Where a citation points: the passage on the reading room's page, the PDF's page, or the web page's text.

Every citation and search hit carries an `Anchor`: its document, chunk, page and the quote's character
span in the stored chunk (chunks keep their sentences' offsets, so the span is exact), with `href`, the
reading room's passage page on the running server (a path; the HTTP layer makes it absolute). A Markdown
digest read away from the server links each [n] to that page when VEILLE_PUBLIC_URL says where the server
is, else to the source itself: a PDF at its page, a web page at its text (a text fragment).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

from pydantic import BaseModel, Field

from veille.index.hits import Hit

FRAGMENT_WORDS = 8  # words of a quote a text fragment names at each end: enough to be unique on a page


class Anchor(BaseModel):
    """A quote's place: its document, stored chunk, page and span, and the reading room's page for it."""

    doc_id: str = Field(description="Document the quote comes from.")
    chunk_id: str = Field(description="Stored chunk holding the quote verbatim.")
    page: int | None = Field(default=None, description="Page the quote starts on (PDFs).")
    start: int = Field(description="Character offset of the quote's start in the chunk's text.")
    end: int = Field(description="Character offset of the quote's end in the chunk's text.")
    href: str = Field(description="The passage page of the reading room (a path on the running server).")


def passage_path(doc_id: str, chunk_id: str, start: int | None = None, end: int | None = None,
                 page: int | None = None) -> str:
    """The reading room's page showing a document at a chunk, the span marked."""
    params: dict[str, str | int] = {"chunk": chunk_id}
    if start is not None and end is not None:
        params |= {"start": start, "end": end}
    if page is not None:
        params["page"] = page
    return f"/read/{quote(doc_id, safe='')}?{urlencode(params)}#quote"


def anchor(doc_id: str, chunk_id: str, page: int | None, start: int, end: int) -> Anchor:
    """The anchor of a span of a stored chunk."""
    return Anchor(doc_id=doc_id, chunk_id=chunk_id, page=page, start=start, end=end,
                  href=passage_path(doc_id, chunk_id, start, end, page))


def hit_anchor(hit: Hit) -> Anchor:
    """A search hit's anchor: its whole passage."""
    return anchor(hit.doc_id, hit.chunk_id, hit.page_start, 0, len(hit.text))


def absolute(href: str, base_url: str) -> str:
    """`href` on the server at `base_url`."""
    return base_url.rstrip("/") + href


def source_link(source: str, page: int | None, quote_text: str, arxiv_pdf: str | None = None) -> str:
    """A link that opens the source at the quote without the server: a local PDF at its page (`file:` URL),
    an arXiv paper's PDF at its page, a web page at the quote (a text fragment), else the source."""
    if source.startswith(("http://", "https://")) and not arxiv_pdf:
        return source.split("#", 1)[0] + "#:~:text=" + text_fragment(quote_text)
    if arxiv_pdf:
        return arxiv_pdf + (f"#page={page}" if page else "")
    path = Path(source)
    if path.suffix.lower() == ".pdf":
        return path.resolve().as_uri() + (f"#page={page}" if page else "")
    return path.resolve().as_uri() if path.is_absolute() or path.exists() else source


def text_fragment(text: str) -> str:
    """A URL text fragment naming `text`: whole when short, else its first and last words
    (`start,end`), each part percent-encoded as the fragment syntax asks (commas and dashes included)."""
    words = text.split()
    if len(words) <= 2 * FRAGMENT_WORDS:
        return _fragment_part(" ".join(words))
    return _fragment_part(" ".join(words[:FRAGMENT_WORDS])) + "," + _fragment_part(" ".join(words[-FRAGMENT_WORDS:]))


def _fragment_part(text: str) -> str:
    return quote(text, safe="").replace("-", "%2D")
