"""Themes and cross-document insights for digests.

Themes: average-linkage clustering of document mean vectors (scikit-learn), named by the words
that are frequent in the group's titles and quotes but rare elsewhere (c-TF-IDF style).
Insights: only statements we can cite, i.e. notes that discuss a paper in the digest, names that
recur across documents, and the closest pair of documents, each followed by the quotes behind it.
"""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np

from veille.digest.brief import CitedText, Theme
from veille.digest.key_sentences import DocView, Numbering
from veille.digest.settings import DIGEST, DigestSettings
from veille.languages import common, text_for

# e5 document means all sit within ~0.03 cosine of each other (anisotropy): themes and "closest
# pair" are judged on means centred on the selection's average, where distances spread out.
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9-]{3,}|[\uac00-\ud7a3]{2,}")
_ENTITY = re.compile(r"(?<![\w-])(?:[A-Z][A-Za-z]*[-.]?\d[\w.-]*|[A-Z][a-z]*[A-Z][\w-]*|[A-Z]{2,}[\w-]*)(?![\w-])")


def _generic_names() -> frozenset[str]:
    """Names too common in AI writing to be news (common.toml)."""
    return frozenset(str(common().get("words", {}).get("generic_names", "")).split())


def cluster(views: list[DocView], cfg: DigestSettings = DIGEST) -> list[list[int]]:
    """Groups of document indices, largest first."""
    if len(views) < 3:
        return [list(range(len(views)))]
    from sklearn.cluster import AgglomerativeClustering  # heavy import, only when clustering
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=cfg.theme_distance, metric="cosine",
                                     linkage="average").fit_predict(centred(views))
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def centred(views: list[DocView]) -> np.ndarray:
    """Document means minus their average, unit length."""
    means = np.stack([v.mean for v in views])
    means = means - means.mean(axis=0)
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)


def name(group: list[int], views: list[DocView], size: int = 60) -> str:
    """A theme's name: the title of its most central document, shortened at a word (a title says what a
    group is about; words frequent in the group and rare elsewhere read as a bag of keywords)."""
    centre = np.mean([views[i].mean for i in group], axis=0)
    title = max((views[i] for i in group), key=lambda v: float(v.mean @ centre)).record.title
    return title if len(title) <= size else title[:size].rsplit(" ", 1)[0] + "…"


def themes(views: list[DocView], cfg: DigestSettings = DIGEST) -> list[Theme]:
    """Named groups of related documents."""
    return [Theme(name=name(g, views), doc_ids=[views[i].record.doc_id for i in g]) for g in cluster(views, cfg)]


def _first_with(v: DocView, needle: str) -> int | None:
    return next((i for i, c in enumerate(v.sentences) if needle in c.text), None)


def _cite_sentences(pairs: list[tuple[DocView, int]], numbering: Numbering) -> list[int]:
    return [n for v, i in pairs for n in numbering.cite(v.sentences[i], 1.0).citations]


def links(views: list[DocView], numbering: Numbering, lang: str) -> list[CitedText]:
    """Notes that discuss a paper that is also in the digest."""
    by_arxiv = {v.record.arxiv_id: v for v in views if v.record.arxiv_id}
    out = []
    for v in views:
        for ref in v.record.references:
            paper = by_arxiv.get(ref)
            if paper is None or paper is v or not v.sentences or not paper.sentences:
                continue
            cites = _cite_sentences([(v, _first_with(v, ref) or v.best), (paper, paper.best)], numbering)
            out.append(CitedText(text=text_for(lang, "links_to", a=v.record.title, b=paper.record.title),
                                 citations=cites))
    return out


def shared_entities(views: list[DocView], numbering: Numbering, lang: str, topic: str | None = None,
                    top: int = 2) -> list[CitedText]:
    """Names (models, methods, benchmarks) quoted in several of the selected documents; the topic's own
    words are not news ("KV recurs" in a digest on KV caches)."""
    where: dict[str, list[tuple[DocView, int]]] = {}
    asked = {w.lower() for w in re.findall(r"[\w-]+", topic or "")}
    for v in views:
        seen: set[str] = {e for e in _ENTITY.findall(topic or "")} | {
            e for c in v.sentences for e in _ENTITY.findall(c.text) if e.lower() in asked}
        for i, c in enumerate(v.sentences):
            for entity in set(_ENTITY.findall(c.text)) - seen - _generic_names():
                seen.add(entity)
                where.setdefault(entity, []).append((v, i))
    common = sorted((e for e in where if len(where[e]) > 1), key=lambda e: (-len(where[e]), e))[:top]
    return [CitedText(text=text_for(lang, "shared_entity", entity=e),
                      citations=_cite_sentences(where[e][:4], numbering)) for e in common]


def closest_pair(views: list[DocView], numbering: Numbering, lang: str,
                 cfg: DigestSettings = DIGEST) -> list[CitedText]:
    """The two selected documents nearest to each other, when they are close (centred cosine ≥ `cfg.close_pair`)."""
    if len(views) < 3:
        return []  # with two documents, "closest pair" says nothing
    c = centred(views)
    pairs = [(float(c[i] @ c[j]), views[i], views[j]) for i, j in combinations(range(len(views)), 2)
             if views[i].sentences and views[j].sentences]
    if not pairs:
        return []
    sim, a, b = max(pairs, key=lambda p: p[0])
    if sim < cfg.close_pair:
        return []  # the nearest two are not close: saying which they are would mislead
    return [CitedText(text=text_for(lang, "close_pair", a=a.record.title, b=b.record.title, sim=sim),
                      citations=_cite_sentences([(a, a.best), (b, b.best)], numbering))]


def insights(views: list[DocView], numbering: Numbering, lang: str, topic: str | None = None,
             cfg: DigestSettings = DIGEST) -> list[CitedText]:
    """Every cross-document statement we can back with quotes."""
    return [*links(views, numbering, lang), *shared_entities(views, numbering, lang, topic),
            *closest_pair(views, numbering, lang, cfg)]
