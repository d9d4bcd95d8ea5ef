"""Digests: topic selection, every sentence cited with a verbatim quote, three languages, windows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.api.reader.fake_llm_server import FakeLLMServer, Reply
from tests.conftest import open_samples_kb
from veille.digest.brief import Digest
from veille.errors import NotFoundError, QueryError
from veille.interfaces.cli import cli
from veille.interfaces.cli.dates import parse_since
from veille.kb import KnowledgeBase
from veille.settings import LLMSettings


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    with open_samples_kb(tmp_path_factory.mktemp("digest")) as kb:
        yield kb


def assert_fully_cited(kb: KnowledgeBase, d: Digest) -> None:
    numbers = {c.n for c in d.citations}
    assert numbers == set(range(1, len(d.citations) + 1))
    for c in d.citations:
        stored = {p["chunk_id"]: p["text"] for p in kb.chunks(c.doc_id)}[c.chunk_id]
        assert stored[c.start:c.start + len(c.quote)] == c.quote
    texts = [*d.summary, *d.insights] + [t for e in d.documents for t in ([e.new] if e.new else []) + e.key_points]
    assert texts and all(t.citations and set(t.citations) <= numbers for t in texts)
    for line in d.markdown.splitlines():
        if line.startswith("- ") and not line.startswith("- **") and ":" not in line[:40]:
            assert re.search(r"\[\d+\]", line), line  # every bullet statement carries its [n]
    sources = d.markdown.split(f"## {'Sources' if d.lang != 'ko' else '출처 목록'}", 1)[1]
    for n in numbers:
        assert f"[{n}]" in d.markdown and re.search(rf"^   - \[{n}\] ", sources, re.M)
    entries = re.findall(r"^\d+\. \*\*(.+?)\*\* — ", sources, re.M)
    assert len(entries) == len({c.doc_id for c in d.citations})  # each document once, its quotes under it


def test_topic_digest_in_french(kb: KnowledgeBase) -> None:
    d = kb.digest("compression du cache KV", lang="fr")
    assert d.topic == "compression du cache KV" and d.considered == 6
    assert d.documents[0].doc_id.startswith(("note:cache-kv-memoire", "paper:", "pdf:"))
    assert any(e.doc_id.startswith("note:cache-kv-memoire") for e in d.documents)
    assert d.markdown.startswith("# Digest : compression du cache KV")
    for heading in ("## Synthèse", "## En chiffres", "## Documents", "## Sources", "Documents examinés : 6"):
        assert heading in d.markdown
    assert_fully_cited(kb, d)


@pytest.mark.parametrize("lang, headings", [("en", ["## Executive summary", "## In figures", "## Sources"]),
                                            ("ko", ["## 요약", "## 수치로 보기", "## 출처 목록"])])
def test_topic_digest_in_other_languages(kb: KnowledgeBase, lang: str, headings: list[str]) -> None:
    d = kb.digest("KV cache memory", lang=lang)
    assert all(h in d.markdown for h in headings)
    assert_fully_cited(kb, d)


def test_digest_without_topic_groups_recent_documents_by_theme(kb: KnowledgeBase) -> None:
    d = kb.digest(since=datetime.now(UTC) - timedelta(days=1), lang="en", max_docs=6)
    assert d.topic is None and d.selected == 6 and d.title.startswith("Digest: recent additions")
    assert sum(len(t.doc_ids) for t in d.themes) in (0, 6)
    assert_fully_cited(kb, d)
    if len(d.themes) > 1:  # the summary goes theme by theme, each line led by the theme's name
        assert [s.text.split("**")[1] for s in d.summary] == [t.name for t in d.themes][:len(d.summary)]
        assert "by theme:" in d.markdown


def test_digest_errors(kb: KnowledgeBase) -> None:
    with pytest.raises(NotFoundError, match="no document matches this topic"):
        kb.digest("recette de la pizza napolitaine au feu de bois")
    with pytest.raises(NotFoundError, match="no document was ingested"):
        kb.digest(until=datetime(2001, 1, 1, tzinfo=UTC))
    with pytest.raises(QueryError, match="unsupported digest language"):
        kb.digest("KV", lang="de")


def test_llm_summary_is_checked(kb: KnowledgeBase) -> None:
    with FakeLLMServer() as server:
        llm_kb = KnowledgeBase(kb.settings.model_copy(update={"llm": LLMSettings(
            provider="openai-compatible", base_url=server.url, model="m", timeout=3, retries=0)}),
            embedder=kb.services.embedder, store=kb.services.store)

        def reply(body: dict) -> Reply:
            prompt = body["messages"][-1]["content"]
            n = re.search(r"^\[(\d+)\] [^\n]*linéairement", prompt, re.M)
            assert n, prompt
            return Reply(text=f"La taille du cache croît linéairement avec la longueur du contexte [{n.group(1)}]. "
                              "Le cache pèse 999 téraoctets [1].")
        server.reply = reply
        d = llm_kb.digest("taille du cache KV et longueur du contexte", lang="fr")
    assert d.mode == "llm" and len(d.summary) == 1 and "999" not in d.markdown
    assert any("does not support" in w for w in d.warnings)


def test_parse_since() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 1, 3, tzinfo=UTC)
    assert parse_since("24h", now) == datetime(2026, 1, 9, tzinfo=UTC)
    assert parse_since("2025-06-01") == datetime(2025, 6, 1, tzinfo=UTC)
    assert parse_since(None) is None


def test_cli_ask_and_digest(kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb.close()  # the CLI opens the same local store
    monkeypatch.setenv("VEILLE_HOME", str(kb.settings.home))
    monkeypatch.setenv("VEILLE_CACHE_DIR", str(kb.settings.cache_dir))
    runner = CliRunner()
    out = runner.invoke(cli, ["ask", "Combien de bits utilise la quantification du cache KV ?", "--json"])
    assert out.exit_code == 0, out.output
    assert '"mode": "extractive"' in out.output and '"citations"' in out.output
    target = tmp_path / "d.md"
    out = runner.invoke(cli, ["digest", "KV cache", "--lang", "en", "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert target.read_text(encoding="utf-8").startswith("# Digest: KV cache")
    out = runner.invoke(cli, ["digest", "recette de pizza au feu de bois"])
    assert out.exit_code == 1 and "no document matches this topic" in out.output
    out = runner.invoke(cli, ["ask", "Quelle est la capitale de l'Australie ?"])
    assert out.exit_code == 1 and "rien trouvé" in out.output


def test_the_summary_goes_theme_by_theme_with_the_most_relevant_document() -> None:
    from veille.digest.brief import CitedText, DigestEntry, Theme
    from veille.digest.build import summary

    def entry(doc: str, relevance: float, n: int) -> DigestEntry:
        return DigestEntry(doc_id=doc, title=doc, kind="note", lang="fr", link=doc, relevance=relevance,
                           new=CitedText(text=f"Ce que {doc} apporte.", citations=[n]))

    entries = [entry("a", 0.4, 1), entry("b", 0.9, 2), entry("c", 0.5, 3)]
    themes = [Theme(name="cache kv", doc_ids=["a", "b"]), Theme(name="rag", doc_ids=["c"])]
    lines = summary(entries, themes, "fr")
    assert [line.text for line in lines] == ["**cache kv** (2 documents) : Ce que b apporte.",
                                             "**rag** (1 document) : Ce que c apporte."]
    assert [line.citations for line in lines] == [[2], [3]]
    assert [line.text for line in summary(entries, themes[:1], "fr")] == [e.new.text for e in entries]  # type: ignore[union-attr]


def test_a_byline_is_not_a_key_point(kb: KnowledgeBase) -> None:
    """The sample French note opens with a byline that e5 puts as close to the topic as its statements:
    it shares no word with the rest of the note, so it is not quoted."""
    from veille.digest.key_sentences import _shared_terms, _terms

    d = kb.digest("KV cache compression", lang="en")
    assert any(c.doc_id.startswith("note:cache-kv-memoire") for c in d.citations)
    assert not any("Notes de veille" in c.quote for c in d.citations)
    note = [("Le cache KV et la mémoire", "fr"), ("Notes de veille, rédigées pour la démonstration.", "fr"),
            ("Le cache croît avec le contexte.", "fr"), ("La mémoire du cache double.", "fr")]
    terms = [_terms(text, lang) for text, lang in note]
    shared = _shared_terms(terms, [text for text, _ in note])
    assert not terms[1] & shared and terms[2] & shared


@pytest.mark.parametrize("sentence, debris", [
    ("1lucene.apache.org 2spacy.io 3github.com/facebookresearch/faiss tion over the concatenation of passages", True),
    ("119 Are AI agents going commercial?", True),
    ("35 Frontier labs face up to the realities of the power grid and work on mitigations", True),
    ("Article premier - Les hommes Article premier - Les hommes de l’homme et du citoyen.", True),
    ("-Le ésistance à l’oppression.Art principe de toute Souverainet icle 3Le principe de toute", True),
    ("Noam Shazeer of Character.ai sold his team back to Google for $2.5B.", False),
    ("We reach strong performance on a single task and strong performance on a variety of tasks.", False),
    ("2 trillion tokens are retrieved from the database at every step.", False),
    ("We check whether the title and authors match the title and authors in the PDF.", False),
])
def test_extraction_debris_is_not_a_key_point(sentence: str, debris: bool) -> None:
    from veille.digest.key_sentences import _debris

    assert _debris(sentence) is debris
