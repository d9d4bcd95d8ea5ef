"""Qdrant Edge as the embedded store: crash safety, leftovers of a killed optimize, index building."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_settings
from veille.index.embedding.fake import FakeEmbedder
from veille.index.records import EmbedderInfo, Point
from veille.index.stores.edge import EdgeStore
from veille.kb import KnowledgeBase
from veille.pipeline import build_search_index

INGEST = """
import sys
from pathlib import Path
from veille.index.embedding.fake import FakeEmbedder
from veille.kb import KnowledgeBase
from veille.settings import Settings
kb = KnowledgeBase(Settings(home=Path(sys.argv[1]), cache_dir=Path(sys.argv[1]) / "cache"), embedder=FakeEmbedder())
kb.ingest([Path(sys.argv[2])], progress=lambda item: print(item.status, flush=True))
kb.close()
"""


def _notes(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        body = " ".join(f"Note {i} sur la compression du cache KV, phrase {j} avec le terme t{i * 7 + j}."
                        for j in range(40))
        (folder / f"note-{i:03d}.md").write_text(f"# Note {i}\n\n{body}\n", encoding="utf-8")
    return folder


def _state(home: Path) -> tuple[list[tuple[str, int]], list[Point], list[tuple[str, float]]]:
    """Documents, every chunk point (ids, vectors, payloads), and a search's hits with their scores.

    The search asks for rare terms only: with words every note holds ("compression du cache KV"),
    118 chunks tied at the keyword side's 50th place, and which of them made the cut (and so got a
    fused score) depended on the store's segments, not its content (failed once in CI on dfe8011)."""
    with KnowledgeBase(make_settings(home), embedder=FakeEmbedder()) as kb:
        docs = [(r.doc_id, r.chunks) for r in kb.documents()]
        points = sorted(kb.services.store.export_points(), key=lambda p: p.chunk_id)
        hits = kb.search("t77 t78 t300", k=10)
        return docs, points, [(h.chunk_id, round(h.score, 5)) for h in hits]


def test_kill_during_ingest_then_rerun_equals_a_clean_ingest(tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes", 120)
    home = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(home), str(notes)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for _ in range(25):  # well into the batch, with writes in flight
        assert proc.stdout.readline().strip() == "added"
    proc.kill()
    proc.wait()
    proc.stdout.close()
    with KnowledgeBase(make_settings(home), embedder=FakeEmbedder()) as kb:  # reopens: WAL replayed, lock free
        report = kb.ingest([notes])
        assert not report.failed and report.count("unchanged") >= 25
    with KnowledgeBase(make_settings(tmp_path / "clean"), embedder=FakeEmbedder()) as kb:
        kb.ingest([notes])
    assert _state(home) == _state(tmp_path / "clean")


def _points(n: int) -> list[Point]:
    return [Point(chunk_id=f"00000000-0000-0000-0000-{i:012d}", dense=[1.0, i / n, 0.5], sparse_indices=[i % 7],
                  sparse_values=[1.0], payload={"doc_id": f"d{i // 10}", "chunk_id": f"c{i}", "position": i % 10})
            for i in range(n)]


def test_a_killed_optimize_leaves_nothing_behind(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "e")
    store.open(EmbedderInfo(model="m", dim=3, runtime="x"))
    store.upsert(_points(50))
    store.close()
    leftover = tmp_path / "e" / "veille_chunks" / "temp_segments" / "segment_builder_x"
    leftover.mkdir(parents=True)  # what a kill -9 during optimize() leaves (seen with 0.9.0)
    (leftover / "part").write_bytes(b"\0" * 64)
    again = EdgeStore(tmp_path / "e")
    assert not leftover.exists() and again.count() == 50
    again.close()


def test_build_index_waits_for_enough_chunks(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "e")
    store.open(EmbedderInfo(model="m", dim=3, runtime="x"))
    store.upsert(_points(200))
    said: list[str] = []
    assert store.unindexed() == 200  # new points are searched exactly until optimize() runs
    assert build_search_index(store, at_least=1000, notify=said.append) is False and said == []
    build_search_index(store, at_least=100, notify=said.append)
    assert said[0].startswith("building the search index over 200 new chunks") and "built in" in said[1]
    assert store.count() == 200
    store.close()


@pytest.mark.parametrize("after", [0, 10_000])
def test_ingest_builds_the_index_only_past_the_setting(tmp_path: Path, after: int,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    notes = _notes(tmp_path / "notes", 3)
    with KnowledgeBase(make_settings(tmp_path / "home", index_after=after), embedder=FakeEmbedder()) as kb:
        kb.ingest([notes])
    assert ("building the search index" in capsys.readouterr().err) is (after == 0)


def test_searches_run_in_threads_beside_a_writer(tmp_path: Path) -> None:
    """What lets the server's readers run side by side (EdgeStore.concurrent_reads)."""
    from concurrent.futures import ThreadPoolExecutor

    from veille.index.hits import SearchFilters

    embedder = FakeEmbedder()
    store = EdgeStore(tmp_path / "edge")
    store.open(EmbedderInfo(model=embedder.model_id, dim=embedder.dim, runtime=embedder.runtime))
    vectors = embedder.embed_passages([f"passage {i} sur le cache KV" for i in range(2000)])

    def point(i: int) -> Point:
        cid = f"00000000-0000-0000-0000-{i:012d}"
        return Point(chunk_id=cid, dense=vectors[i].tolist(), sparse_indices=[i % 97], sparse_values=[1.0],
                     payload={"chunk_id": cid, "doc_id": f"d{i % 50}", "position": i, "lang": "fr", "text": f"p{i}",
                              "kind": "note", "categories": [], "references": False, "date_ts": None})

    store.upsert([point(i) for i in range(1000)])

    def write() -> None:
        for start in range(1000, 2000, 100):
            store.upsert([point(i) for i in range(start, start + 100)])
            store.delete_chunks(f"d{start // 100}", keep=set())

    def search(i: int) -> int:
        hits = store.query(vectors[i % 1000].tolist(), ([i % 97], [1.0]), "dense", 10, SearchFilters(), False)
        return len(hits)

    with ThreadPoolExecutor(max_workers=4) as pool:
        writer = pool.submit(write)
        found = list(pool.map(search, range(400)))
        writer.result()
    assert store.concurrent_reads and min(found) == 10
    store.close()
