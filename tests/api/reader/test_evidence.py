"""Retrieval for the reader: which passages the extractive answer gets to weigh."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_settings
from veille.index.embedding.fake import FakeEmbedder
from veille.index.hits import SearchFilters
from veille.index.stores.in_memory import MemoryStore
from veille.kb import KnowledgeBase
from veille.reader.evidence import collect


def test_each_other_language_gets_its_own_places_among_the_passages(tmp_path: Path) -> None:
    """Dense similarity favours the question's own language (with the trigram fake, other scripts score
    nothing at all): the best Korean passage still reaches the reader of an English question."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(20):
        (notes / f"en-{i}.md").write_text(f"# Cache note {i}\n\nThe KV cache of model {i} grows with the context "
                                          f"length and takes {i + 2} GB of memory at long context.\n")
    (notes / "ko.md").write_text("# KV 캐시\n\n이 모델은 KV 캐시를 여덟 배 압축하면서도 정확도를 유지합니다.\n")
    with KnowledgeBase(make_settings(tmp_path / "home"), embedder=FakeEmbedder(), store=MemoryStore()) as kb:
        kb.ingest([notes])
        s = kb.services
        _, hits = collect("How much memory does the cache take at long context?", embedder=s.queries,
                          store=s.store, embed=s.embed_texts, k=2, filters=SearchFilters(), floor=0.0)
        assert any(h.lang == "ko" for h in hits)
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        only_en = collect("How much memory does the cache take at long context?", embedder=s.queries,
                          store=s.store, embed=s.embed_texts, k=2, filters=SearchFilters(lang=["en"]), floor=0.0)[1]
        assert all(h.lang == "en" for h in only_en)  # the caller's language filter still holds


def _paper(folder: Path) -> Path:
    """A long note on one system: its name in every section but the one that gives the database's size."""
    folder.mkdir()
    sections = [f"## Partie {i}\n\nZephyrine règle le paramètre {i} de son encodeur et compare la variante {i} "
                f"à la précédente sur la tâche {i}." for i in range(40)]
    sections[31] = "## Data\n\nThe evaluation retrieval database thus contains 1.75T tokens."
    (folder / "zephyrine.md").write_text("# Zephyrine\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    for i in range(5):  # closer to the questions in either language than the passage that answers
        (folder / f"autre-{i}.md").write_text(f"# Autre {i}\n\nLa base de récupération {i} contient des jetons.\n",
                                              encoding="utf-8")
        (folder / f"other-{i}.md").write_text(f"# Other {i}\n\nThe base de récupération {i} contient des jetons.\n",
                                              encoding="utf-8")
    return folder


def test_a_quantity_question_reads_the_figures_of_the_document_it_names(tmp_path: Path) -> None:
    """The passage that gives a figure in the asked unit reaches the reader however low retrieval ranks it,
    when the question names its document; the unit is matched across languages (jetons → tokens)."""
    def hits_of(kb: KnowledgeBase, question: str) -> list[str]:
        s = kb.services
        _, hits = collect(question, embedder=s.queries, store=s.store, embed=s.embed_texts, k=2,
                          filters=SearchFilters(), floor=0.0)
        return [h.text for h in hits]

    with KnowledgeBase(make_settings(tmp_path / "home"), embedder=FakeEmbedder(), store=MemoryStore()) as kb:
        kb.ingest([_paper(tmp_path / "notes")])
        asked = "Combien de jetons contient la base de récupération"
        assert any("1.75T" in t for t in hits_of(kb, f"{asked} de Zephyrine ?"))
        assert not any("1.75T" in t for t in hits_of(kb, f"{asked} ?"))  # no name, no document to read
        assert not any("1.75T" in t for t in hits_of(kb, "Combien de couches a l'encodeur de Zephyrine ?"))


def test_each_other_language_gets_its_own_places_among_the_sentences_embedded() -> None:
    """Lexical evidence ranks a Korean sentence below English ones that share the question's words: the
    best few of each other answer language are embedded all the same."""
    from veille.reader.evidence import pooled

    lexical = [0.9, 0.8, 0.7, 0.6, 0.5, 0.2, 0.1, 0.05]
    langs = ["en", "en", "en", "en", "en", "ko", "ko", "und"]
    assert pooled(lexical, langs, "en", pool=4, reserved=1) == [0, 1, 2, 5]
    assert pooled(lexical, langs, "en", pool=4, reserved=0) == [0, 1, 2, 3]
    assert pooled(lexical, langs, "ko", pool=3, reserved=2) == [0, 1, 2]  # the own language competes on its words
    assert pooled(lexical, langs, "en", pool=20, reserved=1) == list(range(8))
    sizes = [300, 900, 300, 300, 300, 100, 100, 100]  # characters: a long sentence is passed over for shorter ones
    assert pooled(lexical, langs, "en", pool=20, sizes=sizes, reserved=1, budget=1000) == [0, 2, 3, 5]
