"""What each block of a document is to a reader: its body, its bibliography, or front matter.

Reference lists are dense with names and years and sit close to everything in embedding space, so they
crowd out the passages a topic is about; author lists, affiliations, e-mails, acknowledgements, footnote
marks and a saved page's navigation and bylines say nothing about the subject either. They are told
apart here, by the shape of their text and by where they sit (the page-1 block between the title and
the first section, a section headed "References" or "Acknowledgements"), and kept with that role: out
of the default search, answers and digests, searchable on request. The words involved (affiliations,
navigation, bylines) are each language's (veille/languages).
"""

from __future__ import annotations

import re
from functools import cache

from veille.ingest.documents import Block, Role
from veille.languages import common, listed, paper_heading, words

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d[a-z]?(?!\d)")
# what only a bibliography entry writes besides its venue (each language's venue_words): pages, a DOI or
# URL, an arXiv id, "et al." in a list, "… Bengio. 2014. Title" (ACL style)
_ENTRY_MARKS = (r"\b(?:abs/\d|doi|URL|https?://|pp\.\s*\d|Vol\.|[Pp]ages?\s+\d+\s*[–-]\s*\d+)|"
                r"\bet al\.?,? (?:19|20)\d\d\.|\b\d+\s?:\s?\d+\s?[–-]\s?\d+|,\s\d+\(\d+\)|"
                r"\.\s(?:19|20)\d\d[a-z]?\.(?:\s|$)")
# "Lewis, P., Perez, E." or "P. Lewis, E. Perez, and" or "[12]" opening a line
_AUTHORS = re.compile(r"(?:[A-Z][\w'’-]+,\s(?:[A-Z]\.\s?){1,3}(?:,|\sand\s|&)\s?){2,}|"
                      r"(?:(?:[A-Z]\.\s?){1,3}[A-Z][\w'’-]+,\s){2,}|^\s*\[\d{1,3}\]\s")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\{[\w.,\s-]+\}@")
_MARK = re.compile(r"^\s*[†‡∗*§¶]+")
_WORD = re.compile(r"[^\W\d_]{2,}")
# a sentence's end: a word (not an initial, as in "J. Smith") closed by a full stop
_SENTENCE_END = re.compile(r"[^\W\d_A-Z]{2}[.!?](?:\s|$)|[。！？]")
# a numbered section heading the parser read as a paragraph ("1 Introduction", "2.1 Setup")
_NUMBERED = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*\.?\s+[^\W\d_][^\n]{0,60}$")
_THANKS_BLOCKS = 3  # the heading and the paragraphs an acknowledgements section takes


@cache
def _any(key: str) -> re.Pattern[str]:
    found = listed("patterns", key)
    return re.compile("|".join(f"(?:{p})" for p in found) or r"(?!)", re.IGNORECASE)


@cache
def _venue() -> re.Pattern[str]:
    """A venue (any language's venue_words) or another mark only a bibliography entry carries."""
    names = "|".join(f"(?:{p})" for p in listed("patterns", "venue_words"))
    return re.compile(rf"\b(?:{names})|{_ENTRY_MARKS}" if names else _ENTRY_MARKS, re.IGNORECASE)


@cache
def _navigation() -> re.Pattern[str]:
    """A line that opens with navigation ("Retour", "Article précédent …", "Skip to content")."""
    found = listed("patterns", "navigation_lines")
    return re.compile(r"^(?:\W*(?:" + "|".join(f"(?:{p})" for p in found) + r"))+(?:\W|$)" if found else r"(?!)",
                      re.IGNORECASE)


def prose(text: str) -> bool:
    """Running sentences: enough words, and at least one sentence closed."""
    return len(_WORD.findall(text)) >= 25 and _SENTENCE_END.search(text) is not None


def reference_entry(text: str) -> bool:
    """A block shaped like bibliography entries: a year, and a venue or a list of authors."""
    return _YEAR.search(text) is not None and (_venue().search(text) is not None or _AUTHORS.search(text) is not None)


def front_matter_line(text: str) -> bool:
    """An e-mail, a footnote mark ("†Work done while at…", "∗Equal contribution"), an affiliation, a byline
    or a navigation line: what surrounds a text rather than says something."""
    short = len(_WORD.findall(text)) <= 40
    return bool(_EMAIL.search(text)) or (short and (
        (_MARK.search(text) is not None and (_any("footnote_markers").search(text) is not None or len(text) < 120))
        or _any("footnote_markers").search(text) is not None
        or (_any("affiliation_words").search(text) is not None and not prose(text))
        or (_any("byline_markers").search(text) is not None and len(_WORD.findall(text)) <= 15)
        or (_navigation().match(text) is not None and len(_WORD.findall(text)) <= 20)))


def names_institutions(text: str, at_least: int = 2) -> bool:
    """The text names `at_least` institutions ("Une équipe de l'Université de … et de l'Institut …"): a
    sentence about who did the work, whatever else it says."""
    return len(_any("affiliation_words").findall(text)) >= at_least


@cache
def _particles() -> frozenset[str]:
    """Lower-case words that sit between names in an author list, every language's."""
    shared = str(common().get("words", {}).get("name_particles", "")).split()
    return frozenset(words("name_particles")) | frozenset(shared)


def _author_list(text: str) -> bool:
    """Names separated by commas, with footnote marks or numbers, and hardly any lower-case word."""
    tokens = text.split()
    lower = sum(w[:1].islower() and w not in _particles() for w in tokens)
    return len(tokens) >= 2 and "," in text and lower <= max(1, len(tokens) // 10) and not _SENTENCE_END.search(text)


def paper_roles(blocks: list[Block]) -> list[Block]:
    """The blocks of a parsed paper, each with its role.

    References: a block of a bibliography section shaped like entries, or one shaped like several entries
    anywhere (an undetected "References" heading); an appendix after the bibliography stays body. Front
    matter: the page-1 blocks between the title and the text's first heading or paragraph (authors,
    affiliations, e-mails), an acknowledgements section, and footnote marks, e-mails and affiliations
    anywhere."""
    out: list[Block] = []
    thanks: list[int | None] = []  # the page of an acknowledgements heading, and the blocks read under it
    opened = False  # the title page's front matter ends where the text opens: its first paragraph or heading
    for i, block in enumerate(blocks):
        if block.kind == "heading" and block.section:
            heading = paper_heading("acknowledgement_headings").match(block.section[-1].strip())
            thanks = [block.page] if heading else []
        # thanks take a paragraph or two on the heading's page; a figure or an appendix after them, whose
        # heading went unnoticed, is body again
        within = bool(thanks) and block.page == thanks[0] and len(thanks) <= _THANKS_BLOCKS
        thanks += [block.page] if thanks else []
        opened = opened or (i > 0 and (bool(block.section) or prose(block.text) or _numbered_heading(block.text)))
        out.append(block.model_copy(update={"role": _paper_role(block, within, i == 0 or opened)}))
    return out


def _numbered_heading(text: str) -> bool:
    """A numbered section heading the parser read as a paragraph ("1 Introduction"), not a numbered
    affiliation ("1 Stanford University")."""
    return _NUMBERED.match(text) is not None and not front_matter_line(text)


def _paper_role(block: Block, thanks: bool, opened: bool) -> Role:
    text = block.text
    if block.kind != "heading" and (
            (block.references and (reference_entry(text) or not prose(text)))
            or (len(_YEAR.findall(text)) >= 2 and reference_entry(text) and not prose(text))):
        return "references"
    if block.references and block.kind == "heading" and paper_heading("reference_headings").match(text.strip()):
        return "references"
    if thanks or front_matter_line(text):
        return "front_matter"
    title_page = block.page == 1 and not block.section and block.kind != "heading" and not opened
    if title_page and not prose(text) and (_author_list(text) or len(_WORD.findall(text)) < 25):
        return "front_matter"
    return "body"


def note_roles(blocks: list[Block]) -> list[Block]:
    """The blocks of a note or a web page with their roles: short navigation lines and bylines are front
    matter; the rest is body (a note's own reference list is the reader's, and stays body)."""
    return [b.model_copy(update={"role": "front_matter"}) if b.kind != "heading" and front_matter_line(b.text)
            and not prose(b.text) else b for b in blocks]
