"""Hybrid search: the dense and the keyword ranking of one query merged into one ranking.

Scores, not ranks, are fused (distribution-based score fusion, as Qdrant's DBSF): each ranking's
scores are rescaled by their own mean and spread, then added, the keyword side weighted. This is
written here rather than left to Qdrant's query API for two reasons: Qdrant's DBSF takes no
weights, and it takes its statistics from however deep the prefetch went, so the same query's top
hits would move with k. Rank fusion (Qdrant's weighted RRF, used before) ignores how far the best
passage stands above the next ones; on korquad-ko it fell below BM25 alone (BENCHMARKS.md).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from veille.index.hits import SearchFilters
from veille.index.stores.base import Store

Ranked = list[tuple[float, dict[str, Any]]]

STATS_DEPTH = 50  # scores the mean and spread come from: fixed, so the top hits do not depend on k
FIRST_DEPTH = 50  # candidates fetched from each side at first (at least 4 x k)
MAX_DEPTH = 12_800  # per-document search deepens until it has k documents, up to this many chunks


def normalise(ranked: Ranked) -> list[float]:
    """Each score as (score - (mean - 3 sd)) / 6 sd over the top STATS_DEPTH scores, floored at 0
    so that being in a ranking never costs a passage more than being absent from it."""
    scores = [s for s, _ in ranked]
    top = scores[:STATS_DEPTH]
    spread = statistics.stdev(top) if len(top) > 1 else 0.0
    if spread == 0:
        return [0.5] * len(scores)  # one candidate or all equal: no scale to read, Qdrant's choice too
    low = statistics.fmean(top) - 3 * spread
    return [max(0.0, (s - low) / (6 * spread)) for s in scores]


def fuse(dense: Ranked, sparse: Ranked, sparse_weight: float) -> Ranked:
    """One ranking of chunks from both: normalised dense score + sparse_weight x normalised keyword score."""
    fused: dict[str, tuple[float, dict[str, Any]]] = {}
    for weight, ranked in ((1.0, dense), (sparse_weight, sparse)):
        for norm, (_, payload) in zip(normalise(ranked), ranked, strict=True):
            before = fused.get(payload["chunk_id"], (0.0, payload))[0]
            fused[payload["chunk_id"]] = (before + weight * norm, payload)
    return sorted(fused.values(), key=lambda row: -row[0])


def best_per_doc(ranked: Ranked) -> Ranked:
    """Only the best chunk of each document, in ranking order."""
    seen: set[str] = set()
    out = []
    for score, payload in ranked:
        if payload["doc_id"] not in seen:
            seen.add(payload["doc_id"])
            out.append((score, payload))
    return out


def hybrid_query(store: Store, dense: list[float], sparse: tuple[list[int], list[float]], *, limit: int,
                 filters: SearchFilters, per_doc: bool, weigh: Callable[[Ranked], float], probe: int = 10) -> Ranked:
    """The `limit` best chunks (or documents) by fused score.

    `weigh` gives the keyword side's weight from the `probe` best dense chunks (index.retrieval looks
    at their languages); at 0 the keyword search is skipped. Each side is asked for at least 4 x limit
    chunks; with per_doc, long documents can fill those with their own chunks, so the search goes
    deeper until it has `limit` documents. Candidates come without their payloads (reading ~2 KB of
    payload per candidate was most of a search's time); only the chunks returned or probed are read whole.
    """
    depth = max(limit * 4, FIRST_DEPTH)
    fields = ("doc_id",) if per_doc else ()
    while True:
        dense_ranked = store.query(dense, None, "dense", depth, filters, False, fields)
        weight = weigh(whole(store, dense_ranked[:probe]))
        sparse_ranked = store.query(None, sparse, "sparse", depth, filters, False, fields) if weight > 0 else []
        ranked = fuse(dense_ranked, sparse_ranked, weight)
        if per_doc:
            ranked = best_per_doc(ranked)
        exhausted = len(dense_ranked) < depth and len(sparse_ranked) < depth
        if len(ranked) >= limit or exhausted or depth >= MAX_DEPTH:
            return whole(store, ranked[:limit])
        depth *= 4


def whole(store: Store, ranked: Ranked) -> Ranked:
    """The same ranking with each chunk's whole payload (chunks deleted meanwhile dropped)."""
    found = store.payloads([payload["chunk_id"] for _, payload in ranked])
    return [(score, found[payload["chunk_id"]]) for score, payload in ranked if payload["chunk_id"] in found]
