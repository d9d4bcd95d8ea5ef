"""The languages Veille reads and writes, as data: one TOML file per language beside this module.

Every layer reads its word lists and patterns here (stop words, question words, the units a figure
counts, Korean particles and loanwords, interface messages...): adding a language means adding its
file (see en.toml, which says what each table is for), not editing the code that reads them.
Files are read once per process; lists come back in language-code order, so patterns built from
several languages are the same on every run.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COMMON = "common"  # common.toml: what belongs to no one language


@dataclass(frozen=True)
class Language:
    """One language's file, as read."""

    code: str
    name: str
    data: dict[str, Any]

    def table(self, name: str) -> dict[str, Any]:
        """One of the file's tables (empty when the file has none)."""
        found = self.data.get(name)
        return found if isinstance(found, dict) else {}

    def words(self, key: str) -> list[str]:
        """A whitespace-separated word list of the [words] table (empty when absent)."""
        return str(self.table("words").get(key, "")).split()


@cache
def languages() -> tuple[Language, ...]:
    """Every language with a file, by code."""
    out = []
    for path in sorted(HERE.glob("*.toml")):
        if path.stem == COMMON:
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        info = data.get("language", {})
        out.append(Language(code=info.get("code", path.stem), name=info.get("name", path.stem), data=data))
    return tuple(out)


@cache
def common() -> dict[str, Any]:
    """common.toml: detection candidates, other languages' stemmers, words of no language."""
    return tomllib.loads((HERE / f"{COMMON}.toml").read_text(encoding="utf-8"))


def language(code: str) -> Language | None:
    """The language with this code, None when Veille has no file for it."""
    return next((lang for lang in languages() if lang.code == code), None)


def words(key: str, *codes: str) -> list[str]:
    """A [words] list of the given languages (all when none is named), in language order."""
    return [w for lang in languages() if not codes or lang.code in codes for w in lang.words(key)]


def listed(table: str, key: str) -> list[str]:
    """A list-valued entry of one table, across every language (and common.toml), in language order."""
    out: list[str] = []
    for data in [*(lang.data for lang in languages()), common()]:
        value = data.get(table, {}).get(key, [])
        out += value if isinstance(value, list) else [value]
    return out


def patterns(key: str) -> list[tuple[str, str]]:
    """(language code, pattern) for every language whose [patterns] table has `key`."""
    return [(lang.code, lang.table("patterns")[key]) for lang in languages() if key in lang.table("patterns")]


def any_of(key: str, flags: int = 0) -> re.Pattern[str]:
    """One pattern matching where any language's `key` pattern matches."""
    return re.compile("|".join(f"(?:{p})" for _, p in patterns(key)) or r"(?!)", flags)


def merged(table: str) -> dict[str, list[str]]:
    """A table keyed across languages ([counted], [quantities], [measured_in]): each key's entries, language
    by language, keys in the order they first appear."""
    out: dict[str, list[str]] = {}
    for lang in languages():
        for key, values in lang.table(table).items():
            out.setdefault(key, []).extend(values)
    return out


@cache
def caption_start() -> re.Pattern[str]:
    """The opening of a figure's or table's caption, in any language ("Figure 3:", "Tableau 2", "표 1")."""
    return re.compile(r"\s*(?:" + "|".join(listed("patterns", "caption_labels")) + r")\s*\d+[.:]?", re.IGNORECASE)


def paper_heading(key: str) -> re.Pattern[str]:
    """A whole line naming a paper's section ([papers] `key`: section_names, reference_headings), any language."""
    return _paper_heading(key)


@cache
def _paper_heading(key: str) -> re.Pattern[str]:
    found = [p for p in listed("papers", key) if p]
    return re.compile("^(" + "|".join(found) + ")$", re.IGNORECASE) if found else re.compile(r"(?!)")


ANSWER_LANGS = frozenset(lang.code for lang in languages() if lang.table("messages"))


def text_for(lang: str, key: str, table: str = "messages", **values: object) -> str:
    """The interface message `key` of `table` ([messages]: answers and digests; [room]: the reading room's
    pages) in `lang` (English when that language lacks it), formatted."""
    found = language(lang)
    template = found.table(table).get(key) if found else None
    if template is None:
        english = language("en")
        template = english.table(table)[key] if english else key
    return str(template).format(**values)


def language_name(code: str) -> str:
    """The language's English name ("French"), the code itself when Veille has no file for it."""
    found = language(code)
    return found.name if found else code


def typography(lang: str, key: str) -> str:
    """How `lang` sets a colon or a quotation mark (English's way when it says nothing)."""
    for code in (lang, "en"):
        found = language(code)
        if found and key in found.table("typography"):
            return str(found.table("typography")[key])
    return {"colon": ":", "open_quote": "“", "close_quote": "”"}[key]
