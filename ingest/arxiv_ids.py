"""Recognising arXiv identifiers in ids, file names, links and page text."""

from __future__ import annotations

import re

# New style (since 2007-04): YYMM.NNNN (to 2014) or YYMM.NNNNN, optional version.
_NEW = r"(?:\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})"
# Old style: archive(.SUBJECT)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD = r"(?:[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})"
_VERSION = r"(?:v\d+)?"
# Ids typed by a user are checked loosely (arXiv itself says whether 0000.0000 exists);
# ids found in file names and text must look like real ones (valid month).
_FULL = re.compile(rf"^(?:arxiv:)?(?P<id>\d{{4}}\.\d{{4,5}}|{_OLD})(?P<v>{_VERSION})$", re.IGNORECASE)
# In file names the old-style slash is usually replaced by '_' (hep-th_9901001v1.pdf).
_FILENAME = re.compile(
    rf"(?<![\d.])(?P<id>{_NEW}|[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{{2}})?[_/]\d{{7}})(?P<v>{_VERSION})(?![\d])"
)
_LINK = re.compile(
    rf"arxiv\.org/(?:abs|pdf|html)/(?P<id>{_NEW}|{_OLD})(?P<v>{_VERSION})", re.IGNORECASE
)
_STAMP = re.compile(rf"arXiv:(?P<id>{_NEW}|{_OLD})(?P<v>{_VERSION})", re.IGNORECASE)


def parse_arxiv_id(value: str) -> tuple[str, str | None] | None:
    """Split an id such as 'arXiv:1706.03762v5' into ('1706.03762', 'v5'); None if not an id."""
    m = _FULL.match(value.strip())
    if not m:
        return None
    return m.group("id"), (m.group("v") or None)


def is_arxiv_id(value: str) -> bool:
    """True if `value` is a new- or old-style arXiv id, with or without version."""
    return parse_arxiv_id(value) is not None


def arxiv_id_from_filename(name: str) -> str | None:
    """The arXiv id (no version) in a file name like '1706.03762v5.pdf' or 'hep-th_9901001.pdf'."""
    m = _FILENAME.search(name)
    return m.group("id").replace("_", "/") if m else None


def arxiv_stamp(text: str) -> tuple[str, str | None] | None:
    """The id in arXiv's page-1 margin stamp ('arXiv:1706.03762v5 [cs.CL] 6 Dec 2017')."""
    m = _STAMP.search(text)
    return (m.group("id"), m.group("v") or None) if m else None


def arxiv_ids_in_text(text: str) -> list[str]:
    """Every arXiv id linked or cited as 'arXiv:ID' in `text`, without versions, in order."""
    seen: dict[str, None] = {}
    for rx in (_LINK, _STAMP):
        for m in rx.finditer(text):
            seen.setdefault(m.group("id"), None)
    return list(seen)
