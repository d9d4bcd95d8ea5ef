"""Query → Hits: dense, sparse or hybrid search with filters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np
from pydantic import BaseModel, Field

from veille.errors import QueryError
from veille.index.embedding.embedder import Embedder
from veille.index.fusion import hybrid_query
from veille.index.hits import Hit, SearchFilters, SearchMode
from veille.index.keywords import encode_query
from veille.index.language_means import LanguageMeans
from veille.index.stores.base import Store
from veille.ingest.language import UNDETERMINED, detect_language

MAX_K = 1000
QUERY_MIN_LETTERS = 8  # "I hate her hat." is short but clearly English


class RetrievalSettings(BaseModel):
    """How a search fuses its two sides and reaches across languages (VEILLE_RETRIEVAL__<FIELD>)."""

    sparse_weight: float = Field(default=1.0, ge=0, description="Weight of the normalised keyword scores against "
                                 "the normalised dense ones, before the language probe scales it "
                                 "(benchmarks/fusion_sweep.py).")
    language_probe: int = Field(default=10, ge=1, description="Dense passages looked at to weigh the keyword side: "
                                "keywords only meet passages in the query's language.")
    language_shift: float = Field(default=0.5, ge=0, le=1, description="Share of its language's mean vector taken "
                                  "from a query, times the share of the archive in other languages, so that a "
                                  "topic reaches documents in every language (index.language_means).")
    language_sure: float = Field(default=0.95, ge=0, le=1, description="Probability a query's language needs before "
                                 "the query is shifted: a topic in words two languages share stays as it is.")
    language_min_chunks: int = Field(default=10, ge=1, description="Chunks a language needs in the archive before "
                                     "its mean shifts queries: the mean of fewer says what they are about.")


RETRIEVAL = RetrievalSettings()  # the defaults, for callers that are given none
SPARSE_WEIGHT = RETRIEVAL.sparse_weight


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
               text=p.get("text", ""), role=p.get("role", "body"), position=p.get("position", 0),
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
                   filters: SearchFilters, per_doc: bool, sparse_weight: float | None = None,
                   cfg: RetrievalSettings = RETRIEVAL, keywords: str | None = None) -> list[Hit]:
    """Search with an already-embedded query (`sparse_weight`: the keyword side's weight in hybrid
    fusion before the language probe scales it, `cfg`'s by default; `keywords`: the text the keyword side
    reads, the query's by default)."""
    vector = dense.tolist() if dense is not None else None
    sparse = encode_query(keywords or query) if mode != "dense" else None
    weight = cfg.sparse_weight if sparse_weight is None else sparse_weight
    if mode == "hybrid" and vector is not None and sparse and sparse[0]:
        query_lang = detect_language(query, min_letters=QUERY_MIN_LETTERS)

        def weigh(dense_ranked: list[tuple[float, dict[str, Any]]]) -> float:
            langs = [p.get("lang", UNDETERMINED) for _, p in dense_ranked[:cfg.language_probe]]
            return keyword_weight(query_lang, langs, weight)

        rows = hybrid_query(store, vector, sparse, limit=k, filters=filters, per_doc=per_doc, weigh=weigh,
                            probe=cfg.language_probe)
    else:  # a hybrid query without a single keyword (stop words only) is a dense search
        rows = store.query(vector, sparse, "sparse" if mode == "sparse" else "dense", k, filters, per_doc)
    return [hit_from_payload(i + 1, score, payload) for i, (score, payload) in enumerate(rows)]


def search(query: str, *, embedder: Embedder, store: Store, k: int = 10, mode: SearchMode = "hybrid",
           filters: SearchFilters | None = None, per_doc: bool = False, means: LanguageMeans | None = None,
           cfg: RetrievalSettings = RETRIEVAL, variants: Sequence[str] = ()) -> list[Hit]:
    """The k best passages for a query (`means`: the archive's language means, to shift the query by;
    `variants`: the query in other words, from the glossary, searched with it: the mean of their vectors on
    the dense side, their terms together on the keyword side)."""
    text = validate(query, k)
    dense = _dense(embedder.embed_queries([text, *variants])) if mode != "sparse" else None
    return search_vectors(text, _shifted(text, dense, means, cfg), store=store, k=k, mode=mode,
                          filters=filters or SearchFilters(), per_doc=per_doc, cfg=cfg,
                          keywords=" ".join([text, *variants]) if variants else None)


def query_vectors(text: str, embedder: Embedder, means: LanguageMeans | None = None,
                  cfg: RetrievalSettings = RETRIEVAL, variants: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(the query's vector, the same steered towards the rest of the archive): the first says how close the
    archive comes to the query, the second ranks it across languages (see `search`)."""
    raw = _dense(embedder.embed_queries([text, *variants]))
    return raw, _shifted(text, raw, means, cfg)


def _dense(vectors: np.ndarray) -> np.ndarray:
    """One query vector from a query and its variants: their normalised mean."""
    mean = vectors.mean(axis=0)
    return (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32) if len(vectors) > 1 else vectors[0]


@overload
def _shifted(text: str, dense: np.ndarray, means: LanguageMeans | None, cfg: RetrievalSettings) -> np.ndarray: ...


@overload
def _shifted(text: str, dense: None, means: LanguageMeans | None, cfg: RetrievalSettings) -> None: ...


def _shifted(text: str, dense: np.ndarray | None, means: LanguageMeans | None,
             cfg: RetrievalSettings) -> np.ndarray | None:
    """The query vector steered away from its language's mean (index.language_means)."""
    if dense is None or means is None:
        return dense
    lang = detect_language(text, min_letters=QUERY_MIN_LETTERS, sure=cfg.language_sure)
    return means.shifted(dense, lang, cfg.language_shift, cfg.language_min_chunks)


def search_many(queries: Sequence[str], *, embedder: Embedder, store: Store, k: int = 10,
                mode: SearchMode = "hybrid", filters: SearchFilters | None = None,
                per_doc: bool = False, batch_size: int = 64, means: LanguageMeans | None = None,
                cfg: RetrievalSettings = RETRIEVAL,
                variants: Callable[[str], Sequence[str]] | None = None) -> list[list[Hit]]:
    """Search many queries, embedding them in batches (`means`, `variants`: as for `search`)."""
    texts = [validate(q, k) for q in queries]
    more = [list(variants(q)) if variants else [] for q in texts]
    out: list[list[Hit]] = []
    for start in range(0, len(texts), batch_size):
        part, extra = texts[start:start + batch_size], more[start:start + batch_size]
        dense: list[np.ndarray | None] = [None] * len(part)
        if mode != "sparse":
            vecs = embedder.embed_queries([t for q, e in zip(part, extra, strict=True) for t in (q, *e)])
            bounds = np.cumsum([0] + [1 + len(e) for e in extra])
            dense = [_dense(vecs[bounds[i]:bounds[i + 1]]) for i in range(len(part))]
        out.extend(search_vectors(q, _shifted(q, d, means, cfg), store=store, k=k, mode=mode,
                                  filters=filters or SearchFilters(), per_doc=per_doc, cfg=cfg,
                                  keywords=" ".join([q, *e]) if e else None)
                   for q, d, e in zip(part, dense, extra, strict=True))
    return out
