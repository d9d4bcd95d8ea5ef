"""PDF → Document with PyMuPDF: pages, sections, title, arXiv id and metadata."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pymupdf

from veille.errors import EmptyInputError, ParseError
from veille.ingest.arxiv_ids import arxiv_id_from_filename, arxiv_ids_in_text, arxiv_stamp
from veille.ingest.documents import ArxivMeta, Block, BlockKind, Document
from veille.ingest.language import detect_language, dominant_languages
from veille.ingest.pdf_layout import Line, PageText, TextBlock, margin_signatures, page_blocks, read_page
from veille.ingest.roles import paper_roles
from veille.ingest.time_budget import check
from veille.languages import caption_start, paper_heading

MetaLookup = Callable[[str], ArxivMeta | None]

_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}|[A-H])(?:\.\d{1,2}){0,3})\.?\s+(?P<title>[A-Z][^.!?]{1,90})$")
_NAMED = paper_heading("section_names")  # "Introduction", "Related work": each language's section names
_REFERENCES = paper_heading("reference_headings")
_CAPTION = caption_start()
_WORD = re.compile(r"[^\W_][\w-]*", re.UNICODE)
_BAD_TITLES = re.compile(r"(^untitled|\.(dvi|pdf|tex|docx?)$|^microsoft word|^arxiv:)", re.IGNORECASE)


def _open(path: Path) -> pymupdf.Document:
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # PyMuPDF raises several types for damaged files
        raise ParseError(f"not a readable PDF ({exc})", source=str(path)) from exc
    if doc.needs_pass:
        doc.close()
        raise ParseError("PDF is encrypted (password required)", source=str(path))
    if doc.page_count == 0:
        doc.close()
        raise EmptyInputError("PDF has no pages", source=str(path))
    return doc


def _body_size(pages: list[PageText]) -> float:
    """The running-text font size: the commonest size (to half a point) of long lines.

    Long lines only, because tables and figure labels can outnumber prose in small print;
    half-point buckets, because justified text varies by a few tenths (10.8, 10.9, 11.0).
    """
    sizes: Counter[float] = Counter()
    for page in pages:
        for block in page.blocks:
            for line in block.lines:
                if len(line.text) >= 40:
                    sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


class _Dehyphenator:
    """Joins words split across lines, using the document's own vocabulary to decide.

    A line-end hyphen is kept when the document writes the pair hyphenated elsewhere
    ('English-to-German') or when the left part is capitalised; otherwise it is a break.
    """

    def __init__(self, texts: list[str]) -> None:
        self.words: set[str] = set()
        self.pairs: set[tuple[str, str]] = set()
        broken = False
        for text in texts:
            tokens = _WORD.findall(text.lower())
            # Fragments around a line-end hyphen are not words; keep them out of the vocabulary.
            if broken and tokens:
                tokens = tokens[1:]
            broken = text.endswith("-")
            if broken and tokens:
                tokens = tokens[:-1]
            for token in tokens:
                self.words.add(token)
                parts = token.split("-")
                self.pairs.update(itertools.pairwise(parts))

    def _keep_hyphen(self, left: str, right: str, capitalised: bool) -> bool:
        if (left, right) in self.pairs:
            return True
        if left + right in self.words:
            return False
        both_words = len(left) >= 3 and len(right) >= 3 and {left, right} <= self.words
        return capitalised or both_words

    def join(self, rows: list[str]) -> str:
        """Join a block's rows into one paragraph string."""
        out = ""
        for row in rows:
            if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and row[:1].islower():
                left = re.findall(r"[\w]+-$", out)
                right = re.match(r"[\w]+", row)
                if left and right:
                    lw, rw = left[0][:-1].lower(), right.group(0).lower()
                    keep = self._keep_hyphen(lw, rw, left[0][0].isupper())
                    out = out + row if keep else out[:-1] + row
                    continue
            out = f"{out} {row}" if out else row
        return re.sub(r"[ \t]+", " ", out).strip()


def _heading_level(line: Line, body: float) -> int | None:
    """Section level of a heading line, None for body text."""
    text = line.text.strip()
    if len(text) > 100 or not re.search(r"[A-Za-z]{3}", text):
        return None
    prominent = line.bold or line.size >= body + 0.9
    if not prominent:
        return None
    numbered = _NUMBERED.match(text)
    if numbered:
        return numbered.group("num").count(".") + 1
    if _NAMED.match(text) or line.size >= body + 1.5:
        return 1
    return None


def _title_from_page(page: PageText, height: float) -> str | None:
    lines = [ln for b in page.blocks for ln in b.lines if ln.y0 < height * 0.3 and len(ln.text) > 3]
    if not lines:
        return None
    biggest = max(ln.size for ln in lines)
    title_lines = [ln.text for ln in lines if ln.size >= biggest * 0.92]
    title = " ".join(title_lines[:4]).strip()
    return title if len(title) >= 4 else None


_OPEN_END = re.compile(r"[\w,;(\-–]$")  # a paragraph that ends like this has not finished its sentence
_LOWER_START = re.compile(r"^[a-zà-öø-ÿ]")


def _continues(last: Block, text: str, in_refs: bool) -> bool:
    """Whether `text` goes on with the sentence `last` (a body paragraph) left open."""
    return (last.kind == "paragraph" and last.references == in_refs and bool(_OPEN_END.search(last.text))
            and bool(_LOWER_START.match(text)))


class _Assembler:
    """Walks ordered blocks and emits Blocks with section paths and reference marks."""

    def __init__(self, body: float, dehyph: _Dehyphenator, title: str | None) -> None:
        self.body, self.dehyph, self.title = body, dehyph, title
        self.path: list[tuple[int, str]] = []
        self.in_refs = False
        self.out: list[Block] = []

    def _flush(self, rows: list[str], page: int) -> None:
        if not rows:
            return
        text = self.dehyph.join(rows)
        kind: BlockKind = "caption" if _CAPTION.match(text) else "paragraph"
        last = self.out[-1] if self.out else None
        if kind == "paragraph" and last is not None and _continues(last, text, self.in_refs):
            # A sentence cut by a column or page break, or by a figure placed mid-paragraph: one
            # paragraph again, so chunks and quotes hold the whole sentence (page: where it starts).
            self.out[-1] = last.model_copy(update={"text": self.dehyph.join([last.text, text])})
            rows.clear()
            return
        self.out.append(Block(text=text, kind=kind, page=page, section=[t for _, t in self.path],
                              references=self.in_refs))
        rows.clear()

    def _heading(self, level: int, text: str, page: int) -> None:
        self.path = [(lvl, t) for lvl, t in self.path if lvl < level] + [(level, text)]
        if _REFERENCES.match(text):
            self.in_refs = True
        elif self.in_refs and level == 1:
            self.in_refs = False  # an appendix after the bibliography
        self.out.append(Block(text=text, kind="heading", page=page,
                              section=[t for _, t in self.path], references=self.in_refs))

    def _extend_heading(self, text: str) -> None:
        """A heading wrapped onto a second line: one heading, one section."""
        last = self.out[-1]
        level, first = self.path[-1] if self.path else (1, "")
        merged = f"{last.text} {text}"
        if self.path and first == last.text:
            self.path[-1] = (level, merged)
        self.out[-1] = last.model_copy(update={"text": merged, "section": [t for _, t in self.path]})

    def _level(self, line: Line, page: int) -> int | None:
        level = _heading_level(line, self.body)
        text = line.text.strip()
        is_title = page == 1 and bool(self.title) and text.lower() in (self.title or "").lower()
        if level is None or is_title:
            return 0 if is_title and not self.path else level
        if page == 1 and not self.path and not (_NUMBERED.match(text) or _NAMED.match(text)):
            return None  # authors and affiliations in bold on the title page
        return level

    def add(self, block: TextBlock, page: int) -> None:
        """Add one layout block (may hold headings and body rows)."""
        rows: list[str] = []
        after_heading = False
        for line in block.lines:
            level = self._level(line, page)
            text = line.text.strip()
            if level is None or (rows and len(block.lines) > 3):
                rows.append(line.text)
                after_heading = False
                continue
            if after_heading and not (_NUMBERED.match(text) or _NAMED.match(text)):
                self._extend_heading(text)
            elif level == 0:
                self.out.append(Block(text=text, kind="heading", page=page))
            else:
                self._flush(rows, page)
                self._heading(level, text, page)
            after_heading = True
        self._flush(rows, page)


def _arxiv_from(path: Path, first: PageText) -> tuple[str | None, str | None]:
    stamp = arxiv_stamp(" ".join(first.vertical)) or arxiv_stamp(
        " ".join(ln.text for b in first.blocks[:3] for ln in b.lines))
    if stamp:
        return stamp
    return arxiv_id_from_filename(path.name), None


def parse_pdf(path: Path, meta_lookup: MetaLookup | None = None, origin: str | None = None,
              arxiv_id: str | None = None) -> Document:
    """Parse a PDF into a Document: blocks in reading order with pages and section paths.

    `origin` names the file when `path` is a copy of it (an upload): source, title and the
    arXiv id read from the file name come from it. `arxiv_id`: the paper it is, when the caller
    downloaded it by id (not every PDF carries arXiv's stamp).
    """
    raw = path.read_bytes()
    doc = _open(path)
    try:
        pages = []
        for i in range(doc.page_count):
            check()
            pages.append(read_page(doc[i]))
        sizes = [(doc[i].rect.width, doc[i].rect.height) for i in range(doc.page_count)]
        pdf_title = (doc.metadata or {}).get("title") or ""
    finally:
        doc.close()
    repeated = margin_signatures(pages, [h for _, h in sizes])
    ordered = [page_blocks(p, w, h, repeated) for p, (w, h) in zip(pages, sizes, strict=True)]
    texts = [ln.text for blocks in ordered for b in blocks for ln in b.lines]
    if sum(len(t.strip()) for t in texts) < 20:
        raise EmptyInputError("PDF has no text layer (scanned or image-only; OCR is not supported)",
                              source=str(path))
    page_title = _title_from_page(pages[0], sizes[0][1])
    asm = _Assembler(_body_size(pages), _Dehyphenator(texts), page_title)
    for page, blocks in zip(pages, ordered, strict=True):
        for block in blocks:
            asm.add(block, page.number)
    where = Path(origin) if origin else path.resolve()
    found, version = _arxiv_from(where, pages[0])
    arxiv_id = arxiv_id or found
    meta = meta_lookup(arxiv_id) if (arxiv_id and meta_lookup) else None
    title = _pick_title(meta, pdf_title, page_title, where)
    return _document(where, raw, paper_roles(asm.out), title, arxiv_id, version, meta, len(pages))


def _pick_title(meta: ArxivMeta | None, pdf_title: str, page_title: str | None, path: Path) -> str:
    if meta and meta.title:
        return meta.title
    if len(pdf_title.strip()) >= 8 and not _BAD_TITLES.search(pdf_title.strip()):
        return pdf_title.strip()
    return page_title or path.stem


def _document(path: Path, raw: bytes, blocks: list[Block], title: str, arxiv_id: str | None,
              version: str | None, meta: ArxivMeta | None, pages: int) -> Document:
    body = [b for b in blocks if b.role == "body"]
    lang = detect_language(" ".join(b.text for b in body[:60]))
    langs = [lang, *(other for other in dominant_languages((detect_language(b.text), len(b.text)) for b in body)
                     if other != lang)]
    digest = hashlib.sha256(raw).hexdigest()
    doc_id = f"arxiv:{arxiv_id}" if arxiv_id else f"pdf:{digest[:16]}"
    cited = arxiv_ids_in_text("\n".join(b.text for b in blocks if b.role == "references"))
    return Document(
        doc_id=doc_id, kind="paper", title=title, source=str(path), lang=lang,
        langs=langs, blocks=blocks, pages=pages, arxiv_id=arxiv_id, arxiv=meta,
        references=[a for a in cited if a != arxiv_id],  # the papers its bibliography cites, as links
        date=meta.published if meta else None, content_hash=digest,
        metadata={"arxiv_version": version} if version else {},
    )
