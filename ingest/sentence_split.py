"""Sentence splitting with per-language rules.

pysbd handles abbreviations for English and French ("et al.", "Fig. 3", "M. Dupont");
Korean needs no abbreviation list but ends sentences with '다.' / '요.' and full stops, so a
small regex does better than a generic splitter there.
"""

from __future__ import annotations

import re
import threading
from functools import cache

import pysbd
from pysbd.languages import LANGUAGE_CODES

from veille.ingest.time_budget import check
from veille.languages import languages

WINDOW = 4000  # characters pysbd is given at once (see _windows)
_PYSBD_LANGS = frozenset(LANGUAGE_CODES)


@cache
def _by_syllables() -> dict[str, re.Pattern[str]]:
    """Languages that end sentences with a syllable before the full stop ("다.", "요."; their files'
    `splitting_syllables`): a small pattern cuts them better than a generic splitter, and they need no
    abbreviation list."""
    out = {}
    for lang in languages():
        ends = "".join(lang.words("splitting_syllables"))
        if ends:
            out[lang.code] = re.compile(rf"(?<=[.!?。])\s+|(?<=[{ends}])\.(?=\s)|\n+")
    return out


_LOCAL = threading.local()  # a pysbd Segmenter keeps the text it splits in itself: one per thread


def _segmenter(lang: str) -> pysbd.Segmenter:
    segmenters: dict[str, pysbd.Segmenter] = _LOCAL.__dict__.setdefault("segmenters", {})
    if lang not in segmenters:
        segmenters[lang] = pysbd.Segmenter(language=lang, clean=False, char_span=False)
    return segmenters[lang]


def split_sentences(text: str, lang: str) -> list[str]:
    """Split `text` into sentences; the pieces concatenated (with spaces) give the text back."""
    text = text.strip()
    if not text:
        return []
    if lang in _by_syllables():
        parts = [p.strip() for p in _by_syllables()[lang].split(text)]
        # the regex consumes '.' after 다/요 when it splits there; put it back
        pieces, pos = [], 0
        for part in parts:
            if not part:
                continue
            start = text.find(part, pos)
            end = start + len(part)
            if end < len(text) and text[end] == ".":
                part += "."
                end += 1
            pieces.append(part)
            pos = end
        return pieces
    seg = _segmenter(lang if lang in _PYSBD_LANGS else "en")
    out = []
    for window in _windows(text):
        check()  # a window takes ~30 ms; an input's time budget is checked between them
        out += [s.strip() for s in seg.segment(window) if s.strip()]
    return out


def _windows(text: str, size: int = WINDOW) -> list[str]:
    """`text` cut into pieces of at most ~`size` characters after a full stop (else a space).

    pysbd's time grows with the square of a paragraph's length (25 KB 1.9 s, 100 KB 27 s); one
    enormous line in a note or a JSONL record would stall an ingest for hours. Windows keep it linear;
    a sentence longer than a window is cut at a space, like the chunker cuts over-long sentences."""
    out, start = [], 0
    while len(text) - start > size:
        cut = text.rfind(". ", start, start + size)
        cut = cut + 1 if cut > start else text.rfind(" ", start, start + size)
        cut = cut if cut > start else start + size
        out.append(text[start:cut])
        start = cut
    return [*out, text[start:]]
