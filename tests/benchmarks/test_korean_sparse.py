from __future__ import annotations

from benchmarks.korean_sparse import bigrams, morphemes, rank_all


def test_bigrams_pair_syllables_and_keep_latin_words() -> None:
    assert bigrams("모델은 GPT 4o 가") == ["모델", "델은", "gpt", "4o", "가"]


def test_rank_all_ranks_the_matching_document_first() -> None:
    docs = [("a", "서울은 한국의 수도이다"), ("b", "파리는 프랑스의 수도이다"), ("c", "모델을 학습한다")]
    for tok in (bigrams, morphemes):
        run = rank_all(docs, [("q", "프랑스의 수도는?")], tok)
        assert max(run["q"], key=lambda d: run["q"][d]) == "b"
        assert "c" not in run["q"]
