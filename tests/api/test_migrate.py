"""veille migrate: copy a knowledge base into another store without re-embedding anything."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import SAMPLES, make_settings
from veille.index.memory import FakeEmbedder, MemoryStore
from veille.index.store import QdrantStore
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
        points = kb.store.count()
        assert kb.migrate(target, batch=2) == points
        target.close()
        assert emb.embedded == calls  # vectors travelled with the points
    with KnowledgeBase(make_settings(tmp_path / "home"), embedder=emb,
                       store=QdrantStore(path=tmp_path / "copy", collection="veille")) as copy:
        assert len(copy.documents()) == 3 and copy.store.count() == points
        after = copy.search("cache KV mémoire", k=3, mode="dense")
        assert [h.chunk_id for h in after] == [h.chunk_id for h in before]


def test_cli_migrate_needs_one_target(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["migrate"])
    assert out.exit_code == 2 and "--to URL or --to-path" in out.output
