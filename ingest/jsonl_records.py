"""JSONL (and JSON array) records → Documents, one per record.

Record fields: "_id" or "id" (becomes the document id), "title", "text", and optional
"lang", "url", "date", "metadata". This is the bulk-import path and how BEIR-layout
corpora (corpus.jsonl) are loaded.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from veille.errors import EmptyInputError, ParseError
from veille.ingest.arxiv_ids import arxiv_ids_in_text
from veille.ingest.documents import Block, Document
from veille.ingest.language import detect_language
from veille.ingest.text_files import MAX_TEXT_BYTES, read_text, scrub

RECORD_SUFFIXES = {".jsonl", ".ndjson", ".json"}


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def record_to_document(record: Any, source: str) -> Document:
    """Turn one decoded record into a Document; `source` names it in errors ('file:line')."""
    if not isinstance(record, dict):
        raise ParseError("record is not a JSON object", source=source)
    rid = record.get("_id", record.get("id"))
    if rid is None or str(rid).strip() == "":
        raise ParseError("record has no '_id' or 'id'", source=source)
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise EmptyInputError("record has no 'text'", source=source)
    title = str(record.get("title") or "").strip()
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    blocks = ([Block(text=title, kind="heading", section=[title])] if title else []) + [
        Block(text=p, kind="paragraph", section=[title] if title else []) for p in paras]
    given = record.get("lang")
    lang: str = given if isinstance(given, str) and given else detect_language(text)
    extra = record.get("metadata")
    meta: dict[str, Any] = extra if isinstance(extra, dict) else {}
    return Document(
        doc_id=str(rid), kind="record", title=title or text.strip()[:80], lang=lang, langs=[lang],
        source=str(record.get("url") or source), blocks=blocks, date=_date(record.get("date")),
        references=arxiv_ids_in_text(text), metadata=meta,
        content_hash=hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False)
                                    .encode("utf-8")).hexdigest(),
    )


def read_records(path: Path, max_bytes: int = MAX_TEXT_BYTES) -> Iterator[Document | ParseError]:
    """Yield a Document per record, or the ParseError for a bad line; never stops early.

    The file may be of any size (an export); a record (a line) longer than `max_bytes` is refused."""
    text, _ = read_text(path)
    if path.suffix.lower() == ".json":
        yield from _json_array(text, path)
        return
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        if len(line) > max_bytes:  # characters, at least as many bytes: no record parses faster
            yield ParseError(f"a record of {len(line) / 2**20:.1f}M characters: larger than the "
                             f"{max_bytes / 2**20:g} MB a record may hold (VEILLE_MAX_TEXT_MB)", source=where)
            continue
        try:
            doc = record_to_document(_decoded(line), where)
        except json.JSONDecodeError as exc:
            yield ParseError(f"malformed JSON ({exc.msg} at column {exc.colno})", source=where)
            continue
        except RecursionError:
            yield ParseError("JSON nested too deeply to read", source=where)
            continue
        except ParseError as exc:
            yield exc
            continue
        if doc.doc_id in first_line:  # a later line must not silently replace an earlier record
            yield ParseError(f"id {doc.doc_id!r} already used on line {first_line[doc.doc_id]}; "
                             "this record was not stored", source=where)
            continue
        first_line[doc.doc_id] = lineno
        yield doc


def _decoded(line: str) -> Any:
    """One JSON line; strings UTF-8 cannot hold (a lone surrogate escape like "\\ud800") get '?'."""
    record = json.loads(line)
    return json.loads(scrub(json.dumps(record, ensure_ascii=False))) if "\\ud" in line.lower() else record


def _json_array(text: str, path: Path) -> Iterator[Document | ParseError]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ParseError(f"malformed JSON ({exc.msg} at line {exc.lineno})", source=str(path))
        return
    if isinstance(data, dict):
        data = data.get("records") or data.get("documents") or [data]
    if not isinstance(data, list):
        yield ParseError("expected a list of records", source=str(path))
        return
    for i, record in enumerate(data):
        try:
            yield record_to_document(record, f"{path}[{i}]")
        except ParseError as exc:
            yield exc
