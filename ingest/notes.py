"""Notes (.md, .txt, .html) → Document, keeping headings, lists, tables and links."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from veille.errors import EmptyInputError
from veille.ingest.arxiv_ids import arxiv_ids_in_text
from veille.ingest.documents import Block, BlockKind, Document
from veille.ingest.html_blocks import html_blocks
from veille.ingest.language import detect_language, dominant_languages
from veille.ingest.roles import note_roles
from veille.ingest.text_files import MAX_TEXT_BYTES, read_text

NOTE_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text",
                 ".html": "html", ".htm": "html"}
_DATE_IN_NAME = re.compile(r"(20\d{2})-(\d{2})-(\d{2})")
_MD = MarkdownIt("commonmark").enable("table")
_BLOCK_KINDS: dict[str, BlockKind] = {
    "paragraph_open": "paragraph", "bullet_list_open": "list", "ordered_list_open": "list",
    "table_open": "table", "blockquote_open": "quote",
}


def _inline(token: Token) -> str:
    """Plain text of an inline token: link text kept, images by alt text, tags dropped."""
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "image" and child.content:
            out.append(child.content)
    return "".join(out).strip()


def _container_text(tokens: list[Token], kind: BlockKind) -> str:
    """Text of a list, table or quote: one line per item / row, cells joined by ' | '."""
    lines: list[str] = []
    row: list[str] = []
    depth = 1 if kind == "list" else 0  # the list's own opening token is not in `tokens`
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "tr_close":
            lines.append(" | ".join(row))
            row = []
        elif tok.type == "inline":
            text = _inline(tok)
            if kind == "table":
                row.append(text)
            elif text:
                prefix = "  " * max(depth - 1, 0) + ("- " if depth else "")
                lines.append(prefix + text)
    return "\n".join(line for line in lines if line.strip(" |-"))


def markdown_blocks(text: str) -> list[Block]:
    """Parse Markdown into blocks with heading paths."""
    tokens = _MD.parse(text)
    blocks: list[Block] = []
    path: list[tuple[int, str]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.nesting == 1 and tok.level == 0:
            close = next(j for j in range(i + 1, len(tokens))
                         if tokens[j].level == 0 and tokens[j].nesting == -1)
            inner = tokens[i + 1:close]
            if tok.type == "heading_open":
                level = int(tok.tag[1])
                title = _inline(inner[0]) if inner else ""
                if title:
                    path = [(lv, t) for lv, t in path if lv < level] + [(level, title)]
                    blocks.append(Block(text=title, kind="heading", section=[t for _, t in path]))
            else:
                kind = _BLOCK_KINDS.get(tok.type, "paragraph")
                body = _inline(inner[0]) if tok.type == "paragraph_open" else _container_text(inner, kind)
                if body:
                    blocks.append(Block(text=body, kind=kind, section=[t for _, t in path]))
            i = close + 1
            continue
        if tok.type in ("fence", "code_block") and tok.content.strip():
            blocks.append(Block(text=tok.content.rstrip(), kind="code", section=[t for _, t in path]))
        elif tok.type == "html_block":
            blocks.extend(b.model_copy(update={"section": [t for _, t in path]})
                          for b in html_blocks(tok.content))
        i += 1
    return blocks


def text_blocks(text: str) -> list[Block]:
    """Plain text: blank-line paragraphs; a short unpunctuated line before a paragraph is a heading."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    blocks: list[Block] = []
    section: list[str] = []
    for i, para in enumerate(paras):
        nxt = paras[i + 1] if i + 1 < len(paras) else ""
        short_line = "\n" not in para and len(para) < 80 and not re.search(r"[.!?:;,…)»]$", para)
        if short_line and len(nxt) > 2 * len(para):
            section = [para]
            blocks.append(Block(text=para, kind="heading", section=section))
        else:
            blocks.append(Block(text=para, kind="paragraph", section=section))
    return blocks


def _title(blocks: list[Block], path: Path) -> str:
    """A heading that opens the note is its title; otherwise the file name says it best."""
    for block in blocks[:1]:
        if block.kind == "heading" and len(block.text) > 3:
            return block.text
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _date_in_name(name: str) -> datetime | None:
    m = _DATE_IN_NAME.search(name)
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def parse_note(path: Path, origin: str | None = None, max_bytes: int = MAX_TEXT_BYTES) -> tuple[Document, list[str]]:
    """Parse a note file. Returns the document and warnings (e.g. non-UTF-8 encoding).

    `origin` is where the file really comes from when `path` is a copy (an upload to the server):
    the id, source and title are derived from it, so a note gets the same id however it arrives.
    """
    text, encoding = read_text(path, max_bytes)
    where = Path(origin) if origin else path.resolve()
    fmt = NOTE_SUFFIXES[path.suffix.lower()]
    blocks = note_roles({"markdown": markdown_blocks, "html": html_blocks, "text": text_blocks}[fmt](text))
    if sum(len(b.text) for b in blocks) < 3:
        raise EmptyInputError("note has no text", source=str(path))
    langs = dominant_languages((detect_language(b.text), len(b.text)) for b in blocks if b.role == "body")
    lang = langs[0] if langs else detect_language(text)
    raw = text.encode("utf-8")
    doc = Document(
        doc_id=f"note:{where.stem}-{hashlib.sha1(str(where).encode()).hexdigest()[:8]}",
        kind="note", title=_title(blocks, where), source=str(where), lang=lang,
        langs=langs or [lang], blocks=blocks, references=arxiv_ids_in_text(text),
        date=_date_in_name(where.name),
        content_hash=hashlib.sha256(raw).hexdigest(), metadata={"format": fmt},
    )
    warnings = [f"{where}: decoded as {encoding} (not UTF-8)"] if encoding else []
    return doc, warnings
