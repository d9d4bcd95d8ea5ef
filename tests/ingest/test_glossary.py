"""Glosses a text gives of its own terms (veille.ingest.glossary)."""

from __future__ import annotations

from veille.ingest.glossary import GlossCandidate, candidates


def test_a_gloss_and_the_spans_it_may_translate() -> None:
    (found,) = candidates("본 논문은 지식 증류(knowledge distillation)를 다룬다.")
    assert found == GlossCandidate("knowledge distillation", ("증류", "지식 증류", "논문은 지식 증류",
                                                                "본 논문은 지식 증류"))
    (french,) = candidates("La Distillation de modèle (Model Distillation) réduit le coût.")
    assert french.gloss == "Model Distillation" and "Distillation de modèle" in french.spans


def test_asides_are_no_glosses() -> None:
    text = ("The model (Lee et al., 2019) compresses the cache (8×) as in prior work (DMS), see the appendix "
            "(see Table 2) and transformers (Transformer).")
    assert candidates(text) == []


def test_a_long_parenthesis_is_an_aside() -> None:
    assert candidates("Le cache (qui grandit avec la longueur du contexte et le nombre de couches) déborde.") == []
