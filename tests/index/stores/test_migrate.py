"""veille migrate: copy a knowledge base into another store without re-embedding anything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLES, make_settings
from veille.index.embedding.fake import FakeEmbedder
from veille.index.stores.edge import EdgeStore
from veille.index.stores.in_memory import MemoryStore
from veille.index.stores.migrate import KEPT_DIR, LEGACY_DIR
from veille.index.stores.qdrant_server import QdrantStore
from veille.interfaces.cli import cli
from veille.kb import KnowledgeBase


def test_migrate_copies_points_and_records_without_embedding(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "notes", tmp_path / "notes")
    emb = FakeEmbedder()
    with KnowledgeBase(make_settings(tmp_path / "home"), embedder=emb, store=MemoryStore()) as kb:
        kb.ingest([tmp_path / "notes"])
        before = kb.search("cache KV mémoire", k=3, mode="dense")
        calls = emb.embedded
        target = QdrantStore(path=tmp_path / "copy", collection="veille")
        points = kb.services.store.count()
        assert kb.migrate(target, batch=2) == points
        target.close()
        assert emb.embedded == calls  # vectors travelled with the points
    with KnowledgeBase(make_settings(tmp_path / "home"), embedder=emb,
                       store=QdrantStore(path=tmp_path / "copy", collection="veille")) as copy:
        assert len(copy.documents()) == 3 and copy.services.store.count() == points
        after = copy.search("cache KV mémoire", k=3, mode="dense")
        assert [h.chunk_id for h in after] == [h.chunk_id for h in before]


def test_cli_migrate_needs_one_target(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["migrate"])
    assert out.exit_code == 2 and "--to URL or --to-path" in out.output


def test_migrate_embedded_to_server_and_back(tmp_path: Path) -> None:
    """Edge → a Qdrant collection (qdrant-client's code path, here its in-memory mode) → a new Edge store."""
    shutil.copytree(SAMPLES / "notes", tmp_path / "notes")
    emb = FakeEmbedder()
    with KnowledgeBase(make_settings(tmp_path / "home"), embedder=emb) as kb:
        kb.ingest([tmp_path / "notes"])
        assert isinstance(kb.services.store, EdgeStore)
        before = [h.chunk_id for h in kb.search("cache KV mémoire", k=3)]
        server = QdrantStore(collection="veille")
        points = kb.migrate(server, batch=5)
    calls = emb.embedded
    with KnowledgeBase(make_settings(tmp_path / "other"), embedder=emb, store=server) as remote:
        assert [h.chunk_id for h in remote.search("cache KV mémoire", k=3)] == before
        back = EdgeStore(tmp_path / "back")
        assert remote.migrate(back) == points
        back.close()
    with KnowledgeBase(make_settings(tmp_path / "third"), embedder=emb, store=EdgeStore(tmp_path / "back")) as kb3:
        assert len(kb3.documents()) == 3 and [h.chunk_id for h in kb3.search("cache KV mémoire", k=3)] == before
    assert emb.embedded == calls + 2  # the two queries: nothing re-embedded on the way


def _legacy_home(tmp_path: Path, emb: FakeEmbedder) -> tuple[Path, list[str]]:
    """A VEILLE_HOME as the local-mode versions of Veille left it."""
    shutil.copytree(SAMPLES / "notes", tmp_path / "notes")
    home = tmp_path / "home"
    with KnowledgeBase(make_settings(home), embedder=emb,
                       store=QdrantStore(path=home / LEGACY_DIR, collection="veille")) as old:
        old.ingest([tmp_path / "notes"])
        return home, [h.chunk_id for h in old.search("cache KV mémoire", k=3)]


def test_a_local_mode_home_is_converted_once_and_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    emb = FakeEmbedder()
    home, before = _legacy_home(tmp_path, emb)
    (home / "edge.converting").mkdir()  # an earlier conversion killed half-way
    calls = emb.embedded
    with KnowledgeBase(make_settings(home), embedder=emb) as kb:
        assert [h.chunk_id for h in kb.search("cache KV mémoire", k=3)] == before
        assert len(kb.documents()) == 3
    assert emb.embedded == calls + 1  # the query only
    assert "converted" in capsys.readouterr().err
    assert (home / KEPT_DIR).is_dir() and not (home / LEGACY_DIR).exists() and not (home / "edge.converting").exists()
    with KnowledgeBase(make_settings(home), embedder=emb) as again:  # opened as is, no second conversion
        assert len(again.documents()) == 3
    assert "convert" not in capsys.readouterr().err


def test_migrate_refuses_to_mix_runtimes(tmp_path: Path) -> None:
    from veille.errors import StoreError
    from veille.index.records import EmbedderInfo

    shutil.copytree(SAMPLES / "notes", tmp_path / "notes")
    target = MemoryStore()
    target.open(EmbedderInfo(model="fake-trigram", dim=64, runtime="other-runtime"))
    with KnowledgeBase(make_settings(tmp_path / "home"), embedder=FakeEmbedder(), store=MemoryStore()) as kb:
        kb.ingest([tmp_path / "notes"])
        with pytest.raises(StoreError, match="would mix"):
            kb.migrate(target)
    assert target.count() == 0
