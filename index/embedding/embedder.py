"""What the index needs from an embedding model (the `Embedder` protocol), and what its runtimes share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

E5_SMALL = "intfloat/multilingual-e5-small"
# Models trained with instruction prefixes; anything else is embedded as is.
_PREFIXES = {"e5": ("query: ", "passage: ")}
MAX_TOKENS = 512  # e5's position limit, special tokens included: every runtime truncates to it


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
