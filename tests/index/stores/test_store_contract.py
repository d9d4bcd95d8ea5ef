"""The same contract for every Store implementation: Qdrant Edge (the embedded default), qdrant-client's
local folder and in-memory modes (the server's code path), and the unit tests' fake."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from veille.errors import StoreError
from veille.index.fusion import hybrid_query
from veille.index.hits import SearchFilters
from veille.index.records import DocRecord, EmbedderInfo, Point
from veille.index.stores.base import Store
from veille.index.stores.edge import EdgeStore
from veille.index.stores.in_memory import MemoryStore
from veille.index.stores.qdrant_server import QdrantStore

INFO = EmbedderInfo(model="m", dim=3, runtime="fake")


@pytest.fixture(params=["edge", "qdrant-local", "qdrant-memory", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store
    if request.param == "edge":
        s = EdgeStore(tmp_path / "e")
    elif request.param == "qdrant-local":
        s = QdrantStore(path=tmp_path / "q")
    elif request.param == "qdrant-memory":
        s = QdrantStore()
    else:
        s = MemoryStore()
    s.open(INFO)
    yield s
    s.close()


def _point(cid: str, doc: str, dense: list[float], terms: list[int], **payload: object) -> Point:
    base = {"doc_id": doc, "chunk_id": cid, "position": int(cid[-1]), "text": f"text {cid}", "lang": "en",
            "kind": "paper", "categories": [], "references": False, "date_ts": None}
    return Point(chunk_id=cid, dense=dense, sparse_indices=terms, sparse_values=[1.0] * len(terms),
                 payload=base | payload)


def _uuid(n: int) -> str:
    return f"00000000-0000-0000-0000-00000000000{n}"


def _fill(store: Store) -> None:
    store.upsert([
        _point(_uuid(1), "a", [1, 0, 0], [10, 11], lang="en", categories=["cs.CL"],
               date_ts=datetime(2024, 1, 1, tzinfo=UTC).timestamp()),
        _point(_uuid(2), "a", [0.9, 0.1, 0], [11], lang="en"),
        _point(_uuid(3), "b", [0, 1, 0], [12], lang="fr", kind="note",
               date_ts=datetime(2025, 6, 1, tzinfo=UTC).timestamp()),
        _point(_uuid(4), "c", [0, 0, 1], [10, 13], lang="ko", kind="note"),
    ])


def test_dense_sparse_hybrid(store: Store) -> None:
    _fill(store)
    f = SearchFilters()
    dense = [(p["chunk_id"]) for _, p in store.query([1, 0, 0], None, "dense", 2, f, False)]
    assert dense == [_uuid(1), _uuid(2)]
    sparse = [p["chunk_id"] for _, p in store.query(None, ([13], [1.0]), "sparse", 5, f, False)]
    assert sparse == [_uuid(4)]
    fused = hybrid_query(store, [0, 0.2, 1], ([10], [1.0]), limit=4, filters=f, per_doc=False, weigh=lambda _: 1.0)
    assert fused[0][1]["chunk_id"] == _uuid(4)  # best in both rankings
    per_doc = hybrid_query(store, [1, 0.1, 0], ([11], [1.0]), limit=3, filters=f, per_doc=True, weigh=lambda _: 1.0)
    assert [p["doc_id"] for _, p in per_doc] == ["a", "b", "c"]
    assert store.query(None, ([999], [1.0]), "sparse", 5, f, False) == []


def test_candidates_without_payloads_then_whole_ones(store: Store) -> None:
    _fill(store)
    f = SearchFilters()
    bare = store.query([1, 0, 0], None, "dense", 2, f, False, ())
    assert [p for _, p in bare] == [{"chunk_id": _uuid(1)}, {"chunk_id": _uuid(2)}]
    some = store.query(None, ([10], [1.0]), "sparse", 5, f, False, ["lang"])
    assert {tuple(sorted(p)) for _, p in some} == {("chunk_id", "lang")}
    grouped = store.query([1, 0, 0], None, "dense", 3, f, True, ())
    ids = [p["doc_id"] for _, p in grouped]  # per document needs the doc id: it comes along
    assert ids[0] == "a" and sorted(ids) == ["a", "b", "c"]
    whole = store.payloads([_uuid(3), _uuid(1), _uuid(9)])
    assert set(whole) == {_uuid(1), _uuid(3)} and whole[_uuid(3)]["kind"] == "note"
    assert whole[_uuid(1)] == store.query([1, 0, 0], None, "dense", 1, f, False)[0][1]
    assert store.payloads([]) == {}
    fused = hybrid_query(store, [0, 0.2, 1], ([10], [1.0]), limit=2, filters=f, per_doc=False, weigh=lambda _: 1.0)
    assert len(fused) == 2 and all(p == store.payloads([p["chunk_id"]])[p["chunk_id"]] and "kind" in p
                                   for _, p in fused)


def test_the_generation_moves_with_every_write_where_results_may_be_kept(store: Store) -> None:
    if isinstance(store, QdrantStore):  # a server may be written by other processes too
        assert store.generation is None
        return
    seen = [store.generation]
    _fill(store)
    seen.append(store.generation)
    store.put_doc(DocRecord(doc_id="a", title="A", source="/a", lang="en", kind="paper", chunks=2,
                            ingested_at=datetime.now(UTC)))
    seen.append(store.generation)
    store.delete_chunks("a", {_uuid(1)})
    seen.append(store.generation)
    store.delete_doc("c")
    seen.append(store.generation)
    store.set_info(INFO)
    seen.append(store.generation)
    assert all(isinstance(g, int) for g in seen) and len(set(seen)) == len(seen)
    store.query([1, 0, 0], None, "dense", 2, SearchFilters(), False)
    store.payloads([_uuid(1)])
    assert store.generation == seen[-1]  # reads change nothing


def test_filters_and_per_doc(store: Store) -> None:
    _fill(store)
    q = [1.0, 1.0, 1.0]
    by_lang = {p["lang"] for _, p in store.query(q, None, "dense", 10, SearchFilters(lang=["fr", "ko"]), False)}
    assert by_lang == {"fr", "ko"}
    notes = {p["doc_id"] for _, p in store.query(q, None, "dense", 10, SearchFilters(kind=["note"]), False)}
    assert notes == {"b", "c"}
    cat = [p["doc_id"] for _, p in store.query(q, None, "dense", 10, SearchFilters(category=["cs.CL"]), False)]
    assert cat == ["a"]
    recent = SearchFilters(date_from=datetime(2025, 1, 1, tzinfo=UTC))
    assert [p["doc_id"] for _, p in store.query(q, None, "dense", 10, recent, False)] == ["b"]
    only_a = SearchFilters(doc_id=["a"])
    assert {p["doc_id"] for _, p in store.query(q, None, "dense", 10, only_a, False)} == {"a"}
    per_doc = [p["doc_id"] for _, p in store.query([1, 0, 0], None, "dense", 10, SearchFilters(), True)]
    assert sorted(per_doc) == ["a", "b", "c"] and per_doc[0] == "a"


def test_records_delete_and_count(store: Store) -> None:
    _fill(store)
    now = datetime.now(UTC)
    store.put_doc(DocRecord(doc_id="a", title="A", source="/x/a.pdf", lang="en", kind="paper", chunks=2,
                            ingested_at=now, chunk_ids=[_uuid(1), _uuid(2)], glossary=[("지식 증류", "distillation")],
                            vector_sums={"en": [1.9, 0.1, 0.0]}, vector_counts={"en": 2}))
    got = store.get_doc("a")
    assert got is not None and got.chunk_ids == [_uuid(1), _uuid(2)] and got.title == "A"
    assert got.glossary == [("지식 증류", "distillation")]  # what the language means and the glossary are made of
    assert got.vector_sums == {"en": [1.9, 0.1, 0.0]} and got.vector_counts == {"en": 2}
    assert "vector_sums" not in got.model_dump()  # kept by the store, not shown with the record
    assert [r.doc_id for r in store.docs()] == ["a"]
    assert [p["chunk_id"] for p in store.chunk_payloads("a")] == [_uuid(1), _uuid(2)]
    store.delete_chunks("a", keep={_uuid(1)})
    assert store.count() == 3
    store.delete_doc("a")
    assert store.get_doc("a") is None and store.count() == 2 and store.docs() == []


def test_incompatible_embedder_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="built with m"):
        store.open(EmbedderInfo(model="other", dim=8, runtime="x"))
    store.open(EmbedderInfo(model="m", dim=3, runtime="another-runtime"))  # same model: fine


def test_the_recorded_embedder_can_be_updated(store: Store) -> None:
    _fill(store)
    moved = INFO.model_copy(update={"runtime": "onnx-int8/w", "close_runtimes": ["x"]})
    store.set_info(moved)
    assert store.stored_info() == moved and store.count() == 4
    assert store.docs() == []  # the meta point is no document record


def test_exclude_references_filters_booleans(store: Store) -> None:
    _fill(store)
    store.upsert([_point(_uuid(5), "d", [1, 0, 0], [10], references=True)])
    q, everything = [1.0, 0.0, 0.0], SearchFilters()
    assert _uuid(5) in {p["chunk_id"] for _, p in store.query(q, None, "dense", 10, everything, False)}
    kept = {p["chunk_id"] for _, p in store.query(q, None, "dense", 10, SearchFilters(exclude_references=True), False)}
    assert kept == {_uuid(n) for n in (1, 2, 3, 4)}  # a boolean filter that silently matches nothing fails here


def test_sparse_scores_are_bm25_idf(store: Store) -> None:
    _fill(store)  # term 13 is in 1 of the 4 points: idf = ln(1 + (4 - 1 + 0.5) / (1 + 0.5))
    ((score, payload),) = store.query(None, ([13], [1.0]), "sparse", 5, SearchFilters(), False)
    assert payload["chunk_id"] == _uuid(4) and score == pytest.approx(math.log(1 + 3.5 / 1.5), rel=1e-4)


def test_vectors_round_trip(store: Store) -> None:
    _fill(store)
    exported = {p.chunk_id: p for p in store.export_points(batch=3)}
    assert set(exported) == {_uuid(n) for n in (1, 2, 3, 4)}
    assert exported[_uuid(1)].sparse_indices == [10, 11] and exported[_uuid(1)].sparse_values == [1.0, 1.0]
    assert exported[_uuid(3)].payload["lang"] == "fr"
    ((payload, dense), (_, second)) = store.chunk_vectors("a")
    assert payload["chunk_id"] == _uuid(1) and dense == pytest.approx([1, 0, 0]) and len(second) == 3


def test_per_doc_reaches_past_a_long_document(store: Store) -> None:
    long_doc = [_point(f"00000000-0000-0000-0000-0000000001{n:02d}", "long", [1, 0.01 * n, 0], [10])
                for n in range(40)]
    store.upsert([*long_doc, _point(_uuid(9), "short", [0.5, 1, 0], [10])])
    rows = store.query([1, 0, 0], None, "dense", 2, SearchFilters(), True)
    assert [p["doc_id"] for _, p in rows] == ["long", "short"]


@pytest.mark.parametrize("kind", ["edge", "qdrant-local"])
def test_embedded_store_lock_names_the_holder(tmp_path: Path, kind: str) -> None:
    def make() -> Store:
        return EdgeStore(tmp_path / "e") if kind == "edge" else QdrantStore(path=tmp_path / "q")
    first = make()
    try:
        with pytest.raises(StoreError, match=r"in use by process \d+.*VEILLE_QDRANT_URL"):
            make()
    finally:
        first.close()
    make().close()  # released


@pytest.mark.parametrize("kind", ["edge", "qdrant-local"])
def test_store_persists_across_reopen(tmp_path: Path, kind: str) -> None:
    def make() -> Store:
        return EdgeStore(tmp_path / "e") if kind == "edge" else QdrantStore(path=tmp_path / "q")
    s = make()
    s.open(INFO)
    _fill(s)
    s.close()
    again = make()
    assert again.stored_info() == INFO and again.count() == 4
    moved = INFO.model_copy(update={"runtime": "other", "close_runtimes": ["fake"], "reembedding": "next"})
    again.set_info(moved)
    again.close()
    third = make()
    assert third.stored_info() == moved and third.count() == 4
    third.close()


def test_roles_keep_the_bibliography_and_front_matter_out_unless_asked(store: Store) -> None:
    _fill(store)  # chunks without a role (stored before roles) count as body
    store.upsert([_point(_uuid(5), "d", [1, 0, 0], [10], role="references", references=True),
                  _point(_uuid(6), "d", [1, 0, 0], [10], role="front_matter"),
                  _point(_uuid(7), "d", [1, 0, 0], [10], role="body")])
    q = [1.0, 0.0, 0.0]

    def found(filters: SearchFilters, mode: str = "dense") -> set[str]:
        sparse = ([10], [1.0]) if mode != "dense" else None
        return {p["chunk_id"] for _, p in store.query(q if mode != "sparse" else None, sparse, mode,  # type: ignore[arg-type]
                                                      10, filters, False)}

    body = {_uuid(n) for n in (1, 2, 3, 4, 7)}
    assert found(SearchFilters()) == body
    assert found(SearchFilters(), "sparse") == {_uuid(n) for n in (1, 4, 7)}
    assert found(SearchFilters(roles=["references"])) == {_uuid(5)}
    assert found(SearchFilters(roles=["body", "front_matter"])) == body | {_uuid(6)}
    assert found(SearchFilters(roles=["references"], lang=["fr"])) == set()
    assert not SearchFilters().selective and SearchFilters(roles=["body"]).selective
