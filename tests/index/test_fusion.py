"""Hybrid fusion: score normalisation, weighting, and per-document depth."""

from __future__ import annotations

from typing import Any

import pytest

from veille.index.fusion import FIRST_DEPTH, STATS_DEPTH, best_per_doc, fuse, hybrid_query, normalise
from veille.index.hits import SearchFilters
from veille.index.records import EmbedderInfo, Point
from veille.index.stores.in_memory import MemoryStore


def _ranked(*rows: tuple[float, str]) -> list[tuple[float, dict[str, Any]]]:
    return [(score, {"chunk_id": cid, "doc_id": cid.split("-")[0]}) for score, cid in rows]


def test_normalise_uses_mean_and_spread_and_floors_at_zero() -> None:
    assert normalise(_ranked((0.9, "a"))) == [0.5]
    assert normalise(_ranked((2.0, "a"), (2.0, "b"))) == [0.5, 0.5]
    top = normalise(_ranked((3.0, "a"), (1.0, "b")))  # mean 2, sd sqrt(2): (s - 2 + 3 sd) / 6 sd
    assert top == pytest.approx([0.5 + 1 / (6 * 2 ** 0.5), 0.5 - 1 / (6 * 2 ** 0.5)])
    tail = normalise(_ranked(*((1.0 - i / 1000, f"d{i}") for i in range(STATS_DEPTH)), (-50.0, "far")))
    assert tail[-1] == 0.0 and all(0 < v < 1 for v in tail[:-1])


def test_fuse_adds_weighted_scores_per_chunk() -> None:
    dense = _ranked((0.90, "a-0"), (0.89, "b-0"), (0.88, "c-0"), *((0.6 - i / 100, f"o{i}-0") for i in range(7)))
    sparse = _ranked((12.0, "c-0"), (3.0, "b-0"), (2.5, "a-0"), (2.0, "o1-0"))
    both = fuse(dense, sparse, 1.0)
    assert [p["chunk_id"] for _, p in both][:3] == ["c-0", "b-0", "a-0"]  # keywords break the near tie
    assert [p["chunk_id"] for _, p in fuse(dense, sparse, 0.0)][:3] == ["a-0", "b-0", "c-0"]
    only_dense = fuse(dense, [], 1.0)
    assert [s for s, _ in only_dense] == normalise(dense)


def test_stats_come_from_the_top_so_deeper_searches_keep_the_same_leaders() -> None:
    dense = _ranked(*((1.0 - i / 200, f"d{i}-0") for i in range(400)))
    sparse = _ranked(*((30.0 - i / 20, f"d{(i * 7) % 400}-0") for i in range(400)))
    shallow = fuse(dense[:FIRST_DEPTH], sparse[:FIRST_DEPTH], 1.0)[:5]
    deep = fuse(dense, sparse, 1.0)[:5]
    assert [p["chunk_id"] for _, p in shallow] == [p["chunk_id"] for _, p in deep]


def test_best_per_doc_keeps_the_first_chunk_of_each_document() -> None:
    ranked = _ranked((3.0, "a-1"), (2.5, "a-0"), (2.0, "b-0"), (1.0, "a-2"))
    assert [p["chunk_id"] for _, p in best_per_doc(ranked)] == ["a-1", "b-0"]


def test_per_doc_search_goes_deeper_until_it_has_enough_documents() -> None:
    store = MemoryStore()
    store.open(EmbedderInfo(model="m", dim=2, runtime="fake"))
    long_doc = [Point(chunk_id=f"long-{i}", dense=[1.0, 0.001 * i], sparse_indices=[1], sparse_values=[1.0],
                      payload={"doc_id": "long", "chunk_id": f"long-{i}", "lang": "en"}) for i in range(120)]
    others = [Point(chunk_id=f"{d}-0", dense=[0.2, 1.0], sparse_indices=[2], sparse_values=[1.0],
                    payload={"doc_id": d, "chunk_id": f"{d}-0", "lang": "en"}) for d in ("x", "y")]
    store.upsert(long_doc + others)
    depths: list[int] = []
    query = store.query

    def counted(*args: Any, **kwargs: Any) -> list[tuple[float, dict[str, Any]]]:
        rows = query(*args, **kwargs)
        if args[2] == "dense":
            depths.append(len(rows))
        return rows

    store.query = counted  # type: ignore[method-assign]
    docs = hybrid_query(store, [1.0, 0.0], ([1], [1.0]), limit=3, filters=SearchFilters(), per_doc=True,
                        weigh=lambda probed: 1.0)
    assert docs[0][1]["doc_id"] == "long" and {p["doc_id"] for _, p in docs} == {"long", "x", "y"}
    assert depths == [FIRST_DEPTH, 122]  # 50 chunks were all the long document's; the next round has them all
    assert all(p["lang"] == "en" for _, p in docs)  # whole payloads back, though candidates came with doc_id only
