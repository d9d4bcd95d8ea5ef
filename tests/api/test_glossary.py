"""The glossary the archive teaches itself (veille.glossary)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from veille.glossary import Entry, Glossary, glossary, mine
from veille.index.records import DocRecord


def _same(texts: list[str]) -> np.ndarray:
    """Every text on one vector: the embedding vetoes nothing, so the rules alone decide."""
    return np.ones((len(texts), 4), np.float32) / 2.0


def _apart(texts: list[str]) -> np.ndarray:
    """Every text orthogonal to every other: the embedding vetoes everything."""
    return np.eye(len(texts), 64, dtype=np.float32)


def _meaning(*groups: tuple[str, ...]) -> Callable[[list[str]], np.ndarray]:
    """Texts of one group on one vector, every other text apart: which span means the gloss."""
    def embed(texts: list[str]) -> np.ndarray:
        rows = [next((i for i, g in enumerate(groups) if t in g), len(groups) + n) for n, t in enumerate(texts)]
        return np.eye(len(groups) + len(texts), dtype=np.float32)[rows]
    return embed


def test_hangul_terms_glossed_in_latin_words() -> None:
    text = ("본 논문은 지식 증류(knowledge distillation)와 미세 조정(fine-tuning)을 비교하고, 높은 제로-샷(zero-shot) "
            "성능을 보인 모델(𝜽sft)과 New 생성(text generation)을 다룬다.")
    assert mine([text], _same, "ko") == [("지식 증류", "knowledge distillation"), ("미세 조정", "fine-tuning"),
                                         ("제로-샷", "zero-shot")]
    assert mine([text], _apart, "ko") == []  # what the model finds unrelated is no pair


def test_latin_pairs_need_two_languages() -> None:
    french = "La Distillation de modèle (Model Distillation) et les données synthétiques (synthetic data)."
    meaning = _meaning(("Distillation de modèle", "Model Distillation"), ("données synthétiques", "synthetic data"))
    assert mine([french], meaning, "fr") == [("Distillation de modèle", "Model Distillation"),
                                             ("données synthétiques", "synthetic data")]
    english = "Model distillation (teacher-student training) and the cache (key-value store) are both used."
    assert mine([english], _same, "en") == []  # an English text's parentheses are asides
    assert mine(["Les modèles récents (modèles ouverts) dominent."], _same, "fr") == []  # French both sides


def _record(doc_id: str, pairs: list[tuple[str, str]]) -> DocRecord:
    return DocRecord(doc_id=doc_id, title=doc_id, source=doc_id, lang="ko", kind="note",
                     ingested_at=datetime(2026, 1, 1, tzinfo=UTC), glossary=pairs)


def test_the_glossary_counts_documents() -> None:
    found = glossary([_record("a", [("지식 증류", "knowledge distillation"), ("지식 증류", "Knowledge Distillation")]),
                      _record("b", [("지식 증류", "knowledge distillation"), ("양자화", "quantization")])])
    assert [(e.term, e.count, e.doc_ids) for e in found.entries] == [("지식 증류", 2, ["a", "b"]),
                                                                     ("양자화", 1, ["b"])]


def test_a_query_is_carried_into_the_other_language() -> None:
    g = Glossary([Entry("지식 증류", "knowledge distillation", 2), Entry("양자화", "quantization", 1)])
    assert g.variants("Knowledge distillation for small models") == ["지식 증류 for small models"]
    assert g.variants("지식 증류의 한계") == ["knowledge distillation의 한계"]  # particles stick to Hangul terms
    assert g.variants("distillation of knowledge") == []  # whole terms only
    assert [e.term for e in g.lookup("quantization and 지식 증류")] == ["지식 증류", "양자화"]
    assert g.variants("nothing the archive glosses") == []
