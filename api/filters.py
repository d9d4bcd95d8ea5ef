"""Validation of search filters against what the knowledge base holds."""

from __future__ import annotations

from collections.abc import Callable

from veille.errors import QueryError
from veille.index.hits import SearchFilters
from veille.index.records import DocRecord
from veille.ingest.documents import ROLES

KINDS = {"paper", "note", "record"}


def check_filters(filters: SearchFilters, docs: Callable[[], list[DocRecord]]) -> SearchFilters:
    """Reject filter values that cannot match (a typo should not silently return nothing)."""
    if filters.kind and not set(filters.kind) <= KINDS:
        bad = sorted(set(filters.kind) - KINDS)
        raise QueryError(f"unknown source type {bad}; expected one of {sorted(KINDS)}", source="kind")
    if filters.lang:
        bad = [x for x in filters.lang if len(x) != 2 or not x.isalpha() or not x.islower()]
        if bad:
            raise QueryError(f"unknown language {bad}; use ISO 639-1 codes such as en, fr, ko",
                             source="lang")
    if filters.doc_id:
        known = {d.doc_id for d in docs()}  # fetched only here: searches without doc filters stay cheap
        missing = [x for x in filters.doc_id if x not in known]
        if missing:
            raise QueryError(f"no such document {missing}", source="doc_id")
    if filters.roles is not None and (not filters.roles or not set(filters.roles) <= set(ROLES)):
        bad = sorted(set(filters.roles) - set(ROLES))
        raise QueryError(f"unknown chunk role {bad}; expected some of {list(ROLES)}", source="roles")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise QueryError("date_from is after date_to", source="date")
    return filters
