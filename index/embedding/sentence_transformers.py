"""sentence-transformers as an embedder, on torch or with its transformer swapped for ONNX Runtime."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from veille.errors import EmbeddingError
from veille.index.embedding.embedder import MAX_TOKENS, PrefixedEncoder, prefixes_for
from veille.index.embedding.runtimes import ONNX_RUNTIMES, runtime_label


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
            from veille.index.embedding import onnx_export
            onnx_export.use_onnx(st, onnx_export.onnx_file(st, onnx_dir, engine))
        _LOADED[key] = st
    return _LOADED[key]
