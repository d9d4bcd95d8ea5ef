"""Document → Chunks: structure-following packing of sentences under a token budget."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from veille.ingest.documents import Block, Chunk, Document
from veille.ingest.language import prose_language
from veille.ingest.sentence_split import split_sentences
from veille.ingest.time_budget import budget, check
from veille.languages.scripts import HANGUL

TokenCounter = Callable[[str], int]
CHUNK_NAMESPACE = uuid.UUID("6f1c2a52-7c1e-5a8e-9f57-6b0c1d2e3f40")
# This chunker's version, kept in each document's record: bump it whenever the chunks it makes, or what is
# stored with them, change (boundaries, fields such as `sentences` or `role`). A document an older version
# chunked is chunked again the next time its source is ingested, though its bytes did not change
# (index.indexer keeps the vector of every chunk whose text did not change).
CHUNKING_VERSION = 2
_WORDCHARS = re.compile(r"\w", re.UNICODE)
_PIECES = re.compile(r"[^\W\d_]+|\d+|[^\w\s]", re.UNICODE)
_MIN_WORDCHARS = 8
_LETTER = re.compile(r"[^\W\d_]")
_DIGITS = re.compile(r"\d")


class ChunkingOptions(BaseModel):
    """How documents are cut into chunks."""

    max_tokens: int = Field(default=512, ge=32, description="Hard ceiling (the model's window).")
    target_tokens: int = Field(default=320, ge=16, description="Preferred chunk size.")
    overlap_tokens: int = Field(default=48, ge=0, description="Sentences carried into the next chunk.")
    min_tokens: int = Field(default=64, ge=1, description="Below this, a section break is not a chunk break.")
    max_seconds: float | None = Field(default=None, gt=0, description="Time budget for one document's chunking "
                                      "(None: none); past it the document fails (ingest/budget.py).")


def estimate_tokens(text: str) -> int:
    """Approximate multilingual-e5 (XLM-R SentencePiece) token count, erring on the high side.

    Used when no tokenizer is given; calibrated on papers and notes to within ~30%.
    """
    n = 2
    for piece in _PIECES.findall(text):
        hangul = len(HANGUL.findall(piece))
        if hangul:
            n += max(1, round(hangul * 0.8)) + (len(piece) - hangul) // 4
        elif piece.isdigit():
            n += (len(piece) + 2) // 3
        else:
            n += 1 + len(piece) // 5
    return n


def text_hash(text: str) -> str:
    """sha256 hex digest of the text (the embedding cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(doc_id: str, position: int, digest: str) -> str:
    """Deterministic point id: uuid5 of document id, position and text hash."""
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{doc_id}\x1f{position}\x1f{digest}"))


@dataclass
class _Unit:
    text: str
    tokens: int
    sep: str  # what joins it to the unit before it ("\n\n" between blocks)
    block: Block
    heading: bool


def _has_content(text: str) -> bool:
    return len(_WORDCHARS.findall(text)) >= 2


def _wrap(sentence: str, limit: int, count: TokenCounter) -> list[str]:
    """Cut an over-long sentence (tables, formulas) at word boundaries."""
    out, cur = [], ""
    for word in sentence.split(" "):
        cand = f"{cur} {word}" if cur else word
        if cur and count(cand) > limit:
            out.append(cur)
            cand = word
        cur = cand
    return out + ([cur] if cur else [])


def _with_gaps(line: str, pieces: list[str]) -> list[tuple[str, str]]:
    """Pair each piece with the exact text between it and the previous one in `line`.

    Splitters may drop or add spaces ('Retr.+Transformer'); chunks must stay verbatim.
    """
    out: list[tuple[str, str]] = []
    pos = 0
    for piece in pieces:
        start = line.find(piece, pos)
        if start < 0:  # the splitter changed the text: fall back to a single space
            out.append((" " if out else "", piece))
            continue
        out.append((line[pos:start] if out else "", piece))
        pos = start + len(piece)
    return out


def _block_units(block: Block, lang: str, opts: ChunkingOptions, count: TokenCounter) -> list[_Unit]:
    units: list[_Unit] = []
    for line in block.text.split("\n"):
        if not line.strip():
            continue
        check()
        sentences = [line.strip()] if block.kind == "heading" else split_sentences(line, lang)
        pieces = [p for s in sentences
                  for p in (_wrap(s, opts.target_tokens, count) if count(s) > opts.target_tokens else [s])]
        for i, (gap, piece) in enumerate(_with_gaps(line, pieces)):
            sep = "\n\n" if not units else ("\n" + line[:len(line) - len(line.lstrip())] if i == 0 else gap)
            units.append(_Unit(piece, count(piece), sep, block, block.kind == "heading"))
    return units


def _units(doc: Document, opts: ChunkingOptions, count: TokenCounter) -> list[_Unit]:
    units: list[_Unit] = []
    for block in doc.blocks:
        if _has_content(block.text):
            lang = "ko" if HANGUL.search(block.text) else doc.lang
            units.extend(_block_units(block, lang, opts, count))
    return units


def _overlap(units: list[_Unit], budget: int) -> list[_Unit]:
    """Trailing sentences of the previous chunk (same block only) within the overlap budget."""
    tail: list[_Unit] = []
    total = 0
    for u in reversed(units):
        if u.heading or u.block is not units[-1].block or total + u.tokens > budget:
            break
        tail.insert(0, u)
        total += u.tokens
    return tail if len(tail) < len(units) else []


def _pack(units: list[_Unit], opts: ChunkingOptions) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = []
    cur: list[_Unit] = []
    size = lead = 0  # lead: units at the head of `cur` repeated from the previous chunk (overlap)
    for u in units:
        role_break = bool(cur) and u.block.role != cur[-1].block.role  # a chunk holds one role (ingest.roles)
        section_break = (u.heading and size >= opts.min_tokens) or role_break
        if u.heading and cur and not section_break and _fold_back(groups, cur[lead:], opts):
            cur, size, lead = [], 0, 0  # the section's short tail went back to its chunk
        overflow = cur and size + u.tokens > opts.target_tokens
        if cur and (section_break or overflow):
            heading_carried = cur[-1].heading and len(cur) > 1 and cur[-1].block.role == u.block.role
            carry = [cur.pop()] if heading_carried else []
            groups.append(cur)
            cur = ([] if section_break or carry else _overlap(cur, opts.overlap_tokens)) + carry
            lead, size = len(cur) - len(carry), sum(x.tokens for x in cur)
        cur.append(u)
        size += u.tokens
    if cur:
        groups.append(cur)
    return _merge_tiny(groups, opts)


def _fold_back(groups: list[list[_Unit]], tail: list[_Unit], opts: ChunkingOptions) -> bool:
    """Put a section's last few sentences, cut off by the chunk size just before the next heading, back
    into the chunk of their own section when it has room: left where they are, they would open a chunk
    about the next section, under which neither search nor the reader finds them."""
    if not groups or not tail or tail[0].heading or tail[0].block.section != groups[-1][-1].block.section:
        return False
    if sum(x.tokens for x in groups[-1]) + sum(x.tokens for x in tail) > opts.max_tokens:
        return False
    groups[-1].extend(tail)
    return True


def _join(units: list[_Unit]) -> str:
    return "".join((u.sep if i else "") + u.text for i, u in enumerate(units)).strip()


def _placed(units: list[_Unit]) -> list[tuple[int, _Unit]]:
    """Each unit with its offset in the chunk's text (`_join`, which strips the joined units)."""
    raw = "".join((u.sep if i else "") + u.text for i, u in enumerate(units))
    lead = len(raw) - len(raw.lstrip())
    out, pos = [], 0
    for i, u in enumerate(units):
        pos += len(u.sep) if i else 0
        out.append((max(pos - lead, 0), u))
        pos += len(u.text)
    return out


def _page_breaks(units: list[_Unit]) -> list[tuple[int, int]]:
    """(offset in the joined text, page) wherever the page changes, so a quote can name its page."""
    breaks: list[tuple[int, int]] = []
    for start, u in _placed(units):
        if u.block.page is not None and (not breaks or breaks[-1][1] != u.block.page):
            breaks.append((start, u.block.page))
    return breaks


def _sentence_spans(units: list[_Unit]) -> list[tuple[int, int]]:
    """(start, end) of each sentence in the joined text: the reader quotes them without splitting the
    passage again at every question (sentence splitting is a large part of a new question's time)."""
    return [(start, start + len(u.text.strip())) for start, u in _placed(units) if u.text.strip()]


def _substance(text: str) -> int:
    """Letters and digits, a Hangul syllable counting as three: '톰은 웃었다.' says as much as
    'Tom laughed.' though it has half the characters."""
    return len(_WORDCHARS.findall(text)) + 2 * len(HANGUL.findall(text))


def _merge_tiny(groups: list[list[_Unit]], opts: ChunkingOptions) -> list[list[_Unit]]:
    """Fold chunks with almost no text into a neighbour so fragments never stand alone.
    A short document that is all fragment still makes one chunk: it is all there is."""
    out: list[list[_Unit]] = []
    for g in groups:
        tiny = _substance(_join(g)) < _MIN_WORDCHARS
        same_role = bool(out) and out[-1][0].block.role == g[0].block.role
        if same_role and (tiny or _substance(_join(out[-1])) < _MIN_WORDCHARS):
            out[-1] = out[-1] + g
        else:
            out.append(g)
    if len(out) == 1 and _LETTER.search(_join(out[0])):
        return out
    return [g for g in out if _substance(_join(g)) >= _MIN_WORDCHARS]


def _chunk(doc: Document, position: int, group: list[_Unit]) -> Chunk:
    text = _join(group)
    pages = [u.block.page for u in group if u.block.page is not None]
    body = next((u for u in group if not u.heading), group[0])
    role = group[0].block.role
    digest = text_hash(text)
    return Chunk(
        chunk_id=chunk_id(doc.doc_id, position, digest), doc_id=doc.doc_id, position=position,
        text=text, lang=prose_language(text, doc.lang, doc.langs) if role == "body" else doc.lang,
        page_start=min(pages) if pages else None, page_end=max(pages) if pages else None,
        section=list(body.block.section), references=role == "references", role=role, text_hash=digest,
        tokens=sum(u.tokens for u in group), page_breaks=_page_breaks(group), sentences=_sentence_spans(group),
    )


def _debris(group: list[_Unit]) -> bool:
    """Body text that is mostly figures (a chart's axis ticks, a table's cells): not worth a vector."""
    text = _join(group)
    letters, digits = len(_LETTER.findall(text)), len(_DIGITS.findall(text))
    return group[0].block.role == "body" and digits > 20 and letters < 0.5 * digits


def chunk_document(doc: Document, options: ChunkingOptions | None = None,
                   count_tokens: TokenCounter | None = None) -> list[Chunk]:
    """Cut a document into chunks that follow its structure and fit the token budget.

    Same document, options and counter → same chunks with the same ids.
    """
    opts = options or ChunkingOptions()
    count = count_tokens or estimate_tokens
    with budget(opts.max_seconds, doc.source):
        groups = [g for g in _pack(_units(doc, opts, count), opts) if not _debris(g)]
    return [_chunk(doc, i, g) for i, g in enumerate(groups)]
