"""HTML → blocks with lxml: headings, paragraphs, lists, tables; page chrome dropped."""

from __future__ import annotations

import re

import lxml.html
from lxml.etree import ParserError, _Element

from veille.ingest.documents import Block, BlockKind

_SKIP = {"script", "style", "nav", "footer", "header", "aside", "noscript", "form", "svg",
         "button", "template", "iframe"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_LEAF: dict[str, BlockKind] = {"p": "paragraph", "pre": "code", "blockquote": "quote",
                               "figcaption": "caption", "dt": "paragraph", "dd": "paragraph"}


def _text(el: _Element) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def _list_text(el: _Element, depth: int = 0) -> list[str]:
    lines = []
    for li in el.iterchildren("li"):
        own = [c for c in li if c.tag not in ("ul", "ol")]
        head = re.sub(r"\s+", " ", (li.text or "") + "".join(
            lxml.html.tostring(c, method="text", encoding="unicode") for c in own)).strip()
        if head:
            lines.append("  " * depth + "- " + head)
        for sub in li.iterchildren("ul", "ol"):
            lines.extend(_list_text(sub, depth + 1))
    return lines


def _table_text(el: _Element) -> str:
    rows = []
    for tr in el.iter("tr"):
        cells = [_text(c) for c in tr if c.tag in ("td", "th")]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.path: list[tuple[int, str]] = []

    def emit(self, text: str, kind: BlockKind) -> None:
        if text:
            self.blocks.append(Block(text=text, kind=kind, section=[t for _, t in self.path]))

    def walk(self, el: _Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP:
            return
        if tag in _HEADINGS:
            title = _text(el)
            if title:
                level = _HEADINGS[tag]
                self.path = [(lv, t) for lv, t in self.path if lv < level] + [(level, title)]
                self.emit(title, "heading")
        elif tag in _LEAF:
            self.emit(el.text_content().strip() if tag == "pre" else _text(el), _LEAF[tag])
        elif tag in ("ul", "ol"):
            self.emit("\n".join(_list_text(el)), "list")
        elif tag == "table":
            self.emit(_table_text(el), "table")
        else:
            self._loose_text(el.text)
            for child in el:
                self.walk(child)
                self._loose_text(child.tail)

    def _loose_text(self, text: str | None) -> None:
        """Text directly inside a <div> or <body>, outside any paragraph."""
        if text and text.strip():
            self.emit(re.sub(r"\s+", " ", text).strip(), "paragraph")


def html_blocks(html: str) -> list[Block]:
    """Parse an HTML page or fragment into blocks."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return []
    body = root.find("body")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    return walker.blocks
