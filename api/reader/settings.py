"""The reader's tuned weights and sizes, as documented settings (VEILLE_READER__<NAME>).

Defaults are what the measurements in BENCHMARKS.md support; each field says what it weighs.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReaderSettings(BaseModel):
    """How `ask` reads passages and weighs their sentences."""

    sentence_margin: float = Field(
        default=0.07, ge=0, description="A quoted sentence scores at least this much above the passage floor "
                                        "(VEILLE_ASK_MIN_SIMILARITY); stray sentences score below it.")
    grey_band: float = Field(
        default=0.01, ge=0, description="Just this far under the floor, a passage still counts when one of its "
                                        "sentences carries strong evidence (runtimes move cosines by ~0.005).")
    grey_evidence: float = Field(default=1.0, ge=0, description="The sentence score that rescues a passage in the "
                                                                "grey band.")
    pool: int = Field(default=24, ge=1, description="Sentences embedded per question, those with most lexical "
                                                    "evidence first (embedding them is most of a new question's cost).")
    pool_chars: int = Field(default=3000, ge=100, description="Characters those sentences hold at most (the longest "
                                                              "pools made the slowest answers).")
    other_language_places: int = Field(
        default=3, ge=0, description="Places in the pool kept for each answer language other than the question's "
                                     "(terms are shared within a language only).")
    fetch: int = Field(default=3, ge=1, description="Passages retrieved per passage asked for, so the pool reaches "
                                                    "past the few best chunks.")
    figures_of_named: int = Field(
        default=12, ge=0, description="Passages of the document a quantity question names that give a figure in "
                                      "the asked unit, read whatever their rank.")
    document_depth: int = Field(default=2000, ge=1, description="A document's passages read at most when looking "
                                                                "for those figures.")
    w_terms: float = Field(default=0.25, ge=0, description="Weight of the share of the question's terms a sentence "
                                                           "holds.")
    w_salient: float = Field(default=0.15, ge=0, description="Weight of the share of the question's names and "
                                                             "figures the sentence's passage holds.")
    w_quantity: float = Field(default=0.15, ge=0, description="Bonus for a figure, when the question asks for a "
                                                              "quantity.")
    w_unit: float = Field(default=0.10, ge=0, description="Bonus for a figure in the unit the question counts in "
                                                          "(the fact itself).")
    w_prior: float = Field(default=0.03, ge=0, description="Weight of the passage's retrieval rank (divided by the "
                                                           "rank).")
    w_heading: float = Field(default=0.10, ge=0, description="Penalty for a heading: a title names the subject but "
                                                             "states nothing.")
    w_open: float = Field(default=0.10, ge=0, description="Penalty for a PDF line without closing punctuation (a "
                                                          "table row, a caption) or a Markdown table row.")
    document_names: float = Field(
        default=0.7, ge=0, description="Credit for a question's name the sentence's passage lacks, times the share "
                                       "of the document's retrieved passages that hold it.")
    unit_similarity: float = Field(
        default=0.90, ge=0, le=1, description="Cosine above which the words after a figure mean the asked unit in "
                                              "another language.")
    mmr_lambda: float = Field(default=0.75, ge=0, le=1, description="Relevance against novelty when choosing the "
                                                                    "answer's sentences.")
    mmr_margin: float = Field(default=0.12, ge=0, description="An answer's sentences score at most this far below "
                                                              "its best.")
    support_terms: float = Field(default=0.5, ge=0, le=1, description="LLM answers: share of a claim's terms its "
                                                                      "passage must hold to support it.")
    support_cosine: float = Field(default=0.86, ge=0, le=1, description="LLM answers: or the cosine between the "
                                                                        "claim and a passage sentence saying the same.")


READER = ReaderSettings()  # the defaults, for callers that are given none
