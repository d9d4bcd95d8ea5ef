"""The digests' tuned weights and sizes, as documented settings (VEILLE_DIGEST__<NAME>)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DigestSettings(BaseModel):
    """How a digest chooses its documents and their key sentences."""

    candidates: int = Field(default=20, ge=1, description="Documents ranked by a search on the topic, among which "
                                                          "the digest's are chosen.")
    keep_ratio: float = Field(default=0.65, gt=0, le=1, description="A candidate scoring this share of the best "
                              "one's score is kept, wherever the scores fall most steeply (chosen on the digest "
                              "dev set, benchmarks/digest-topics.jsonl).")
    chunks_per_doc: int = Field(default=3, ge=1, description="A document's chunks nearest the topic whose sentences "
                                                             "compete for its key points.")
    topic_weight: float = Field(default=0.75, ge=0, le=1, description="A sentence's closeness to the topic against "
                                                                      "its closeness to its document's mean.")
    early_bonus: float = Field(default=0.02, ge=0, description="Bonus for sentences of a document's opening chunks "
                                                               "(abstract, summary), which say what is new.")
    theme_distance: float = Field(default=0.8, gt=0, description="Centred cosine distance under which documents "
                                                                 "of a window form one theme.")
    close_pair: float = Field(default=0.5, ge=-1, le=1, description="Centred cosine from which two documents are "
                                                                    "called the closest pair.")
    morning_max_docs: int = Field(default=12, ge=1, le=50, description="Documents in a morning digest at most.")


DIGEST = DigestSettings()  # the defaults, for callers that are given none
