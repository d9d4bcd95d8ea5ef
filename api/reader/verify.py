"""Checks on generated text: every [n] must exist, every cited sentence must be backed by its passage.

A claim is supported by a passage when the figures it states appear there and either most of its
terms do (same-language answers) or one of the passage's sentences means the same (cross-lingual
answers, paraphrases). The quote shown for a citation is that best passage sentence, verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from veille.index.keywords import distinct_terms
from veille.ingest.language import detect_language
from veille.ingest.sentence_split import split_sentences
from veille.reader.quotes import Candidate
from veille.reader.settings import READER, ReaderSettings

MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING = re.compile(r"^(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_NUMBER = re.compile(r"\d[\d\s,.]*\d|\d")

Embed = Callable[[list[str]], np.ndarray]


@dataclass
class Claim:
    """One generated sentence with the passage numbers it cites."""

    text: str
    cited: list[int]


@dataclass
class Checked:
    """Kept claims with their supporting sentence per citation, and what was removed and why."""

    kept: list[tuple[str, list[Candidate]]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def claims(text: str, lang: str) -> list[Claim]:
    """Sentences of `text` with their [n] markers; markers split off after a full stop go back to it."""
    out: list[Claim] = []
    for piece in split_sentences(text, lang):
        lead = _LEADING.match(piece)
        if lead and out:
            out[-1].cited += _numbers(lead.group())
            piece = piece[lead.end():].strip()
        if piece:
            out.append(Claim(MARKERS.sub("", piece).strip(), _numbers(piece)))
    return [c for c in out if c.text]


def _numbers(text: str) -> list[int]:
    return [int(n) for group in MARKERS.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


def figures(text: str) -> set[str]:
    """Numbers as digit strings, separators dropped: '16,000', '16 000' and '16000' are one figure."""
    return {re.sub(r"\D", "", m) for m in _NUMBER.findall(text)}


def _terms(text: str) -> frozenset[str]:
    return distinct_terms(text, detect_language(text))


def support(claim: str, claim_vec: np.ndarray, passage: list[Candidate], vecs: np.ndarray,
            cfg: ReaderSettings = READER) -> int | None:
    """Index (in `passage`) of the sentence that backs the claim, or None when the passage does not."""
    if not passage:
        return None
    whole = " ".join(c.text for c in passage)
    if not figures(claim) <= figures(whole):
        return None
    sims = vecs @ claim_vec
    best = int(np.argmax(sims))
    terms = _terms(claim)
    lexical = bool(terms) and len(terms & _terms(whole)) / len(terms) >= cfg.support_terms
    return best if lexical or sims[best] >= cfg.support_cosine else None


def check(text: str, lang: str, passages: list[list[Candidate]], passage_vecs: list[np.ndarray],
          embed: Embed, cfg: ReaderSettings = READER) -> Checked:
    """Verify a generated answer against the numbered passages (1-based)."""
    found = claims(text, lang)
    out = Checked()
    vecs = embed([c.text for c in found]) if found else np.zeros((0, 1))
    for claim, vec in zip(found, vecs, strict=True):
        backing = _backing(claim, vec, passages, passage_vecs, out, cfg)
        if backing:
            out.kept.append((claim.text, backing))
        elif claim.cited or figures(claim.text):
            out.dropped.append(claim.text)  # a sourced-looking claim nothing backs: never shown as sourced
        else:
            out.kept.append((claim.text, []))  # connective text without facts
    return out


def _backing(claim: Claim, vec: np.ndarray, passages: list[list[Candidate]], passage_vecs: list[np.ndarray],
             out: Checked, cfg: ReaderSettings) -> list[Candidate]:
    backing: list[Candidate] = []
    for n in dict.fromkeys(claim.cited):
        if not 1 <= n <= len(passages):
            out.warnings.append(f"marker [{n}] points to no passage; removed")
            continue
        i = support(claim.text, vec, passages[n - 1], passage_vecs[n - 1], cfg)
        if i is None:
            out.warnings.append(f"passage [{n}] does not support: {claim.text[:80]}")
        elif passages[n - 1][i] not in backing:
            backing.append(passages[n - 1][i])
    return backing
