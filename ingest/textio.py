"""Reading text files whatever their encoding, refusing binaries."""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from veille.ingest.errors import EmptyInputError, ParseError

LEGACY_ENCODINGS = ["cp1252", "latin_1", "cp949", "euc_kr", "shift_jis", "gb18030", "utf_16"]


def decode_text(raw: bytes, source: str) -> tuple[str, str | None]:
    """Decode bytes as UTF-8, else detect the encoding (Latin-1, CP949...).

    Returns (text, encoding used when it was not UTF-8, so callers can warn).
    """
    if not raw.strip():
        raise EmptyInputError("file is empty", source=source)
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


def read_text(path: Path) -> tuple[str, str | None]:
    """Read a text file; see decode_text."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file ({exc.strerror})", source=str(path)) from exc
    return decode_text(raw, str(path))
