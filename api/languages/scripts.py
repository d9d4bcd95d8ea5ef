"""Writing systems, as Unicode ranges: where a piece of text is Hangul (the one script whose words take
particles, and which the keyword side reads as morphemes)."""

from __future__ import annotations

import re

HANGUL_SYLLABLES = "\uac00-\ud7a3"
# syllables, and the jamo they are built from (conjoining and compatibility)
HANGUL_LETTERS = HANGUL_SYLLABLES + "\u1100-\u11ff\u3130-\u318f"
HANGUL = re.compile(f"[{HANGUL_SYLLABLES}]")
HANGUL_OR_JAMO = re.compile(f"[{HANGUL_LETTERS}]")
