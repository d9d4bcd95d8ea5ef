"""Reading text files whatever their encoding, refusing binaries."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from charset_normalizer import from_bytes

from veille.errors import EmptyInputError, ParseError

LEGACY_ENCODINGS = ["cp1252", "latin_1", "cp949", "euc_kr", "shift_jis", "gb18030", "utf_16"]


def decode_text(raw: bytes, source: str) -> tuple[str, str | None]:
    """Decode bytes as UTF-8, else detect the encoding (Latin-1, CP949...).

    Returns (text, encoding used when it was not UTF-8, so callers can warn).
    """
    if not raw.strip():
        raise EmptyInputError("file is empty", source=source)
    utf16 = _utf16(raw)
    if utf16:  # a common export format (Windows editors, some note apps): NUL bytes, yet text
        try:
            return raw.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:8192]:
        raise ParseError("binary file, not text", source=source)
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    # Restricting the candidates to encodings our users' notes really come in keeps the
    # detector from picking a Central-European code page for French Latin-1 text.
    best = from_bytes(raw, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None or best.chaos > 0.3:
        raise ParseError("text encoding could not be determined", source=source)
    return str(best), best.encoding


def _utf16(raw: bytes) -> str | None:
    """'utf-16' (BOM), 'utf-16-le' / 'utf-16-be' (no BOM, told by where the NUL bytes sit), else None."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not raw.startswith(codecs.BOM_UTF32_LE):
        return "utf-16"
    head = raw[:4096]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"  # ASCII-range text: every second byte is NUL
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def scrub(text: str) -> str:
    """`text` with what UTF-8 cannot hold (lone surrogates, e.g. from a JSON "\\ud800") replaced by '?'."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def path_name(path: str | Path) -> str:
    """A file name as text that is valid UTF-8: bytes the file system holds but UTF-8 cannot decode are
    written as \\xNN (distinct names stay distinct, unlike a replacement character)."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


# Largest note, or JSONL record, read as one document (VEILLE_MAX_TEXT_MB): ~10 million characters,
# a few thousand chunks, an hour of embedding on 2 cores. A bigger one is a dump, not a note; refusing
# it at once (with the limit's name) beats stalling the batch for hours.
MAX_TEXT_BYTES = 10 * 2**20


def read_text(path: Path, max_bytes: int | None = None) -> tuple[str, str | None]:
    """Read a text file (see decode_text); refuse it unread when larger than `max_bytes`."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise ParseError(f"{size / 2**20:.1f} MB of text: larger than the {max_bytes / 2**20:g} MB a note may "
                             "hold (VEILLE_MAX_TEXT_MB); split it, or raise the limit", source=str(path))
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file ({exc.strerror})", source=str(path)) from exc
    return decode_text(raw, str(path))
