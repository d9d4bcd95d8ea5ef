"""Each language's mean chunk vector in the archive, and a query's shift away from its own language's.

A multilingual embedder puts a text near every text of its own language: a Korean topic lands on the
Korean notes whatever their subject, a French one on the French notes, before the English paper that is
about it. Part of a vector says which language the text is in (Libovický et al., "On the Language
Neutrality of Pre-trained Multilingual Representations", 2020); taking a share of its language's mean
vector away from the query leaves more of what it is about. The shift grows with the share of the
archive written in other languages: a query over an archive all in its own language is left as it is.
The means come from the documents' records (each keeps the sum of its body chunks' vectors), so they
follow the archive as it grows. A language's mean counts once enough chunks are written in it: the mean of
a handful says what they are about more than which language they are in (a one-line French sentence read
as English would otherwise push every English query towards its subject).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from veille.index.records import DocRecord


@dataclass(frozen=True)
class LanguageMeans:
    """The archive's mean body-chunk vector per language, and each language's share of those chunks."""

    means: dict[str, np.ndarray] = field(default_factory=dict)
    shares: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def shifted(self, vector: np.ndarray, lang: str, weight: float, min_chunks: int = 1) -> np.ndarray:
        """`vector` with `weight` × (the share of the archive in other languages) × its language's mean taken
        away; the vector itself when the archive has fewer than `min_chunks` chunks in that language or
        `weight` is 0."""
        mean = self.means.get(lang)
        if mean is None or weight <= 0 or self.counts.get(lang, 0) < min_chunks:
            return vector
        return (vector - weight * (1.0 - self.shares.get(lang, 0.0)) * mean).astype(np.float32)


def language_means(records: Iterable[DocRecord]) -> LanguageMeans:
    """The means of the documents' stored vector sums (documents stored before the sums were kept count for
    nothing until their next ingest)."""
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for record in records:
        for lang, total in record.vector_sums.items():
            sums[lang] = sums.get(lang, 0) + np.asarray(total, np.float64)
            counts[lang] = counts.get(lang, 0) + record.vector_counts.get(lang, 0)
    everything = sum(counts.values())
    if not everything:
        return LanguageMeans()
    return LanguageMeans(means={lang: (sums[lang] / counts[lang]).astype(np.float32) for lang in sums if counts[lang]},
                         shares={lang: counts[lang] / everything for lang in counts}, counts=counts)
