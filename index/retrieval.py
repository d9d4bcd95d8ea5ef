"""Query → Hits: dense, sparse or hybrid search with filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from veille.errors import QueryError
from veille.index.embedding.embedder import Embedder
from veille.index.fusion import hybrid_query
from veille.index.hits import Hit, SearchFilters, SearchMode
from veille.index.keywords import encode_query
from veille.index.stores.base import Store
from veille.ingest.language import UNDETERMINED, detect_language

MAX_K = 1000
# Weight of the normalised keyword scores against the normalised dense ones (index.fusion).
# Swept on scifact-en, piaf-fr and korquad-ko (benchmarks/fusion_sweep.py, BENCHMARKS.md): 0.5 and
# 1.0 tie on average, 1.0 has the largest smallest lead over the better single side. Questions in
# another language than the passages get less, through keyword_weight.
SPARSE_WEIGHT = 1.0
LANG_PROBE = 10  # dense passages looked at to decide the keyword weight
QUERY_MIN_LETTERS = 8  # "I hate her hat." is short but clearly English


def validate(query: str, k: int) -> str:
    """The stripped query, or QueryError for an empty query or k out of range."""
    text = (query or "").strip()
    if not text:
        raise QueryError("empty query", source="query")
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}, got {k}", source="k")
    return text


def hit_from_payload(rank: int, score: float, p: dict[str, Any]) -> Hit:
    """The Hit a stored chunk payload describes."""
    return Hit(rank=rank, score=score, doc_id=p["doc_id"], chunk_id=p["chunk_id"], title=p.get("title", ""),
               source=p.get("source", ""), arxiv_id=p.get("arxiv_id"), lang=p.get("lang", "und"),
               page_start=p.get("page_start"), page_end=p.get("page_end"), section=p.get("section") or [],
               text=p.get("text", ""), position=p.get("position", 0),
               page_breaks=[tuple(b) for b in p.get("page_breaks") or []],
               sentences=[tuple(s) for s in p.get("sentences") or []])


def keyword_weight(query_lang: str, passage_langs: list[str], base: float = SPARSE_WEIGHT) -> float:
    """Weight of the keyword ranking for one query.

    Keywords only meet passages written in the query's language. When the best dense passages
    are in another language (an English question over French sentences), the keyword side can
    only match names and numbers at random, so its weight shrinks with the share of those
    passages that share the query's language.
    """
    known = [lang for lang in passage_langs if lang != UNDETERMINED]
    if query_lang == UNDETERMINED or not known:
        return base
    return base * sum(1 for lang in known if lang == query_lang) / len(known)


def search_vectors(query: str, dense: np.ndarray | None, *, store: Store, k: int, mode: SearchMode,
                   filters: SearchFilters, per_doc: bool, sparse_weight: float = SPARSE_WEIGHT) -> list[Hit]:
    """Search with an already-embedded query (`sparse_weight`: the keyword side's weight in hybrid
    fusion before the language probe scales it; benchmarks/fusion_sweep.py varies it)."""
    vector = dense.tolist() if dense is not None else None
    sparse = encode_query(query) if mode != "dense" else None
    if mode == "hybrid" and vector is not None and sparse and sparse[0]:
        query_lang = detect_language(query, min_letters=QUERY_MIN_LETTERS)

        def weigh(dense_ranked: list[tuple[float, dict[str, Any]]]) -> float:
            langs = [p.get("lang", UNDETERMINED) for _, p in dense_ranked[:LANG_PROBE]]
            return keyword_weight(query_lang, langs, sparse_weight)

        rows = hybrid_query(store, vector, sparse, limit=k, filters=filters, per_doc=per_doc, weigh=weigh,
                            probe=LANG_PROBE)
    else:  # a hybrid query without a single keyword (stop words only) is a dense search
        rows = store.query(vector, sparse, "sparse" if mode == "sparse" else "dense", k, filters, per_doc)
    return [hit_from_payload(i + 1, score, payload) for i, (score, payload) in enumerate(rows)]


def search(query: str, *, embedder: Embedder, store: Store, k: int = 10, mode: SearchMode = "hybrid",
           filters: SearchFilters | None = None, per_doc: bool = False) -> list[Hit]:
    """The k best passages for a query."""
    text = validate(query, k)
    dense = embedder.embed_queries([text])[0] if mode != "sparse" else None
    return search_vectors(text, dense, store=store, k=k, mode=mode, filters=filters or SearchFilters(),
                          per_doc=per_doc)


def search_many(queries: Sequence[str], *, embedder: Embedder, store: Store, k: int = 10,
                mode: SearchMode = "hybrid", filters: SearchFilters | None = None,
                per_doc: bool = False, batch_size: int = 64) -> list[list[Hit]]:
    """Search many queries, embedding them in batches."""
    texts = [validate(q, k) for q in queries]
    out: list[list[Hit]] = []
    for start in range(0, len(texts), batch_size):
        part = texts[start:start + batch_size]
        dense = embedder.embed_queries(part) if mode != "sparse" else [None] * len(part)
        out.extend(search_vectors(q, d, store=store, k=k, mode=mode, filters=filters or SearchFilters(),
                                  per_doc=per_doc) for q, d in zip(part, dense, strict=True))
    return out
