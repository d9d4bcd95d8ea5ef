"""Pure functions behind ask: claim parsing, figure matching, support, question profiles, MMR."""

from __future__ import annotations

import numpy as np

from veille.engines.evidence import candidates, continued
from veille.engines.relevance import evidence_score, gives_unit, has_measure, mmr, profile
from veille.engines.verify import claims, figures, support
from veille.index.memory import FakeEmbedder
from veille.index.models import Hit


def _hit(text: str, lang: str = "en", rank: int = 1) -> Hit:
    return Hit(rank=rank, score=1.0, doc_id="d", chunk_id=f"c{rank}", title="T", source="/x", lang=lang, text=text,
               page_start=3, page_end=4, page_breaks=[(0, 3), (text.find("Second"), 4)])


def test_claims_keep_markers_even_after_the_full_stop() -> None:
    found = claims("The cache grows linearly [1]. It costs 16,000 GPUs. [2][3] No source here.", "en")
    assert [(c.text, c.cited) for c in found] == [
        ("The cache grows linearly.", [1]), ("It costs 16,000 GPUs.", [2, 3]), ("No source here.", [])]
    assert claims("A [1, 2] b.", "en")[0].cited == [1, 2]


def test_figures_ignore_separators() -> None:
    assert figures("16,000 H100 GPUs") == figures("16 000 H100 GPUs") == {"16000", "100"}
    assert figures("28.4 BLEU") == figures("28,4 BLEU") == {"284"}


def test_support_needs_the_figures_and_the_terms() -> None:
    emb = FakeEmbedder()
    hit = _hit("First the cache grows linearly with context length. Second it reaches 12 GB at 32k tokens.")
    cands = candidates([hit])
    vecs = emb.embed_passages([c.text for c in cands])

    def backed(claim: str) -> int | None:
        return support(claim, emb.embed_passages([claim])[0], cands, vecs)

    assert backed("The cache reaches 12 GB at 32k tokens.") == 1
    assert backed("The cache reaches 40 GB at 32k tokens.") is None  # a figure the passage never states
    assert backed("Penguins migrate across the ocean every winter.") is None


def test_candidates_are_verbatim_with_pages_and_deduplicated() -> None:
    text = "First sentence about caches is here. Second sentence sits on the next page."
    a, b = _hit(text, rank=1), _hit(text, rank=2)
    cands = candidates([a, b])
    assert [c.text for c in cands] == ["First sentence about caches is here.",
                                       "Second sentence sits on the next page."]
    assert [c.page for c in cands] == [3, 4]
    assert all(text[c.start:c.end] == c.text for c in cands)


def test_a_sentence_cut_by_a_block_break_is_quoted_whole() -> None:
    text = "Attention is slow. We propose FlashAttention,\n\nan IO-aware exact attention algorithm that uses tiling."
    cands = candidates([_hit(text)])
    assert [c.text for c in cands] == ["Attention is slow.", "We propose FlashAttention,\n\nan IO-aware exact "
                                                             "attention algorithm that uses tiling."]
    ended = candidates([_hit("The cache grows with the context length.\n\nthe model keeps only what matters.")])
    assert len(ended) == 2  # a finished sentence is not glued to the next, whatever its case


def test_a_citation_takes_in_the_sentence_that_holds_the_fact() -> None:
    listed = ("Des datasets ont été créés pour évaluer cette approche :\n- HotpotQA-X, multi-sauts\n"
              "- Musique-Long, contextes longs\nLa suite parle d'autre chose, ce qui est bien.")
    intro = candidates([_hit(listed, "fr")])[0]
    assert continued(intro, wants_figure=False).text == listed[:listed.index("\nLa suite")]
    text = "The method is trained once. It reaches 91% accuracy. Unrelated closing words follow here."
    trained, figure, _ = candidates([_hit(text)])
    assert continued(trained, wants_figure=True).text == "The method is trained once. It reaches 91% accuracy."
    assert continued(trained, wants_figure=False).text == "The method is trained once."
    assert continued(trained, True, frozenset({("c1", figure.start)})).text == trained.text  # cited on its own
    assert continued(figure, wants_figure=True).text == figure.text  # it holds the figure already


def test_question_profile() -> None:
    q = profile("What BLEU score does the big Transformer reach on WMT 2014?")
    assert q.quantitative and {"bleu", "transformer", "wmt", "2014"} <= q.salient and "what" not in q.salient
    assert profile("DeepSeek-Coder-V2는 몇 개의 언어를 지원하나요?").salient == {"deepseek-coder-v2"}
    assert profile("Combien a coûté DBRX ?").quantitative
    assert not profile("Pourquoi le cache grossit-il ?").quantitative


def test_a_stated_figure_outranks_a_sentence_that_only_names_the_subject() -> None:
    q = profile("What BLEU score does the Transformer reach?")
    figure = evidence_score(q, "The big model reaches 28.4 BLEU.", "", "en", 1)
    naming = evidence_score(q, "BLEU is a metric used with the Transformer.", "", "en", 1)
    title = evidence_score(q, "Attention Is All You Need", "", "en", 1)
    assert figure > title and naming > title


def test_mmr_skips_near_duplicates_and_weak_sentences() -> None:
    vecs = np.array([[1, 0], [1, 0.01], [0, 1], [0.7, 0.7]], dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    scores = np.array([1.0, 0.99, 0.95, 0.5], dtype=np.float32)
    assert mmr(scores, vecs, 3) == [0, 2]


def test_a_figure_in_the_unit_asked_for_is_the_fact() -> None:
    assert "bits" in profile("Combien de bits utilise la quantification ?").units
    assert profile("How many layers does the encoder stack?").units == ["layers"]
    assert "passages" in profile("How many retrieved passages does the reader take?").units
    assert profile("인코더는 몇 개의 층을 쌓나?").units == ["개"]
    assert profile("What does the encoder stack?").units == []
    q = profile("Combien de bits utilise la quantification du cache ?", "fr")
    in_unit = "On stocke les clés et valeurs sur 4 ou 2 bits au lieu de 16."
    other_figures = "Pour un modèle de 7 milliards de paramètres, le cache occupe 32 000 jetons."
    assert evidence_score(q, in_unit, in_unit, "fr", 1) > evidence_score(q, other_figures, other_figures, "fr", 1)


def test_a_time_question_counts_in_time_units() -> None:
    q = profile("How long did training the big model take on eight GPUs?")
    assert {"days", "hours"} <= set(q.units) and "jours" in profile("Combien de temps a duré l'entraînement ?").units
    took = "Training took 3.5 days."
    hardware = "We trained our models on one machine with 8 GPUs."
    assert evidence_score(q, took, took, "en", 1) > evidence_score(q, hardware, hardware, "en", 1)
    assert gives_unit(["days"], took) and not gives_unit(["ans"], "It gives 3 answers.")
    assert gives_unit(["일"], "3일 동안 학습했다.") and not gives_unit(["일"], "3 일반 모델")


def test_table_numbers_and_citation_years_are_not_figures() -> None:
    assert not has_measure("In Table 2 we present results for NaturalQuestions.")
    assert not has_measure("We reuse the setup of Lee et al. (2019), see Fig. 7 and §C.4.")
    assert has_measure("REALM outperforms them by 4-16% absolute accuracy (Lee et al., 2019).")
    assert not has_measure("As in (Vaswani, 2017) and Hu et al., 2022, with LoRA.")
    assert has_measure("The model was released in 2019.") and has_measure("The hidden size is 2048, as before.")
