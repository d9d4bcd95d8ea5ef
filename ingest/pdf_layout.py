"""Page geometry → text blocks in reading order, without page furniture.

PyMuPDF gives us lines with positions and fonts; it does not know about columns, running
headers or line-end hyphens in a way that suits papers, so this module does that part.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pymupdf

# Ligatures are expanded by NFKC below; PyMuPDF's own de-hyphenation is left off on purpose
# because it drops every line-end hyphen ("English-/to-German" → "Englishto-German").
TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
_MARGIN = 0.065  # share of the page height treated as header / footer band
_DETACHED_ACCENT = re.compile(r" ?([\u0300-\u036f])(\w)")
_FURNITURE = re.compile(r"^[\W\d_]{0,12}$|^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.IGNORECASE)


@dataclass
class Line:
    """One visual line: spans on the same baseline merged."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool


@dataclass
class TextBlock:
    """A run of lines PyMuPDF grouped together (usually a paragraph or a heading)."""

    lines: list[Line] = field(default_factory=list)
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0


@dataclass
class PageText:
    """The cleaned blocks of one page plus the vertical text PyMuPDF found (arXiv stamp)."""

    number: int
    blocks: list[TextBlock]
    vertical: list[str]


def _attach_accent(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFC", m.group(2) + m.group(1))


def clean(text: str) -> str:
    """NFKC-normalise (expands ligatures such as 'ﬁ'), re-attach LaTeX's detached accents
    ('F ̈arber' → 'Färber') and drop soft hyphens / zero-width characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _DETACHED_ACCENT.sub(_attach_accent, text)
    return re.sub(r"[\u00ad\u200b\u200c\u200d\ufeff]", "", text)


def _merge_spans(raw_line: dict[str, Any]) -> Line | None:
    spans = [s for s in raw_line["spans"] if s["text"].strip()]
    if not spans:
        return None
    text = clean("".join(s["text"] for s in raw_line["spans"])).strip()
    chars = Counter[tuple[float, bool]]()
    for s in spans:
        chars[(round(s["size"], 1), bool(s["flags"] & pymupdf.TEXT_FONT_BOLD))] += len(s["text"])
    (size, bold), _ = chars.most_common(1)[0]
    x0, y0, x1, y1 = raw_line["bbox"]
    return Line(text, x0, y0, x1, y1, size, bold)


def _same_row(a: Line, b: Line) -> bool:
    """Lines whose vertical extents overlap by most of the smaller height are one row."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > 0.6 * min(a.y1 - a.y0, b.y1 - b.y0)


def _rows(lines: list[Line]) -> list[Line]:
    """Merge lines on one baseline ('1' and 'Introduction' arrive as two lines)."""
    out: list[Line] = []
    for ln in sorted(lines, key=lambda item: (round(item.y0), item.x0)):
        prev = out[-1] if out else None
        if prev is not None and _same_row(prev, ln) and ln.x0 >= prev.x0:
            big = prev if len(prev.text) >= len(ln.text) else ln
            out[-1] = Line(f"{prev.text} {ln.text}", prev.x0, min(prev.y0, ln.y0), max(prev.x1, ln.x1),
                           max(prev.y1, ln.y1), big.size, prev.bold and ln.bold)
        else:
            out.append(ln)
    return out


def _block(raw: dict[str, Any]) -> tuple[TextBlock | None, list[str]]:
    lines, vertical = [], []
    for raw_line in raw["lines"]:
        line = _merge_spans(raw_line)
        if line is None:
            continue
        if abs(raw_line["dir"][1]) > 0.5:
            vertical.append(line.text)
        else:
            lines.append(line)
    if not lines:
        return None, vertical
    rows = _rows(lines)
    x0 = min(r.x0 for r in rows)
    return TextBlock(rows, x0, min(r.y0 for r in rows), max(r.x1 for r in rows),
                     max(r.y1 for r in rows)), vertical


def _is_furniture(block: TextBlock, height: float, repeated: set[str]) -> bool:
    in_margin = block.y1 < height * _MARGIN or block.y0 > height * (1 - _MARGIN)
    text = " ".join(line.text for line in block.lines)
    if in_margin and (_FURNITURE.match(text) or signature(text) in repeated):
        return True
    low = block.y0 > height * (1 - 2 * _MARGIN) or block.y1 < height * 2 * _MARGIN
    if low and re.fullmatch(r"\d{1,5}", text.strip()):
        return True  # page numbers sit a little further in on some templates (ACL)
    return bool(_FURNITURE.match(text)) and len(text) <= 3 and not any(c.isalnum() for c in text)


def signature(text: str) -> str:
    """A running header/footer's identity: digits folded so 'Page 3' equals 'Page 4'."""
    return re.sub(r"\d+", "#", text.strip().lower())


def read_page(page: pymupdf.Page) -> PageText:
    """Extract one page's blocks (before furniture removal and reordering)."""
    raw = page.get_text("dict", flags=TEXT_FLAGS)
    blocks, vertical = [], []
    for b in raw["blocks"]:
        if b.get("type", 0) != 0:
            continue
        block, vert = _block(b)
        vertical.extend(vert)
        if block is not None:
            blocks.append(block)
    return PageText(page.number + 1, blocks, vertical)


def margin_signatures(pages: list[PageText], heights: list[float]) -> set[str]:
    """Texts that sit in the header/footer band of at least 3 pages (or half of them)."""
    counts: Counter[str] = Counter()
    for page, height in zip(pages, heights, strict=True):
        seen = {signature(" ".join(ln.text for ln in b.lines)) for b in page.blocks
                if b.y1 < height * _MARGIN or b.y0 > height * (1 - _MARGIN)}
        counts.update(seen)
    need = max(3, len(pages) // 2) if len(pages) > 3 else 2
    return {sig for sig, n in counts.items() if n >= need}


def reading_order(blocks: list[TextBlock], width: float) -> list[TextBlock]:
    """Order blocks for one- or two-column layouts.

    Full-width blocks cut the page into horizontal bands; inside a band the left column is
    read before the right one. A page without right-column text stays in top-down order.
    """
    mid = width / 2
    tol = width * 0.04

    def column(b: TextBlock) -> int:
        if b.x1 <= mid + tol:
            return 0
        if b.x0 >= mid - tol:
            return 1
        return -1

    if not any(column(b) == 1 for b in blocks) or not any(column(b) == 0 for b in blocks):
        return sorted(blocks, key=lambda b: (round(b.y0), b.x0))
    ordered: list[TextBlock] = []
    band: list[TextBlock] = []
    for b in sorted(blocks, key=lambda b: (round(b.y0), b.x0)):
        if column(b) == -1:
            ordered.extend(sorted(band, key=lambda c: (column(c), round(c.y0), c.x0)))
            band = []
            ordered.append(b)
        else:
            band.append(b)
    ordered.extend(sorted(band, key=lambda c: (column(c), round(c.y0), c.x0)))
    return ordered


def page_blocks(page: PageText, width: float, height: float, repeated: set[str]) -> list[TextBlock]:
    """The page's content blocks, furniture removed, in reading order."""
    kept = [b for b in page.blocks if not _is_furniture(b, height, repeated)]
    return reading_order(kept, width)
