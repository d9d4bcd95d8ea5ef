"""A PDF's pages for reading: a page as a PNG image, and where a quote sits on it.

A stored quote is the parser's text: lines joined, line-end hyphens joined ("approxi- mately" →
"approximately"), columns in reading order. The page's words are matched against it letter for letter
(spaces, punctuation and case aside), so a quote is found across line breaks, hyphenation and ligatures,
and its words' boxes, merged line by line, are what a reader sees highlighted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
from pydantic import BaseModel

from veille.errors import NotFoundError, ParseError

_KEPT = re.compile(r"[^\W_]+")  # letters and digits: what two renderings of one text share
MIN_PREFIX = 24  # letters of a quote's start that must be found when its end runs onto the next page


class Box(BaseModel):
    """A rectangle on a page, in PDF points from its top-left corner."""

    x0: float
    y0: float
    x1: float
    y1: float


class PageView(BaseModel):
    """A page's size in points and the boxes a quote covers on it."""

    page: int
    pages: int
    width: float
    height: float
    boxes: list[Box]


def open_pdf(path: Path) -> pymupdf.Document:
    """The PDF at `path`; ParseError naming it when it cannot be read."""
    try:
        return pymupdf.open(path)
    except (pymupdf.FileDataError, RuntimeError, OSError) as exc:
        raise ParseError(f"cannot open the PDF ({exc})", source=str(path)) from exc


def render_png(path: Path, page: int, zoom: float = 1.5) -> bytes:
    """Page `page` (1-based) of the PDF as a PNG image, `zoom` times its size in points."""
    with open_pdf(path) as doc:
        _check_page(doc, page, path)
        pixmap = doc[page - 1].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        return bytes(pixmap.tobytes("png"))


def locate(path: Path, page: int, quote: str) -> PageView:
    """The page's size and the boxes covering `quote` on it (none when the quote is not on that page; only
    its start when it runs onto the next)."""
    with open_pdf(path) as doc:
        _check_page(doc, page, path)
        p = doc[page - 1]
        words = p.get_text("words")  # (x0, y0, x1, y1, word, block, line, word_no)
        spans = _find(words, quote)
        boxes = _merge([words[i] for i in spans])
        return PageView(page=page, pages=doc.page_count, width=p.rect.width, height=p.rect.height, boxes=boxes)


def _check_page(doc: pymupdf.Document, page: int, path: Path) -> None:
    if not 1 <= page <= doc.page_count:
        raise NotFoundError(f"no page {page} (the PDF has {doc.page_count})", source=str(path))


def _find(words: list[tuple], quote: str) -> list[int]:
    """Indices of the page's words that spell the quote (or its longest start found on the page)."""
    letters: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        for piece in _KEPT.findall(str(w[4]).lower()):
            letters.append(piece)
            owner += [i] * len(piece)
    text = "".join(letters)
    wanted = "".join(_KEPT.findall(quote.lower()))
    at, size = text.find(wanted), len(wanted)
    while at < 0 and size > MIN_PREFIX:  # the quote goes on past the page's end: its start is here
        size = size * 3 // 4
        at = text.find(wanted[:size])
    if at < 0 or not wanted:
        return []
    return sorted(set(owner[at:at + size]))


def _merge(words: list[tuple]) -> list[Box]:
    """One box per line of the quote: its words' boxes joined."""
    lines: dict[tuple[int, int], list[tuple]] = {}
    for w in words:
        lines.setdefault((int(w[5]), int(w[6])), []).append(w)
    return [Box(x0=min(w[0] for w in ws), y0=min(w[1] for w in ws), x1=max(w[2] for w in ws),
                y1=max(w[3] for w in ws)) for ws in lines.values()]
