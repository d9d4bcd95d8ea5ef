"""A knowledge base changes embedding runtime only through `veille reembed`."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SAMPLES, make_settings
from veille.errors import StoreError
from veille.index.embedding.fake import FakeEmbedder
from veille.index.stores.in_memory import MemoryStore
from veille.kb import KnowledgeBase


class Shifted(FakeEmbedder):
    """The fake model on another runtime, whose vectors differ from the first's."""

    runtime = "shifted"

    def embed_passages(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
        vecs = super().embed_passages(texts) + 0.2
        return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def test_a_store_refuses_a_far_runtime_until_reembedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SAMPLES / "notes", tmp_path / "notes")
    store, settings = MemoryStore(), make_settings(tmp_path / "home")
    with KnowledgeBase(settings, embedder=FakeEmbedder(), store=store) as kb:
        kb.ingest([tmp_path / "notes"])
        chunks = store.count()
    with KnowledgeBase(settings, embedder=Shifted(), store=store) as kb, \
            pytest.raises(StoreError, match=r"veille reembed") as err:
        kb.search("cache KV", k=3)
    assert err.value.source == str(settings.home)
    with KnowledgeBase(settings, store=store) as kb:
        monkeypatch.setattr(kb.services, "load_embedder", lambda runtime: Shifted())
        assert kb.reembed("onnx") == chunks
        assert kb.search("cache KV mémoire", k=3, mode="dense")
        assert kb.reembed("onnx") == 0  # already that runtime's vectors
    info = store.stored_info()
    assert info is not None and info.runtime == "shifted" and info.reembedding is None
    with KnowledgeBase(settings, embedder=Shifted(), store=store) as kb:
        assert kb.search("cache KV mémoire", k=3, mode="dense")
