"""Question → evidence: the passages retrieved for a question, and their sentences scored.

The question is embedded once; its passages come from the hybrid search, from the keyword side alone
(names and figures), from each other answer language, and, for a quantity question naming a document,
from that document's passages giving a figure in the asked unit. The sentences with most lexical
evidence are then embedded (through the cache) and scored (scoring.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from veille.index.embedding.embedder import Embedder
from veille.index.fusion import whole
from veille.index.hits import Hit, SearchFilters
from veille.index.retrieval import hit_from_payload, search_vectors
from veille.index.stores.base import Store
from veille.languages import ANSWER_LANGS
from veille.reader.question import Question, profile
from veille.reader.quotes import Candidate, candidates, documents
from veille.reader.scoring import (
    evidence_score,
    gives_asked,
    named_document,
    names_absent,
    ranking_scores,
    score_sentences,
    units_across,
)
from veille.reader.settings import READER, ReaderSettings

Embed = Callable[[list[str]], np.ndarray]


@dataclass
class Evidence:
    """Scored candidate sentences for one question."""

    question: Question
    cands: list[Candidate]
    vecs: np.ndarray
    scores: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    similarity: float = 1.0  # cosine of the question to the closest stored passage
    floor: float = 0.0  # below this similarity the knowledge base has nothing on the question
    named: bool = True  # False when the question names something no retrieved passage mentions
    documents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per document, its retrieved passages
    cfg: ReaderSettings = field(default_factory=lambda: READER)  # the weights and margins it was scored with

    @property
    def best(self) -> float:
        """The best sentence score (0 when nothing was retrieved)."""
        return float(self.scores.max()) if len(self.scores) else 0.0

    @property
    def ranking(self) -> np.ndarray:
        """The scores sentences are ranked by (see scoring.ranking_scores)."""
        return ranking_scores(self.question, [c.hit.lang for c in self.cands], self.scores)

    @property
    def relevant(self) -> bool:
        """Whether anything retrieved answers the question at all."""
        cfg = self.cfg
        if not self.named or self.similarity < self.floor - cfg.grey_band:
            return False
        if self.best < self.floor + cfg.sentence_margin:
            return False
        return self.similarity >= self.floor or self.best >= cfg.grey_evidence


def gather(q: Question, q_vec: np.ndarray, hits: list[Hit], embed: Embed, cfg: ReaderSettings = READER) -> Evidence:
    """Split hits into sentences, keep the `cfg.pool` with most lexical evidence, embed (cached) and score them."""
    t0 = time.perf_counter()
    whole = documents(hits)

    def evidence(c: Candidate, unit_meant: bool = False) -> float:
        return evidence_score(q, c.text, c.passage, c.hit.lang, c.hit.rank, unit_meant=unit_meant,
                              paged=c.hit.page_start is not None, document=whole[c.hit.doc_id], cfg=cfg)

    cands = candidates(hits)
    lexical = [evidence(c) for c in cands]
    keep = pooled(lexical, [c.hit.lang for c in cands], q.lang, cfg.pool, [len(c.text) for c in cands],
                  cfg.other_language_places, cfg.pool_chars)
    cands, lexical = [cands[i] for i in keep], [lexical[i] for i in keep]
    across = units_across(q, [(c.text, c.hit.lang) for c in cands], embed, cfg)
    lexical = [evidence(c, unit_meant=True) if meant else e for c, e, meant in zip(cands, lexical, across, strict=True)]
    vecs = embed([c.text for c in cands]) if cands else np.zeros((0, len(q_vec)), np.float32)
    scores = score_sentences(q_vec, vecs, lexical)
    named = not names_absent(q, [passage for passages in whole.values() for passage in passages])
    return Evidence(q, cands, vecs, scores, {"sentences": round(time.perf_counter() - t0, 4)}, named=named,
                    documents=whole, cfg=cfg)


def pooled(lexical: list[float], langs: list[str], own: str, pool: int, sizes: list[int] | None = None,
           reserved: int = READER.other_language_places, budget: int = READER.pool_chars) -> list[int]:
    """Indices of the sentences to embed, in order: for each answer language other than the question's,
    its `reserved` best by lexical evidence, then the best of all, up to `pool` sentences and `budget`
    characters (`sizes`; a sentence that would overflow it is passed over for shorter ones). Terms are
    only shared within a language, so lexical evidence ranks a sentence in another language below any that
    shares the question's words; each language gets its own places, as it does among the passages."""
    order = [int(i) for i in np.argsort(-np.asarray(lexical), kind="stable")]
    lengths = sizes or [0] * len(lexical)
    keep = [i for lang in sorted(set(ANSWER_LANGS) - {own}) for i in [j for j in order if langs[j] == lang][:reserved]]
    total = sum(lengths[i] for i in keep)
    for i in order:
        if len(keep) >= pool:
            break
        if i not in keep and total + lengths[i] <= budget:
            keep.append(i)
            total += lengths[i]
    return sorted(keep)


def _other_languages(q: Question, q_vec: np.ndarray, store: Store, filters: SearchFilters, hits: list[Hit],
                     k: int) -> list[Hit]:
    """The best dense passages in each answer language other than the question's. e5 ranks a passage in
    the question's own language above an equally relevant one in another (a fact in a Korean note asked in
    English ranks among the first of the Korean passages but far down overall), so each language gets its
    own few places among the passages the reader weighs."""
    fresh: list[Hit] = []
    for lang in sorted(set(filters.lang or ANSWER_LANGS) - {q.lang}):
        held = {h.chunk_id for h in hits + fresh}
        found = search_vectors(q.text, q_vec, store=store, k=k, mode="dense",
                               filters=filters.model_copy(update={"lang": [lang]}), per_doc=False)
        fresh += [h for h in found if h.chunk_id not in held]
    return [h.model_copy(update={"rank": len(hits) + i}) for i, h in enumerate(fresh, start=1)]


def _lexical_extra(question: str, q_vec: np.ndarray, store: Store, filters: SearchFilters, hits: list[Hit],
                   k: int) -> list[Hit]:
    """The best keyword passages fusion left out. Hybrid ranking leans on meaning, more so for a question
    in another language than the passages, and can push the passage that states the asked figure or
    name past the pool; the reader weighs their sentences like any other, after the fused ones."""
    held = {h.chunk_id for h in hits}
    extra = search_vectors(question, q_vec, store=store, k=k, mode="sparse", filters=filters, per_doc=False)
    fresh = [h for h in extra if h.chunk_id not in held]
    return [h.model_copy(update={"rank": len(hits) + i}) for i, h in enumerate(fresh, start=1)]


def _figures_of_named(q: Question, q_vec: np.ndarray, store: Store, filters: SearchFilters, hits: list[Hit],
                      cfg: ReaderSettings) -> list[Hit]:
    """The passages of the document the question names that give a figure in the asked unit, or after the
    named quantity, in any of the archive's languages, and that retrieval left out. A question in another
    language than a long paper ranks the passage stating "contains 1.75T tokens" or "a batch size of 1024"
    among hundreds of the same paper, while the name and the unit point straight at it.
    The document's passages are read by an exact search within it (the caller's filters hold), nearest
    first: milliseconds, and nothing to embed."""
    if not q.units and not q.quantities:
        return []
    doc = named_document(q, documents(hits))
    if doc is None:
        return []
    held = {h.chunk_id for h in hits}
    rows = store.query(q_vec.tolist(), None, "dense", cfg.document_depth,
                       filters.model_copy(update={"doc_id": [doc]}), False, ("text",))
    found = list(islice(((score, p) for score, p in rows
                         if p["chunk_id"] not in held and gives_asked(q, p.get("text", ""))), cfg.figures_of_named))
    return [hit_from_payload(len(hits) + i, score, p) for i, (score, p) in enumerate(whole(store, found), start=1)]


def collect(question: str, *, embedder: Embedder, store: Store, embed: Embed, k: int,
            filters: SearchFilters, floor: float, variants: Sequence[str] = (),
            cfg: ReaderSettings = READER) -> tuple[Evidence, list[Hit]]:
    """Retrieve k passages for the question and score their sentences (the question is embedded once).

    `variants` (the question in other languages, LLM mode) are searched too, their rankings merged with
    the question's; sentences are still scored against the question itself. `cfg`: the reader's weights."""
    t0 = time.perf_counter()
    depth = k * cfg.fetch
    q = profile(question)
    vecs = embedder.embed_queries([question, *variants])
    q_vec = vecs[0]
    hits = search_vectors(question, q_vec, store=store, k=depth, mode="hybrid", filters=filters, per_doc=False)
    if variants:
        hits = merged([hits, *(search_vectors(v, vec, store=store, k=depth, mode="hybrid", filters=filters,
                                              per_doc=False) for v, vec in zip(variants, vecs[1:], strict=True))],
                      depth)
    for text, vec in zip([question, *variants], vecs, strict=True):
        hits += _lexical_extra(text, vec, store, filters, hits, depth)
    if q.salient:  # names and figures are written alike in every language: the keys across languages
        hits += _lexical_extra(" ".join(sorted(q.salient)), q_vec, store, filters, hits, depth)
    hits += _other_languages(q, q_vec, store, filters, hits, k)
    hits += _figures_of_named(q, q_vec, store, filters, hits, cfg)
    # how close the archive comes: a translation in a passage's own language may come closer than the question
    closest = [row[0] for vec in vecs for row in store.query(vec.tolist(), None, "dense", 1, filters, False)]
    t1 = time.perf_counter()
    ev = gather(q, q_vec, hits, embed, cfg)
    ev.timings["retrieve"] = round(t1 - t0, 4)
    ev.similarity, ev.floor = max(closest, default=0.0), floor
    return ev, hits


def merged(rankings: list[list[Hit]], limit: int, rrf_k: int = 60) -> list[Hit]:
    """One ranking from several queries' (reciprocal rank fusion: their scores come from different
    queries, their ranks compare); a chunk keeps its Hit from the first ranking it is in."""
    score: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, h in enumerate(ranking, start=1):
            score[h.chunk_id] = score.get(h.chunk_id, 0.0) + 1.0 / (rrf_k + rank)
            first.setdefault(h.chunk_id, h)
    order = sorted(score, key=lambda c: -score[c])[:limit]
    return [first[c].model_copy(update={"rank": r}) for r, c in enumerate(order, start=1)]
