"""kb.ask without an LLM: extractive answers, verbatim citations with pages, honest refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import open_samples_kb
from veille.errors import QueryError
from veille.index.hits import SearchFilters
from veille.kb import KnowledgeBase
from veille.reader.answer import Answer


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    with open_samples_kb(tmp_path_factory.mktemp("ask")) as kb:
        yield kb


def _assert_verbatim(kb: KnowledgeBase, answer: Answer) -> None:
    for c in answer.citations:
        stored = {p["chunk_id"]: p for p in kb.chunks(c.doc_id)}[c.chunk_id]
        assert stored["text"][c.start:c.start + len(c.quote)] == c.quote
        assert f"[{c.n}]" in answer.answer


def test_french_question_gets_the_figure_from_the_french_note(kb: KnowledgeBase) -> None:
    a = kb.ask("Combien de bits utilise la quantification du cache KV ?")
    assert a.found and a.mode == "extractive" and a.lang == "fr"
    assert a.citations[0].doc_id.startswith("note:cache-kv-memoire")
    assert "4" in a.citations[0].quote
    _assert_verbatim(kb, a)


def test_french_question_finds_the_english_note(kb: KnowledgeBase) -> None:
    a = kb.ask("Quelle part des poids du feed-forward est active avec le routage des experts ?")
    assert a.found and a.lang == "fr"
    assert a.citations[0].lang == "en" and "quarter" in a.citations[0].quote
    _assert_verbatim(kb, a)


def test_pdf_citation_names_its_page(kb: KnowledgeBase) -> None:
    a = kb.ask("How much does the 4-bit cache shrink memory?", filters=SearchFilters(kind=["paper"]))
    assert a.found and a.citations
    assert all(c.page is not None and c.page >= 1 for c in a.citations)
    assert all(c.url and c.url.endswith("sample-paper.pdf") for c in a.citations)
    _assert_verbatim(kb, a)


def test_answer_language_can_be_forced(kb: KnowledgeBase) -> None:
    a = kb.ask("What is unrelated cooking advice for a pie crust?", lang="ko")
    assert not a.found and a.mode == "none" and a.lang == "ko" and not a.citations
    assert "찾지 못했습니다" in a.answer


def test_question_the_archive_cannot_answer_is_refused_plainly(kb: KnowledgeBase) -> None:
    a = kb.ask("Quelle est la capitale de l'Australie ?")
    assert not a.found and a.citations == [] and "rien trouvé" in a.answer


@pytest.mark.parametrize("question, message", [("   ", "empty question"), ("Какой размер кэша?", "unsupported script")])
def test_bad_questions(kb: KnowledgeBase, question: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        kb.ask(question)


def test_bad_language_and_k(kb: KnowledgeBase) -> None:
    with pytest.raises(QueryError, match="unsupported answer language"):
        kb.ask("What is a KV cache?", lang="de")
    with pytest.raises(QueryError, match="k must be"):
        kb.ask("What is a KV cache?", k=0)


def test_stream_ends_with_the_answer(kb: KnowledgeBase) -> None:
    events = list(kb.ask_stream("Combien de bits utilise la quantification du cache KV ?"))
    final = events[-1]
    assert isinstance(final, Answer) and final.found
    assert "".join(e for e in events[:-1] if isinstance(e, str)) == final.answer
