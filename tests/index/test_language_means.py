"""Each language's mean vector, and a query's shift away from its own language's (veille.index.language_means)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from veille.index.language_means import LanguageMeans, language_means
from veille.index.records import DocRecord
from veille.index.retrieval import RetrievalSettings, query_vectors


def _record(doc_id: str, sums: dict[str, list[float]], counts: dict[str, int]) -> DocRecord:
    return DocRecord(doc_id=doc_id, title=doc_id, source=doc_id, lang="en", kind="note",
                     ingested_at=datetime(2026, 1, 1, tzinfo=UTC), vector_sums=sums, vector_counts=counts)


def test_means_and_shares_come_from_the_records() -> None:
    means = language_means([_record("a", {"en": [3.0, 0.0]}, {"en": 3}),
                            _record("b", {"en": [1.0, 0.0], "fr": [0.0, 2.0]}, {"en": 1, "fr": 2}),
                            _record("old", {}, {})])  # stored before the sums were kept: counts for nothing
    assert means.means["en"].tolist() == [1.0, 0.0] and means.means["fr"].tolist() == [0.0, 1.0]
    assert means.shares == pytest.approx({"en": 4 / 6, "fr": 2 / 6}) and means.counts == {"en": 4, "fr": 2}
    assert language_means([]) == LanguageMeans()


def test_the_shift_grows_with_the_archive_in_other_languages() -> None:
    means = LanguageMeans(means={"fr": np.array([0.0, 1.0], np.float32), "en": np.array([1.0, 0.0], np.float32)},
                          shares={"fr": 0.2, "en": 0.8}, counts={"fr": 20, "en": 80})
    query = np.array([0.6, 0.8], np.float32)
    assert means.shifted(query, "fr", 0.5).tolist() == pytest.approx([0.6, 0.8 - 0.5 * 0.8])
    assert means.shifted(query, "en", 0.5).tolist() == pytest.approx([0.6 - 0.5 * 0.2, 0.8])
    assert means.shifted(query, "ko", 0.5) is query  # no Korean in the archive
    assert means.shifted(query, "fr", 0.0) is query
    alone = LanguageMeans(means={"fr": np.array([0.0, 1.0], np.float32)}, shares={"fr": 1.0}, counts={"fr": 9})
    assert alone.shifted(query, "fr", 0.5).tolist() == pytest.approx(query.tolist())  # nothing to reach


def test_a_language_of_a_few_chunks_shifts_nothing() -> None:
    """One French line read as English must not push every English query towards its subject."""
    means = LanguageMeans(means={"en": np.array([1.0, 0.0], np.float32)}, shares={"en": 0.001}, counts={"en": 1})
    query = np.array([0.6, 0.8], np.float32)
    assert means.shifted(query, "en", 0.5, min_chunks=10) is query
    assert means.shifted(query, "en", 0.5, min_chunks=1) is not query


class _Embedder:
    """Unit vectors by language of the text: French texts on one axis, the rest on the other."""

    dim = 2

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.array([[0.0, 1.0] if " la " in f" {t} " else [1.0, 0.0] for t in texts], np.float32)


def test_query_vectors_are_the_raw_and_the_steered_one() -> None:
    means = LanguageMeans(means={"fr": np.array([0.5, 0.5], np.float32)}, shares={"fr": 0.5}, counts={"fr": 50})
    raw, steered = query_vectors("la compression du cache des modèles", _Embedder(),  # type: ignore[arg-type]
                                 means, RetrievalSettings(language_shift=1.0))
    assert raw.tolist() == [0.0, 1.0]
    assert steered.tolist() == pytest.approx([-0.25, 0.75])
