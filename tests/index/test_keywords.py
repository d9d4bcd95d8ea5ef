from __future__ import annotations

from veille.index.keywords import encode_document, encode_query, term_index, tokenize


def test_french_elision_accents_and_stemming() -> None:
    terms = tokenize("L'entraînement des modèles d'attention coûte cher.", "fr")
    assert "entrain" in terms and "model" in terms and "attent" in terms
    assert not {"l", "d", "des"} & set(terms)


def test_english_stemming_and_stopwords() -> None:
    assert tokenize("The models were trained on attention layers", "en") == ["model", "train", "attent", "layer"]


def test_snowball_runs_compiled_and_a_word_keeps_its_term() -> None:
    import Stemmer

    from veille.index import keywords as sparse

    assert isinstance(sparse._stemmer("fr"), Stemmer.Stemmer)  # PyStemmer: the same stems, ~20x faster
    assert tokenize("Élèves ÉLÈVES élèves", "fr") == ["elev"] * 3  # one cached term per spelling, all folded


def test_identifiers_kept_whole() -> None:
    terms = tokenize("GPT-4o beats Llama-3.1 (see arXiv 2506.05345)", "en")
    assert {"gpt-4o", "llama-3.1", "2506.05345"} <= set(terms)


def test_korean_morphemes_and_embedded_english() -> None:
    terms = tokenize("DeepSeek-Coder-V2는 338개의 프로그래밍 언어를 지원하며 Benchmarking 결과", "ko")
    assert {"deepseek-coder-v2", "338", "프로그래밍", "언어", "지원", "benchmark"} <= set(terms)
    assert not any(t.endswith("는") for t in terms)  # particles stripped


def test_korean_beats_character_bigrams_on_particles() -> None:
    doc = set(tokenize("모델은 언어를 지원한다", "ko"))
    query = set(tokenize("언어 지원 모델", "ko"))
    assert query <= doc  # same stems despite different particles and endings


def test_sparse_vectors_are_sorted_and_bm25_saturated() -> None:
    idx, vals = encode_document("attention attention attention memory", "en")
    assert idx == sorted(idx) and len(idx) == 2
    weights = dict(zip(idx, vals, strict=True))
    assert weights[term_index("attent")] > weights[term_index("memori")]
    assert weights[term_index("attent")] < 3 * weights[term_index("memori")]  # saturation


def test_french_query_also_gets_english_stems() -> None:
    idx, _ = encode_query("Combien de paramètres compte le modèle OPT ?", "fr")
    assert term_index("opt") in idx
    assert term_index("model") in idx  # 'modèle', stemmed the English way, meets 'models' in papers
