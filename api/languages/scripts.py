"""Writing systems, as Unicode ranges: where a piece of text is Hangul (the one script whose words take
particles, and which the keyword side reads as morphemes) or Latin."""

from __future__ import annotations

import re

HANGUL_SYLLABLES = "\uac00-\ud7a3"
# syllables, and the jamo they are built from (conjoining and compatibility)
HANGUL_LETTERS = HANGUL_SYLLABLES + "\u1100-\u11ff\u3130-\u318f"
HANGUL = re.compile(f"[{HANGUL_SYLLABLES}]")
HANGUL_OR_JAMO = re.compile(f"[{HANGUL_LETTERS}]")
# Latin letters, accented ones included (Basic Latin to Latin Extended-B)
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
LATIN_WORDS = re.compile(r"^[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'’ -]*$")
