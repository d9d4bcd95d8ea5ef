"""Files and folders → Documents: discovery and per-format dispatch, failure by failure."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from veille.errors import ParseError, UnsupportedFormatError, VeilleError
from veille.ingest.documents import Document
from veille.ingest.jsonl_records import RECORD_SUFFIXES, read_records
from veille.ingest.notes import NOTE_SUFFIXES, parse_note
from veille.ingest.text_files import MAX_TEXT_BYTES
from veille.ingest.time_budget import budget

if TYPE_CHECKING:
    from veille.ingest.pdf import MetaLookup

SUPPORTED_SUFFIXES = frozenset({".pdf", *NOTE_SUFFIXES, *RECORD_SUFFIXES})


@dataclass
class Loaded:
    """One outcome of loading: a document, or the error that stopped it (never both)."""

    source: str
    document: Document | None = None
    error: VeilleError | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Discovery:
    """Files to load, and files passed over inside folders (with why)."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def discover(paths: Iterable[Path]) -> Discovery:
    """Expand folders recursively (sorted, hidden files ignored); keep explicit files as given.

    Unknown formats inside a folder are skipped (reported); an explicitly named file of an
    unknown format is kept so that loading reports it as an error.
    """
    found = Discovery()
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_dir() or any(part.startswith(".") for part in rel.parts):
                    continue
                odd = _not_regular(child)
                if odd:
                    found.skipped.append((str(child), odd))
                elif child.suffix.lower() not in SUPPORTED_SUFFIXES:
                    found.skipped.append((str(child), "unsupported format"))
                elif child.resolve() not in seen:
                    seen.add(child.resolve())
                    found.files.append(child)
        elif path.exists() or path.is_symlink():
            odd = _not_regular(path)
            if odd:
                found.skipped.append((str(path), odd))
            elif path.resolve() not in seen:
                seen.add(path.resolve())
                found.files.append(path)
        else:
            found.missing.append(str(path))
    return found


def _not_regular(path: Path) -> str | None:
    """Why `path` is no file to read (a broken or looping link, a FIFO, a socket, a device), else None.

    Reading a FIFO would block the ingest for good; each of these is reported, never passed over silently."""
    try:
        if path.is_file():
            return None
    except OSError as exc:  # a symlink loop
        return f"cannot be followed ({exc.strerror})"
    if path.is_symlink():
        return "broken symbolic link" if not os.path.lexists(os.path.realpath(path)) else "symbolic link loop"
    return "not a regular file (FIFO, socket or device)"


def load_file(path: Path, meta_lookup: MetaLookup | None = None, origin: str | None = None,
              max_text_bytes: int = MAX_TEXT_BYTES, max_seconds: float | None = None) -> Iterator[Loaded]:
    """Load one file: one Loaded per document (JSONL gives many), errors included.

    `origin` is the file's real name when `path` is a copy (see parse_note); errors name it too.
    `max_text_bytes` caps a note's size and a JSONL record's length; `max_seconds` the time a PDF may
    take to parse (ingest/budget.py; a note's slow part, sentence splitting, is chunking's budget).
    """
    for loaded in _load(path, meta_lookup, origin, max_text_bytes, max_seconds):
        if origin:
            loaded.source = loaded.source.replace(str(path), origin)
            err = loaded.error
            if err is not None and err.source:
                loaded.error = type(err)(err.message, source=err.source.replace(str(path), origin))
        yield loaded


def _load(path: Path, meta_lookup: MetaLookup | None, origin: str | None, max_text: int,
          max_seconds: float | None) -> Iterator[Loaded]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            from veille.ingest.pdf import parse_pdf  # PyMuPDF takes ~1 s to import: when a PDF comes

            with budget(max_seconds, str(path)):
                doc = parse_pdf(path, meta_lookup, origin)
            yield Loaded(str(path), document=doc)
        elif suffix in NOTE_SUFFIXES:
            doc, warnings = parse_note(path, origin, max_text)
            yield Loaded(str(path), document=doc, warnings=warnings)
        elif suffix in RECORD_SUFFIXES:
            for item in read_records(path, max_text):
                if isinstance(item, Document):  # named by its line, or its id when it has a URL
                    where = item.source if item.source.startswith(f"{path}:") else f"{path} [{item.doc_id}]"
                    yield Loaded(where, document=item)
                else:
                    yield Loaded(item.source or str(path), error=item)
        else:
            raise UnsupportedFormatError(
                f"unsupported format '{suffix or '(no extension)'}' "
                f"(expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))})", source=str(path))
    except VeilleError as exc:
        yield Loaded(str(path), error=exc)
    except (OSError, RuntimeError, ValueError) as exc:  # a parser library failing on odd input
        yield Loaded(str(path), error=ParseError(f"could not be read ({exc})", source=str(path)))
