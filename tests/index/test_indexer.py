from __future__ import annotations

import contextlib

from veille.index.embedding.fake import FakeEmbedder
from veille.index.hits import SearchFilters
from veille.index.indexer import index_document
from veille.index.keywords import encode_document
from veille.index.records import EmbedderInfo, Point
from veille.index.retrieval import search
from veille.index.stores.in_memory import MemoryStore
from veille.ingest.chunking import CHUNKING_VERSION, ChunkingOptions, chunk_document
from veille.ingest.documents import Block, Document


def _doc(*paras: str, doc_id: str = "note:x") -> Document:
    return Document(doc_id=doc_id, kind="note", title="X", source="/notes/x.md", lang="en",
                    content_hash=str(hash(paras)), blocks=[Block(text=p) for p in paras])


def _setup() -> tuple[FakeEmbedder, MemoryStore]:
    emb, store = FakeEmbedder(), MemoryStore()
    store.open(EmbedderInfo(model=emb.model_id, dim=emb.dim, runtime=emb.runtime))
    return emb, store


OPTS = ChunkingOptions(target_tokens=16, min_tokens=1, overlap_tokens=0)


def test_reindexing_unchanged_embeds_nothing() -> None:
    emb, store = _setup()
    doc = _doc("Attention layers mix tokens together.", "Caches store keys and values.")
    chunks = chunk_document(doc, OPTS)
    assert index_document(doc, chunks, embedder=emb, store=store, cache=None) == "added"
    calls = emb.embedded
    assert index_document(doc, chunk_document(doc, OPTS), embedder=emb, store=store, cache=None) == "unchanged"
    assert emb.embedded == calls and store.count() == len(chunks)


def test_changed_document_replaces_its_chunks_and_embeds_only_new_ones() -> None:
    emb, store = _setup()
    old = _doc("Attention layers mix tokens together.", "Caches store keys and values.")
    index_document(old, chunk_document(old, OPTS), embedder=emb, store=store, cache=None)
    before = emb.embedded
    new = _doc("Attention layers mix tokens together.", "Quantization shrinks the cache to four bits.")
    chunks = chunk_document(new, OPTS)
    assert index_document(new, chunks, embedder=emb, store=store, cache=None) == "updated"
    assert emb.embedded - before == 1  # the first chunk kept its id and vector
    texts = [p["text"] for p in store.chunk_payloads("note:x")]
    assert texts == [c.text for c in chunks] and not any("Caches store" in t for t in texts)
    record = store.get_doc("note:x")
    assert record is not None and record.chunks == len(chunks)


def test_a_document_an_older_chunker_stored_is_stored_again_without_embedding() -> None:
    emb, store = _setup()
    doc = _doc("Attention layers mix tokens together. They weigh every pair.", "Caches store keys and values.")
    chunks = chunk_document(doc, OPTS)
    index_document(doc, chunks, embedder=emb, store=store, cache=None)
    # as a version before CHUNKING_VERSION left it: no sentence offsets, no version in the record
    record = store.get_doc(doc.doc_id)
    assert record is not None and record.chunking == CHUNKING_VERSION
    store.upsert([Point(chunk_id=p["chunk_id"], dense=v, sparse_indices=encode_document(p["text"], "en")[0],
                        sparse_values=encode_document(p["text"], "en")[1],
                        payload={k: x for k, x in p.items() if k != "sentences"})
                  for p, v in store.chunk_vectors(doc.doc_id)])
    store.put_doc(record.model_copy(update={"chunking": 0}))
    assert not any(p.get("sentences") for p in store.chunk_payloads(doc.doc_id))
    calls, vectors = emb.embedded, [v for _, v in store.chunk_vectors(doc.doc_id)]
    assert index_document(doc, chunk_document(doc, OPTS), embedder=emb, store=store, cache=None) == "updated"
    assert emb.embedded == calls and [v for _, v in store.chunk_vectors(doc.doc_id)] == vectors
    assert all(p["sentences"] for p in store.chunk_payloads(doc.doc_id)) and store.count() == len(chunks)
    again = store.get_doc(doc.doc_id)
    assert again is not None and again.chunking == CHUNKING_VERSION and again.chunk_ids == record.chunk_ids
    assert index_document(doc, chunk_document(doc, OPTS), embedder=emb, store=store, cache=None) == "unchanged"


def test_crash_between_upsert_and_record_is_completed_by_a_rerun() -> None:
    emb, store = _setup()
    doc = _doc("Attention layers mix tokens together.", "Caches store keys and values.")
    chunks = chunk_document(doc, OPTS)

    class Boom(Exception):
        pass

    original = store.put_doc

    def crash(record: object) -> None:
        raise Boom

    store.put_doc = crash  # type: ignore[method-assign]
    with contextlib.suppress(Boom):
        index_document(doc, chunks, embedder=emb, store=store, cache=None)
    store.put_doc = original  # type: ignore[method-assign]
    assert store.get_doc(doc.doc_id) is None
    assert index_document(doc, chunks, embedder=emb, store=store, cache=None) == "added"
    assert store.count() == len(chunks)  # no duplicates: ids are deterministic


def test_search_finds_and_filters() -> None:
    emb, store = _setup()
    for i, text in enumerate(["Key value cache compression for long contexts.", "Un chat dort sur le tapis."]):
        doc = _doc(text, doc_id=f"d{i}").model_copy(update={"lang": "en" if i == 0 else "fr"})
        index_document(doc, chunk_document(doc), embedder=emb, store=store, cache=None)
    hits = search("cache compression", embedder=emb, store=store, k=2)
    assert hits[0].doc_id == "d0" and hits[0].rank == 1
    assert [h.doc_id for h in search("cache", embedder=emb, store=store, filters=SearchFilters(lang=["fr"]))] == ["d1"]


def test_keyword_weight_follows_the_language_of_the_best_passages() -> None:
    from veille.index.retrieval import SPARSE_WEIGHT, keyword_weight

    assert keyword_weight("en", ["en"] * 10) == SPARSE_WEIGHT
    assert keyword_weight("en", ["fr"] * 10) == 0  # cross-lingual: keywords cannot help
    assert keyword_weight("fr", ["fr"] * 5 + ["en"] * 5) == SPARSE_WEIGHT / 2
    assert keyword_weight("und", ["ko"] * 10) == SPARSE_WEIGHT  # too short to tell: keep keywords
    assert keyword_weight("en", ["und"] * 8 + ["fr"] * 2) == 0  # undetermined passages do not vote
    assert keyword_weight("fr", ["fr"] * 5 + ["en"] * 5, base=1.0) == 0.5  # benchmarks sweep the base


def test_the_record_keeps_its_body_vector_sums_and_glossary() -> None:
    emb, store = _setup()
    doc = Document(doc_id="paper:x", kind="paper", title="X", source="/x.pdf", lang="en", content_hash="h",
                   blocks=[Block(text="Attention layers mix tokens together."),
                           Block(text="Caches store keys and values."),
                           Block(text="Lewis, P. 2020. Retrieval. In NeurIPS.", role="references", references=True)])
    chunks = chunk_document(doc, OPTS)
    index_document(doc, chunks, embedder=emb, store=store, cache=None, glossary=lambda d: [("캐시", "cache")])
    record = store.get_doc("paper:x")
    body = [c for c in chunks if c.role == "body"]
    assert record is not None and record.glossary == [("캐시", "cache")]
    assert record.vector_counts == {"en": len(body)} and len(body) < len(chunks)
    expected = emb.embed_passages([c.text for c in body]).sum(axis=0)
    assert record.vector_sums["en"] == [round(float(x), 6) for x in expected]
