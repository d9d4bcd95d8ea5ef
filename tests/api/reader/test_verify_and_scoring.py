"""Pure functions behind ask: claim parsing, figure matching, support, question profiles, MMR."""

from __future__ import annotations

import numpy as np
import pytest

from veille.index.embedding.fake import FakeEmbedder
from veille.index.hits import Hit
from veille.reader.question import profile
from veille.reader.quotes import candidates, continued, documents
from veille.reader.scoring import evidence_score, has_measure, mmr, names_absent, units_across
from veille.reader.units import gives_unit
from veille.reader.verify import claims, figures, support


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
    assert profile("How many layers does the encoder stack?").units == ["layers", "couches", "레이어", "층"]
    assert "passages" in profile("How many retrieved passages does the reader take?").units
    # a generic counter ("개") counts anything: the noun after it is the unit
    assert profile("인코더는 몇 개의 층을 쌓나?").units[0] == "층"
    assert gives_unit(["층"], "인코더는 6개의 층을 쌓는다.") and not gives_unit(["층"], "338개의 언어를 지원한다.")
    assert profile("몇 단계의 학습이 필요한가?").units[0] == "단계"
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


def test_numbered_citations_are_not_figures() -> None:
    assert not has_measure("Most sequence transduction models have an encoder-decoder structure [5, 2, 35].")
    assert has_measure("It scores 28.9 EM on Natural Questions [52].")


def test_korean_counters_and_asymptotic_bounds_are_figures() -> None:
    assert has_measure("6조 개의 추가 코퍼스로 학습했다.") and has_measure("128K까지 확장했다.")
    assert has_measure("The backward pass only requires O(N) extra memory.")
    assert not has_measure("GPT-4o and Llama3 are models.")


def test_a_capitalised_first_word_is_a_name_in_a_korean_question() -> None:
    assert "transformer" in profile("Transformer의 디코더는 몇 개의 층으로 구성되나요?").salient
    assert "what" not in profile("What does OPT release?").salient


def test_names_count_in_the_passage_not_only_in_the_sentence() -> None:
    q = profile("How many test errors did the distilled PaSa model make?")
    passage = "PaSa is a paper search agent. It made 74 test errors."
    # the sentence that says "it" gets the name from its passage, as much as one that repeats it
    assert evidence_score(q, "It made 74 test errors.", passage, "en", 1) > \
        evidence_score(q, "It made 74 test errors.", "It made 74 test errors.", "en", 1)


def test_a_name_elsewhere_in_the_document_counts_by_how_often_the_document_names_it() -> None:
    q = profile("At training time, how many passages does Atlas read per question?")
    fact = "At training time, we read 40 passages for each question."
    named = "T\nAtlas combines a frozen retriever and an encoder."
    alone = evidence_score(q, fact, fact, "en", 1)
    in_paper = evidence_score(q, fact, fact, "en", 1, document=(named, named, named, fact))  # a paper about Retro
    in_note = evidence_score(q, fact, fact, "en", 1, document=(named, fact, fact, fact))  # a note naming it once
    assert alone < in_note < in_paper < evidence_score(q, fact, named, "en", 1)
    assert in_paper - alone == pytest.approx(3 * (in_note - alone))
    # a document that never names it gives nothing
    assert evidence_score(q, fact, fact, "en", 1, document=(fact, "Other text.")) == alone


def test_documents_gathers_each_documents_retrieved_passages_under_its_title() -> None:
    a1, a2 = _hit("Retro retrieves chunks.", rank=1), _hit("We retrieve from 600B tokens.", rank=2)
    other = _hit("Unrelated.", rank=3).model_copy(update={"doc_id": "e", "title": None})
    assert documents([a1, other, a2]) == {"d": ("T\nRetro retrieves chunks.", "T\nWe retrieve from 600B tokens."),
                                          "e": ("\nUnrelated.",)}


def test_a_question_naming_what_no_passage_mentions_is_not_covered() -> None:
    passages = ["OPT-175B was trained on 992 A100 GPUs.", "We compare with GPT4 and the WSJ corpus."]
    assert names_absent(profile("Lack of FGF21 in mice leads to reduced lifespan."), passages)
    assert names_absent(profile("Quel est le rôle de CCL19 dans les ganglions ?"), passages)
    # a name held, a compound's part held, another way of writing it, or no name at all: covered
    assert not names_absent(profile("How many GPUs trained OPT-175B?"), passages)
    assert not names_absent(profile("What share of the WSJ-only parse did the model reach?"), passages)
    assert not names_absent(profile("Does the method beat GPT-4?"), passages)
    assert not names_absent(profile("How many GPUs were used in 2022?"), passages)
    assert not names_absent(profile("what do soft targets carry?"), passages)
    # a name's letters inside another word are not the name
    assert names_absent(profile("What is the role of PT in the model?"), ["An OPT model."])


def test_a_questions_terms_leave_out_the_words_that_ask() -> None:
    fr = profile("Combien de jetons contient la collection indexée pour l'entraînement d'Atlas ?")
    assert {"jeton", "collect", "entrain"} <= fr.terms and not {"combien", "de", "la", "pour", "l"} & fr.terms
    assert profile("During pretraining, from how many tokens does Atlas retrieve?").terms == \
        {"pretrain", "token", "retriev"}
    ko = profile("Atlas 말뭉치의 다국어 부분은 몇 개 언어의 문서를 포함하나요?")
    assert "다국어" in ko.terms and "몇" not in ko.terms


def test_a_context_length_is_counted_in_tokens_in_every_language() -> None:
    q = profile("Jusqu'à quelle longueur de contexte le modèle a-t-il été étendu ?")
    assert "토큰" in q.units and "tokens" in q.units and q.quantitative
    fact = "최대 문맥 길이를 16K에서 128K 토큰으로 확장하였습니다."
    other = "모델은 60% 소스 코드, 10% 수학 코퍼스로 구성된 데이터셋에서 학습되었습니다."
    assert evidence_score(q, fact, fact, "ko", 1) > evidence_score(q, other, other, "ko", 1)
    assert profile("Quelle est la taille du modèle ?").units == []


def test_an_open_line_of_a_pdf_is_not_a_statement() -> None:
    q = profile("How many papers does the corpus contain?")
    row = "Saier and Färber (2019) 1.0M snippets no MAG physics, math, CS RefSeer 1.0M snippets no CiteSeerX multi"
    assert evidence_score(q, row, row, "en", 1, paged=True) < evidence_score(q, row, row, "en", 1)
    markdown_row = "Quantification 4 bits | 4x | faible"
    stated = "La quantification stocke les clés sur 4 bits."
    q_fr = profile("Combien de bits utilise la quantification ?", "fr")
    assert evidence_score(q_fr, markdown_row, markdown_row, "fr", 1) < evidence_score(q_fr, stated, stated, "fr", 1)
    sentence = "The corpus contains 8.1M papers."
    assert evidence_score(q, sentence, sentence, "en", 1, paged=True) == evidence_score(q, sentence, sentence, "en", 1)


def test_a_unit_is_recognised_in_another_language_by_its_meaning() -> None:
    q = profile("Combien de neurones contient la couche cachée ?", "fr")  # "neurones": not a listed noun
    assert q.unit_phrases[-1] == "neurones"
    meaning = {"neurones": [1.0, 0.0], "neurones contient": [1.0, 0.0], "rectified hidden units": [0.95, 0.31],
               "test errors": [0.0, 1.0], "erreurs": [0.0, 1.0]}
    seen: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        vecs = np.array([meaning[t] for t in texts], np.float32)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    sentences = [("It achieved 74 test errors.", "en"), ("A net with 1200 rectified hidden units.", "en"),
                 ("Le réseau a 1200 neurones.", "fr")]
    # the French sentence is left to the unit patterns; the others are compared in one embedding call
    assert units_across(q, sentences, embed) == [False, True, False]
    assert len(seen) == 1 and seen[0][-2:] == ["rectified hidden units", "test errors"]
    assert units_across(profile("Quel est le meilleur modèle ?", "fr"), sentences, embed) == [False, False, False]
    # a listed noun on both sides ("erreurs", "errors") decides without meaning: only the rest is embedded
    seen.clear()
    errors = profile("Combien d'erreurs de test obtient le petit réseau ?", "fr")
    assert units_across(errors, sentences, embed) == [True, False, False]
    assert seen == [["erreurs", "rectified hidden units"]]


def test_the_asked_unit_is_a_noun_not_a_name_nor_a_counter() -> None:
    french = profile("Combien de paramètres contient la version large du modèle ?", "fr")
    assert french.unit_phrases == ("paramètres contient", "paramètres")  # adjective or verb: both readings
    assert profile("Combien de mémoire supplémentaire demande la passe ?", "fr").unit_phrases == \
        ("mémoire supplémentaire", "mémoire")
    assert "citeseerx" not in profile("Combien d'articles CiteSeerX contenait-il ?", "fr").units
    assert profile("How many GPUs were used?").units == ["gpus"]
    korean = profile("Atlas의 사전 학습에는 몇 개의 H100 GPU가 쓰였나요?")
    assert korean.units == ["gpu"] and korean.unit_phrases == ("H100 GPU",)
    # neither the counter of "몇 개" nor the pieces Kiwi cuts "H100" into are words to share
    assert not {"개", "h", "100"} & korean.terms and {"사전", "학습"} <= korean.terms


def test_a_korean_count_question_prefers_the_paper_that_names_its_subject() -> None:
    q = profile("Atlas의 사전 학습에는 몇 개의 H100 GPU가 쓰였나요?")
    note = "예를 들어, 확산 모델의 훈련은 4개의 A6000 GPU를 사용해 12일 동안 수행해야 합니다."
    paper = "We pretrain the reader for 2 epochs, using 16 NVIDIA H100 GPUs."
    # the plural "GPUs" names the GPU asked about; the note's "4개" shares only the counter
    assert evidence_score(q, paper, "Atlas: few-shot learning with retrieval. " + paper, "en", 30) > \
        evidence_score(q, note, note, "ko", 10)


def test_a_unit_phrase_read_two_ways_matches_either() -> None:
    q = profile("Combien de paramètres contient le modèle ?", "fr")
    meaning = {"paramètres contient": [0.6, 0.8], "paramètres": [1.0, 0.0], "parameters": [0.97, 0.24]}

    def embed(texts: list[str]) -> np.ndarray:
        vecs = np.array([meaning[t] for t in texts], np.float32)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    assert units_across(q, [("T5-large has 770M parameters.", "en")], embed) == [True]


def test_candidates_use_the_sentences_chunking_stored() -> None:
    text = "Alpha beta gamma delta epsilon. Zeta eta theta iota kappa lambda."
    split = _hit(text)
    stored = split.model_copy(update={"sentences": [(0, len(text))]})  # chunking kept it as one sentence
    assert [c.text for c in candidates([split])] == ["Alpha beta gamma delta epsilon.",
                                                     "Zeta eta theta iota kappa lambda."]
    assert [c.text for c in candidates([stored])] == [text]


def test_a_counted_noun_is_read_in_the_three_languages() -> None:
    from veille.reader.units import across

    korean = profile("Atlas는 SentencePiece 어휘를 몇 개의 토큰으로 만들었나요?")
    assert {"토큰", "tokens", "jetons"} <= set(korean.units)
    assert gives_unit(korean.units, "We use a SentencePiece vocabulary of 128,000 tokens.")
    assert gives_unit(profile("How many languages does the set cover?").units, "이 데이터는 10개 언어의 문서를 담는다.")
    # "몇 개 X의 Y": the documents of how many languages: both nouns count
    assert {"언어", "languages", "문서"} <= set(profile("몇 개 언어의 문서를 포함하나요?").units)
    assert across("논문은") == ("논문은", "papers", "articles", "논문", "편")  # the particle aside
    assert across("paramètre")[1:3] == ("parameters", "paramètres")  # singular or plural
    assert across("widgets") == ("widgets",)  # not a counted noun of the list: itself only
    assert not gives_unit(korean.units, "The model has 12 layers.")
    every = profile("Atlas는 몇 스텝마다 체크포인트를 저장하나요?")  # "every how many steps"
    assert gives_unit(every.units, "We evaluate models every 500 steps.")


def test_a_translation_is_ranked_with_what_its_language_costs_it_given_back() -> None:
    """e5 scores a sentence's translation below the sentence itself (translation_gap): ranking gives it
    back, by question and sentence language, so a Korean note's statement outranks an English sentence
    that scores a little higher; whether anything answers still reads the scores themselves."""
    from veille.reader.evidence import Evidence
    from veille.reader.extractive import select
    from veille.reader.scoring import ranking_scores, translation_gap

    q = profile("How many tokens does the cache hold?")
    scores = np.array([1.00, 0.96, 0.96], np.float32)
    ranked = ranking_scores(q, ["en", "ko", "fr"], scores)
    assert np.allclose(ranked - scores, np.array([0.0, translation_gap("en", "ko"), translation_gap("en", "fr")]))
    assert ranked[1] > ranked[2] > ranked[0]  # both past the English one, the Korean (gap 0.062) most
    hits = [_hit("The cache holds many tokens.", "en", 1),
            _hit("이 캐시는 최대 4096개의 토큰을 메모리에 담는다.", "ko", 2)]
    cands = candidates(hits)
    vecs = np.eye(2, 4, dtype=np.float32)
    ev = Evidence(q, cands, vecs, np.array([1.00, 0.97], np.float32), floor=0.83)
    assert select(ev, 1) == [1] and ev.best == np.float32(1.0)
    weak = Evidence(q, cands, vecs, np.array([0.92, 0.895], np.float32), floor=0.83)
    assert select(weak, 2) == [0]  # ranked first, the Korean sentence is still below the floor's margin



def test_a_named_quantity_is_read_in_the_three_languages() -> None:
    """A question naming a hyperparameter or a measure ("taille de batch", "표준편차") is answered by the
    sentence writing its name, in any language, then the figure."""
    from veille.reader.units import gives_quantity

    korean = profile("Atlas 초기화에 쓰인 정규분포의 표준편차는 얼마인가요?")
    assert korean.quantitative and "standard deviation" in korean.quantities
    assert gives_quantity(korean.quantities, "We use a normal distribution with standard deviation of 0.006.")
    assert not gives_quantity(korean.quantities, "The standard deviation is reported in the appendix.")  # no figure
    french = profile("Quelle taille de batch utilise le plus grand modèle ?")
    assert gives_quantity(french.quantities, "The largest model is trained with a batch size of 1024.")
    assert gives_quantity(profile("What learning rate was used?").quantities, "학습률은 0.001로 설정했다.")
    assert profile("How many layers does it have?").quantities == ()


def test_the_named_document_is_the_one_naming_it_most() -> None:
    """A note mentioning OPT once is not the OPT paper, even when retrieval ranks it first."""
    from veille.reader.scoring import named_document

    q = profile("What standard deviation does OPT use?")
    docs = {"note": ("Daily papers\nTroL beats larger models.", "Daily papers\nUnlike OPT, it is small."),
            "paper": ("OPT: Open Pre-trained\nWe train OPT.", "OPT: Open Pre-trained\nInit.")}
    assert named_document(q, docs) == "paper"
    assert named_document(profile("What standard deviation does Zephyrine use?"), docs) is None
    assert named_document(profile("What standard deviation is used?"), docs) is None  # names nothing


def test_korean_loanwords_are_read_as_the_english_words_they_transliterate() -> None:
    """"어떤 섹션" shares a term with "the Related Work section", "추가 코퍼스" with "additional corpus"."""
    from veille.index.keywords import tokenize
    from veille.languages import language
    from veille.reader.scoring import lexical
    from veille.reader.terms import terms_of

    loanwords = language("ko").table("loanwords")  # type: ignore[union-attr]
    assert len(loanwords) > 50
    for korean, english in loanwords.items():  # one Kiwi morpheme, one English stem: else it could never match
        whole = korean in tokenize(f"{korean}를 사용했다", "ko") and korean in tokenize(f"이 {korean}는 좋다", "ko")
        assert whole and len(tokenize(english, "en")) == 1, korean
    assert "corpus" in terms_of("6조 개의 추가 코퍼스를 사전 학습했다.", "ko")
    q = profile("PaSa는 각 논문에서 어떤 섹션을 추출하나요?")
    assert lexical(q, "We extract the Related Work section of each paper.", "PaSa", "en")[0] > 0
    assert lexical(q, "We extract the abstract of each paper.", "PaSa", "en")[0] == 0


def test_a_name_of_several_words_is_headed_by_its_first() -> None:
    q = profile("How many layers does Falcon Mamba 7B have?")
    assert q.names == {"falcon", "mamba", "7b"} and q.heads == {"falcon"}
    assert profile("Does GPT-4 beat Llama on MMLU?").heads == {"gpt-4", "llama", "mmlu"}  # apart: each a name
    # a passage on "Mamba" alone or on "T5-large" does not speak of Falcon Mamba
    assert names_absent(q, ["Mamba has 64 layers.", "T5-large has 24 layers."], heads_only=True)
    assert not names_absent(q, ["Mamba has 64 layers."])


def test_an_answer_comes_from_documents_that_name_what_the_question_names() -> None:
    """The archive may name the model elsewhere; sentences from documents that never do answer about
    something else, however close their wording."""
    from veille.reader.evidence import Evidence
    from veille.reader.extractive import select

    q = profile("How many layers does Falcon Mamba 7B have?")
    hits = [_hit("The base model has 24 layers and 16 heads.", "en", 1)]
    cands = candidates(hits)
    vecs = np.eye(1, 4, dtype=np.float32)
    elsewhere = Evidence(q, cands, vecs, np.array([0.95], np.float32), floor=0.83,
                         documents={"d": ("T\nThe base model has 24 layers and 16 heads.",),
                                    "e": ("N\nFalcon was trained on web data.",)})
    assert select(elsewhere, 1) == []
    named = Evidence(q, cands, vecs, np.array([0.95], np.float32), floor=0.83,
                     documents={"d": ("T\nFalcon Mamba is a state-space model.", "T\nThe base model has 24 layers.")})
    assert select(named, 1) == [0]
