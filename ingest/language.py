"""Language identification for documents and chunks.

py3langid (langid.py's maintained port) does the statistics; we add two things it lacks:
a Hangul shortcut (Korean notes are full of English model names, which can fool n-gram
models) and a floor under which text is too short to judge.
"""

from __future__ import annotations

import logging
import lzma
import math
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import py3langid
from py3langid import langid

from veille.languages import common, languages
from veille.languages.scripts import HANGUL_OR_JAMO

log = logging.getLogger(__name__)

UNDETERMINED = "und"
# Languages Veille users write in (those with a file), plus the ones most likely to appear in papers.
# Restricting the candidates keeps LaTeX-heavy or list-like text from landing on exotic languages.
CANDIDATES = frozenset({lang.code for lang in languages()} | set(common().get("also_detected", [])))
_MIN_LETTERS = 10
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def detect_language(text: str, min_letters: int = _MIN_LETTERS, sure: float = 0.0) -> str:
    """Return the ISO 639-1 code of `text`'s language, or 'und' when it is too short to tell, or when the
    language's probability among the candidates is below `sure` ("KV cache compression" is French to the
    model at 0.79: words two languages share).

    Queries are short by nature: callers judging a query lower `min_letters`."""
    letters = _LETTER.findall(text)
    hangul = len(HANGUL_OR_JAMO.findall(text))
    if hangul >= 2 and hangul / len(letters) >= 0.3:
        return "ko"  # Hangul is unambiguous, even in a short sentence
    if len(letters) < min_letters:
        return UNDETERMINED
    if langid.IDENTIFIER is None:
        _load_identifier()
    ranked = [(str(lang), score) for lang, score in py3langid.rank(text) if lang in CANDIDATES]
    if not ranked:
        return UNDETERMINED
    return ranked[0][0] if not sure or _share(ranked) >= sure else UNDETERMINED


def _share(ranked: list[tuple[str, float]]) -> float:
    """The first language's probability among the ranked candidates (a softmax of their log-probabilities)."""
    top = ranked[0][1]
    return 1.0 / sum(math.exp(score - top) for _, score in ranked)


_PROSE_LETTERS = 120  # fewer letters of running text than this: too little to tell a passage's language
_SURE = 0.98  # the probability (among the candidates) a passage's own language needs to differ from its document's


def prose_language(text: str, fallback: str, document_langs: Iterable[str] = ()) -> str:
    """The language of a passage's prose, or `fallback` (its document's language) when the passage holds
    too little prose to tell, the detection is unsure, or it names a language the document was not found
    to be written in (`document_langs`): author lists, tables and formulas are not German or Portuguese."""
    prose = " ".join(line for line in text.splitlines() if len(_LETTER.findall(line)) >= 0.5 * len(line.strip()))
    letters = _LETTER.findall(prose)
    hangul = len(HANGUL_OR_JAMO.findall(prose))
    if hangul >= 2 and letters and hangul / len(letters) >= 0.3:
        return "ko" if "ko" in (fallback, *document_langs) else fallback
    if len(letters) < _PROSE_LETTERS:
        return fallback
    if langid.IDENTIFIER is None:
        _load_identifier()
    ranked = [(str(lang), score) for lang, score in py3langid.rank(prose) if lang in CANDIDATES]
    if not ranked or ranked[0][0] == fallback or ranked[0][0] not in document_langs:
        return fallback
    return ranked[0][0] if _share(ranked) >= _SURE else fallback


def dominant_languages(samples: Iterable[tuple[str, int]], min_share: float = 0.05) -> list[str]:
    """Languages by total weight from (lang, weight) samples, ignoring 'und'.

    Languages under `min_share` of the weight are dropped: a stray short block misread as
    German should not make a note "German too".
    """
    totals: Counter[str] = Counter()
    for lang, weight in samples:
        if lang != UNDETERMINED:
            totals[lang] += weight
    whole = sum(totals.values())
    return [lang for lang, n in totals.most_common() if n >= min_share * whole]


def _load_identifier() -> None:
    """py3langid's model, from a decompressed copy made once.

    py3langid inflates its LZMA-packed model on first use in each process (0.9 s, a quarter of a cold
    `veille search`); the same arrays read from the plain .npz take 0.12 s. Where the copy cannot be made
    or read (another py3langid layout), py3langid loads its own file as before."""
    try:
        plain = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "veille" / "langid" / (
            f"py3langid-{version('py3langid')}.npz")
        if not plain.exists():
            plain.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=plain.parent, suffix=".tmp", delete=False) as tmp, \
                    lzma.open(langid.MODEL_DIR / langid.MODEL_FILE) as src:
                shutil.copyfileobj(src, tmp, length=1 << 20)
            os.replace(tmp.name, plain)
        langid.IDENTIFIER = _identifier(plain)
    except (OSError, ValueError, KeyError, AttributeError, lzma.LZMAError) as exc:
        log.info("py3langid loads its own model (%s)", exc)


def _identifier(plain: Path) -> langid.LanguageIdentifier:
    """What py3langid.modelio.load_model builds, from the uncompressed file."""
    import numpy as np
    from py3langid.modelio import _to_array

    with np.load(plain, allow_pickle=False) as data:
        return langid.LanguageIdentifier(np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                                         _to_array(data["nextmove"]), data["out_feat"].tolist(),
                                         tk_row=_to_array(data["nextmove_row"]))
