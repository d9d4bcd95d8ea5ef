"""LLM mode: the question in the archive's other languages before retrieval, one call per question, kept.

The multilingual embedder already brings an English question near a Korean note; a translation adds
what it does not: the keyword side in that language (stems, Korean morphemes) and a dense query phrased
the way the note is. Only with an LLM configured; offline, retrieval is unchanged.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from veille.languages import language_name
from veille.llm import LLM

PROMPT = """You translate search questions for a multilingual archive of research notes and papers.
Translate the user's question into each language listed. Keep names, model names, figures, units and
acronyms exactly as written. Reply with one line per language, `code: translation`, and nothing else."""
_LINE = re.compile(r"^\s*[-*]?\s*`?([a-z]{2})`?\s*[:：]\s*(.+?)\s*$")


def ask_for(question: str, langs: list[str]) -> str:
    """The user message: the languages wanted, then the question."""
    names = ", ".join(f"{code} ({language_name(code)})" for code in langs)
    return f"Languages: {names}\nQuestion: {question}"


def parse(reply: str, langs: list[str], question: str) -> dict[str, str]:
    """`code: text` lines for the languages asked; a line far longer than the question is not a translation."""
    out: dict[str, str] = {}
    for line in reply.splitlines():
        m = _LINE.match(line)
        if m and m.group(1) in langs and m.group(1) not in out and len(m.group(2)) <= 3 * len(question) + 80:
            out[m.group(1)] = m.group(2).strip("`\"'« »“”")
    return out


class Translations:
    """Translations of recent questions by (model, question, languages): asking again costs no call.

    Safe to share between threads; a failed call is not kept, so the next ask tries again."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[str, str, tuple[str, ...]], dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, question: str, langs: list[str], llm: LLM) -> dict[str, str]:
        """{language: translation} for `langs` (LLMError from the model propagates)."""
        if not langs:
            return {}
        key = (llm.name, question, tuple(sorted(langs)))
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return dict(self._kept[key])
        found = parse(llm.complete(PROMPT, ask_for(question, sorted(langs))), langs, question)
        with self._lock:
            self._kept[key] = found
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return dict(found)
