"""The KnowledgeBase facade on the shipped samples, with the real default embedder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, make_settings
from veille.errors import QueryError, StoreError, VeilleError
from veille.index.embedding.fake import FakeEmbedder
from veille.index.hits import SearchFilters
from veille.ingest.chunking import CHUNKING_VERSION
from veille.kb import KnowledgeBase


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dest = tmp_path / "samples"
    shutil.copytree(SAMPLES, dest)
    return dest


@pytest.fixture
def kb(tmp_path: Path, corpus: Path) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(make_settings(tmp_path / "home")) as kb:
        report = kb.ingest([corpus])
        assert report.ok and report.count("added") == 6
        yield kb


def test_search_across_languages(kb: KnowledgeBase) -> None:
    fr = kb.search("Quelle mémoire le cache KV occupe-t-il ?", k=3)
    assert fr[0].doc_id.startswith("note:cache-kv-memoire") and fr[0].lang == "fr"
    ko = kb.search("What does retrieval-augmented generation do?", k=3, filters=SearchFilters(lang=["ko"]))
    assert ko and ko[0].lang == "ko" and "검색" in ko[0].text
    en = kb.search("각 토큰이 일부 위치에만 주의를 기울이는 어텐션", k=3, per_doc=True)
    assert "sample-rec-1" in [h.doc_id for h in en]  # a Korean question, the English record that answers it
    pdf = kb.search("how much does the 4-bit cache shrink?", k=1, filters=SearchFilters(kind=["paper"]))
    assert pdf[0].page_start == 1 and pdf[0].title.startswith("Mixed-Precision")


def test_reingest_unchanged_embeds_nothing(kb: KnowledgeBase, corpus: Path) -> None:
    misses = kb.services.cache.misses
    report = kb.ingest([corpus])
    assert report.count("unchanged") == 6 and report.count("added", "updated") == 0
    assert kb.services.cache.misses == misses and kb.services.store.count() == sum(d.chunks for d in kb.documents())


def test_files_an_older_chunker_stored_are_chunked_again_on_the_next_ingest(kb: KnowledgeBase,
                                                                            corpus: Path) -> None:
    note = next(d for d in kb.documents() if d.source.endswith("reading-log.txt"))
    record = kb.services.store.get_doc(note.doc_id)
    assert record is not None
    kb.services.store.put_doc(record.model_copy(update={"chunking": 0}))  # as a Veille before chunker versions left it
    misses = kb.services.cache.misses
    report = kb.ingest([corpus])
    assert report.count("updated") == 1 and report.count("unchanged") == 5
    assert kb.services.cache.misses == misses  # its chunks kept their stored vectors
    again = kb.services.store.get_doc(note.doc_id)
    assert again is not None and again.chunking == CHUNKING_VERSION and again.chunk_ids == record.chunk_ids


def test_changed_file_replaces_its_chunks(kb: KnowledgeBase, corpus: Path) -> None:
    note = corpus / "notes" / "en" / "reading-log.txt"
    note.write_text(note.read_text() + "\n\nAddendum\n\nSpeculative decoding drafts tokens with a small model.\n")
    report = kb.ingest([corpus])
    assert report.count("updated") == 1 and report.count("unchanged") == 5
    hit = kb.search("speculative decoding draft model", k=1)[0]
    assert hit.source == str(note.resolve()) and "Speculative" in hit.text
    assert len(kb.documents()) == 6


def test_a_search_made_again_is_answered_until_the_next_write(kb: KnowledgeBase) -> None:
    query = "Quelle mémoire le cache KV occupe-t-il ?"
    first = kb.search(query, k=5)
    first[0].text = "changed by the caller"
    generation = kb.services.store.generation
    again = kb.search(query, k=5)
    assert kb.services.store.generation == generation and again[0].text != "changed by the caller"
    assert [h.chunk_id for h in again] == [h.chunk_id for h in first]
    assert [h.chunk_id for h in kb.search(query, k=2)] == [h.chunk_id for h in first[:2]]  # k is part of the key
    kb.remove(first[0].doc_id)
    assert first[0].doc_id not in {h.doc_id for h in kb.search(query, k=5)}


def test_remove_by_id_and_by_path(kb: KnowledgeBase, corpus: Path) -> None:
    before = kb.services.store.count()
    removed = kb.remove("sample-rec-1")
    assert kb.services.store.count() == before - removed.chunks
    kb.remove(str(corpus / "notes" / "fr" / "cache-kv-memoire.md"))
    assert {d.doc_id for d in kb.documents()} & {"sample-rec-1"} == set()
    assert len(kb.documents()) == 4
    with pytest.raises(VeilleError, match="no such document"):
        kb.remove("nope")


def test_stats(kb: KnowledgeBase) -> None:
    stats = kb.stats()
    assert stats["documents"] == 6 and stats["chunks"] == kb.services.store.count()
    assert set(stats["by_lang"]) == {"en", "fr", "ko"}
    assert stats["embedder"]["model"] == "intfloat/multilingual-e5-small" and stats["embedder"]["dim"] == 384


def test_bad_queries(kb: KnowledgeBase) -> None:
    with pytest.raises(QueryError, match="empty"):
        kb.search("   ")
    with pytest.raises(QueryError, match="k must be"):
        kb.search("cache", k=0)
    with pytest.raises(QueryError, match="unknown source type"):
        kb.search("cache", filters=SearchFilters(kind=["slides"]))
    with pytest.raises(QueryError, match="unknown language"):
        kb.search("cache", filters=SearchFilters(lang=["french"]))
    assert kb.search("zzzz qqqq", k=3, mode="sparse") == []


def test_store_built_with_another_model_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    with KnowledgeBase(settings, embedder=FakeEmbedder()) as kb:
        kb.ingest([SAMPLES / "records.jsonl"])
    with KnowledgeBase(settings) as kb, pytest.raises(StoreError, match="built with fake-trigram"):
        kb.search("cache")
