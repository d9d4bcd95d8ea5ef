"""A deterministic embedder for unit tests: character trigrams hashed into a vector."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np


class FakeEmbedder:
    """Hashes character trigrams into a vector: similar strings get similar vectors."""

    runtime = "fake"

    def __init__(self, dim: int = 64, model_id: str = "fake-trigram") -> None:
        self.dim, self.model_id = dim, model_id
        self.calls = 0
        self.embedded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        low = f"  {text.lower()}  "
        for i in range(len(low) - 2):
            h = int(hashlib.md5(low[i:i + 3].encode()).hexdigest()[:8], 16)
            v[h % self.dim] += 1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Trigram vectors."""
        self.calls += 1
        self.embedded += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Same as passages."""
        return self.embed_passages(texts)

    def count_tokens(self, text: str) -> int:
        """Words plus punctuation."""
        return len(re.findall(r"\w+|[^\w\s]", text)) + 2

    def passage_lengths(self, texts: Sequence[str]) -> list[int]:
        """Token counts, one text at a time."""
        return [self.count_tokens(t) for t in texts]
