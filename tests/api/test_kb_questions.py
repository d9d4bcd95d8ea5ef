"""Retrieval over the real corpus: each kb-questions item must find its gold source."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_path
from veille.index.hits import Hit
from veille.kb import KnowledgeBase

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _questions() -> list[dict]:
    path = shared_path("eval", "kb-questions.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _gold_rank(hits: list[Hit], golds: list[str]) -> int | None:
    return next((h.rank for h in hits if h.arxiv_id in golds or Path(h.source).name in golds), None)


def test_corpus_is_fully_indexed(corpus_kb: KnowledgeBase) -> None:
    docs = corpus_kb.documents()
    papers = [d for d in docs if d.kind == "paper"]
    assert len(papers) == 12 and sum(1 for d in papers if d.arxiv_id) == 11
    assert {d.lang for d in docs if d.kind == "note"} == {"fr", "ko"}
    chunks = corpus_kb.chunks("arxiv:1706.03762")
    assert chunks and all(c["page_start"] and c["page_end"] for c in chunks)


def test_gold_source_in_top_five_in_every_language(corpus_kb: KnowledgeBase) -> None:
    qs = _questions()
    results = corpus_kb.search_many([q["question"] for q in qs], k=10, per_doc=True)
    ranks = {q["id"]: _gold_rank(hits, q["gold_sources"]) for q, hits in zip(qs, results, strict=True)}
    misses = {qid: r for qid, r in ranks.items() if r is None or r > 5}
    # d15 (English question, answer only in a Korean note) sits at rank 7-8 with e5-small:
    # see the closing note and BENCHMARKS.md. Everything else must be in the top 5.
    assert set(misses) <= {"d15"}, ranks
    assert all(r is not None for r in ranks.values()), ranks
    by_lang = {q["lang"] for q in qs if ranks[q["id"]] == 1}
    assert by_lang == {"en", "fr", "ko"}


def test_ask_cites_the_gold_source_and_states_the_fact(corpus_kb: KnowledgeBase) -> None:
    misses = {}
    for q in _questions():
        a = corpus_kb.ask(q["question"])
        cited = any(c.arxiv_id in q["gold_sources"] or Path(c.source).name in q["gold_sources"]
                    for c in a.citations)
        stated = all(fact in a.answer for fact in q["answer_contains"])
        if not (a.found and cited and stated):
            misses[q["id"]] = a.answer[:200]
        assert a.lang == q["lang"]
        for c in a.citations:
            stored = {p["chunk_id"]: p["text"] for p in corpus_kb.chunks(c.doc_id)}[c.chunk_id]
            assert stored[c.start:c.start + len(c.quote)] == c.quote
    # d15's gold passage is not retrieved at all with e5-small (see test above and BENCHMARKS.md).
    assert set(misses) <= {"d15"}, misses


def test_ask_refuses_what_the_corpus_does_not_cover(corpus_kb: KnowledgeBase) -> None:
    for question in ("What is a good recipe for apple pie?", "Quelle est la capitale de l'Australie ?",
                     "축구 월드컵 우승 국가는?",
                     # worded like the corpus's questions, but naming what it never mentions
                     "How much does the DUSP4 phosphatase reduce apoptosis?",
                     "MDA5 수용체는 어떤 도메인을 가지고 있나요?"):
        a = corpus_kb.ask(question)
        assert not a.found and not a.citations, (question, a.answer)


@pytest.mark.parametrize("lang", ["fr", "en", "ko"])
def test_kv_cache_digest_brings_out_the_french_notes(corpus_kb: KnowledgeBase, lang: str) -> None:
    """An English topic, a digest in three languages: the two French notes on the subject lead it (no paper
    of the corpus is about compressing the KV cache, so none need follow)."""
    d = corpus_kb.digest("KV cache compression", lang=lang)
    names = [Path(e.link).name for e in d.documents]
    assert set(names[:2]) == {"tech-digest-2025-06-06.md", "q-filters-compression-cache-kv.txt"}, names
    cited_docs = {c.doc_id for c in d.citations}
    assert {e.doc_id for e in d.documents} <= cited_docs
    assert "8×" in d.markdown or "91%" in d.markdown  # the figures of the two notes are quoted


def test_the_french_kv_digest_reads_clean(corpus_kb: KnowledgeBase) -> None:
    """Issue 16's check: whole-word quotes, one source entry per document, no negative similarity, every [n]
    resolving."""
    d = corpus_kb.digest("compression du cache KV", lang="fr")
    for c in d.citations:
        stored = {p["chunk_id"]: p["text"] for p in corpus_kb.chunks(c.doc_id)}[c.chunk_id]
        before, after = stored[c.start - 1:c.start], stored[c.start + len(c.quote):][:1]
        assert not (before.isalnum() and c.quote[:1].isalnum()), c.quote  # starts inside a word
        assert not (after.isalnum() and c.quote[-1:].isalnum()), c.quote  # ends inside a word
    sources = d.markdown.split("## Sources", 1)[1]
    entries = re.findall(r"^\d+\. \*\*(.+?)\*\* — ", sources, re.M)
    assert len(entries) == len(set(entries)) == len({c.doc_id for c in d.citations})
    assert not re.search(r"similarité -", d.markdown)
    assert not any(re.match(r"\s*(?:[-•*–]|\d{1,2}[.)])\s", c.quote) for c in d.citations)  # no list marker quoted
    topic_words = {w.lower() for w in d.topic.split()}  # type: ignore[union-attr]
    assert not any(i.text.split()[0].lower() in topic_words for i in d.insights)  # "KV recurs": not news here
    points = [t for e in d.documents for t in ([e.new] if e.new else []) + e.key_points + e.technical]
    assert points and all(len(p.text.split()) >= 6 and not re.match(r"(?i)(figure|table)\s*\d", p.text)
                          for p in points)
    for n in {int(m) for m in re.findall(r"\[(\d+)\]", d.markdown.split("## Sources", 1)[0])}:
        assert re.search(rf"^   - \[{n}\] ", sources, re.M), n
    # on topic: no key point is further from the topic than its document's median sentence (a note on
    # several subjects must not lend the digest its other subjects)
    topic = corpus_kb.services.queries.embed_queries([d.topic or ""])[0]
    for e in d.documents:
        sentences = [p["text"][a:b] for p in corpus_kb.chunks(e.doc_id) for a, b in p.get("sentences") or []]
        median = float(np.median(corpus_kb.services.embed_texts([t for t in sentences if len(t.split()) >= 6]) @ topic))
        points = [k.text for k in e.key_points]
        assert not points or float(min(corpus_kb.services.embed_texts(points) @ topic)) >= median, (e.title, points)
