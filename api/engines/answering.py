"""Question → Answer: retrieve, gather candidate sentences, answer extractively or with an LLM."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from veille.engines.evidence import Candidate, candidates, citation, continued, documents
from veille.engines.i18n import ANSWER_LANGS, text_for
from veille.engines.models import Answer, Citation
from veille.engines.relevance import (
    Question,
    evidence_score,
    gives_asked,
    mmr,
    named_document,
    names_absent,
    profile,
    ranking_scores,
    score_sentences,
    units_across,
)
from veille.index.embedder import Embedder
from veille.index.fusion import whole
from veille.index.models import Hit, SearchFilters
from veille.index.retrieval import hit_from_payload, search_vectors
from veille.index.store import Store
from veille.ingest.errors import QueryError
from veille.ingest.lang import detect_language

# A quoted sentence must score at least this much above the passage floor (Settings.ask_min_similarity).
# With e5-small (floor 0.83), sentences that answer score 1.0-1.4 over ../shared/corpus, stray ones
# 0.8-0.95; the passage floor does most of the refusing.
SENTENCE_MARGIN = 0.07
# Just under the floor, a passage still counts when one of its sentences carries strong evidence:
# runtimes move cosines by ~0.005, and a question answered by one short document lands there.
# Over ../shared/corpus (onnx-int8), off-topic questions in that band had best sentences <= 0.93,
# answered ones >= 1.0.
GREY_BAND, GREY_EVIDENCE = 0.01, 1.0
# Sentences embedded per question: the ones with most lexical evidence (embedding is the cost of a new
# question). Over the 111 questions on ../shared/corpus, pools of 24 (and 3,000 characters, below) and 400
# (all, no character cap) state the same 106 facts; 16 states 104.
POOL = 24
FETCH = 3  # passages fetched per passage asked for, so the pool reaches past the few best chunks
# Places in the pool kept for each answer language other than the question's (see pooled): over the
# 111 questions, 2 to 6 answered alike, one more fact stated than without (a Korean sentence 51st of
# 395 by lexical evidence, 4th among the Korean ones).
OTHER_LANGUAGE_PLACES = 3
# and at most this many characters in all: the pool's embedding is most of a new question's time, and the
# longest pools (4,400 characters over the kb questions, p50 3,200) made the slowest answers; over the
# 111 questions 3,000 and 3,500 state the same facts as no limit, 2,500 one fewer.
POOL_CHARS = 3000
# Passages of the document a quantity question names that give a figure in the asked unit or quantity, read
# from the store whatever their rank (see _figures_of_named); over the 111 questions of benchmarks/ and
# ../shared/eval, 6, 12 and 40 state the same 102 facts.
FIGURES_OF_NAMED = 12
DOCUMENT_DEPTH = 2000  # a document's passages read at most (a 300-page book has ~1,000)
_LATIN_OR_HANGUL = re.compile(r"[A-Za-zÀ-ɏ\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

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

    @property
    def best(self) -> float:
        """The best sentence score (0 when nothing was retrieved)."""
        return float(self.scores.max()) if len(self.scores) else 0.0

    @property
    def ranking(self) -> np.ndarray:
        """The scores sentences are ranked by (see relevance.ranking_scores)."""
        return ranking_scores(self.question, [c.hit.lang for c in self.cands], self.scores)

    @property
    def relevant(self) -> bool:
        """Whether anything retrieved answers the question at all."""
        if not self.named or self.similarity < self.floor - GREY_BAND or self.best < self.floor + SENTENCE_MARGIN:
            return False
        return self.similarity >= self.floor or self.best >= GREY_EVIDENCE


def check_question(question: str) -> str:
    """The stripped question; QueryError when it is empty or written in a script Veille cannot answer in."""
    text = (question or "").strip()
    if not text:
        raise QueryError("empty question", source="question")
    letters = _LETTER.findall(text)
    if letters and len(_LATIN_OR_HANGUL.findall(text)) / len(letters) < 0.5:
        raise QueryError("unsupported script: Veille answers questions in English, French or Korean",
                         source=text[:60])
    return text


def answer_language(question: str, lang: str | None) -> str:
    """The requested language, else the question's own (English when it cannot be told)."""
    if lang:
        if lang not in ANSWER_LANGS:
            raise QueryError(f"unsupported answer language {lang!r}; use one of {sorted(ANSWER_LANGS)}",
                             source="lang")
        return lang
    detected = detect_language(question, min_letters=8)
    return detected if detected in ANSWER_LANGS else "en"


def gather(q: Question, q_vec: np.ndarray, hits: list[Hit], embed: Embed, pool: int = POOL) -> Evidence:
    """Split hits into sentences, keep the `pool` with most lexical evidence, embed (cached) and score them."""
    t0 = time.perf_counter()
    whole = documents(hits)

    def evidence(c: Candidate, unit_meant: bool = False) -> float:
        return evidence_score(q, c.text, c.passage, c.hit.lang, c.hit.rank, unit_meant=unit_meant,
                              paged=c.hit.page_start is not None, document=whole[c.hit.doc_id])

    cands = candidates(hits)
    lexical = [evidence(c) for c in cands]
    keep = pooled(lexical, [c.hit.lang for c in cands], q.lang, pool, [len(c.text) for c in cands])
    cands, lexical = [cands[i] for i in keep], [lexical[i] for i in keep]
    across = units_across(q, [(c.text, c.hit.lang) for c in cands], embed)
    lexical = [evidence(c, unit_meant=True) if meant else e for c, e, meant in zip(cands, lexical, across, strict=True)]
    vecs = embed([c.text for c in cands]) if cands else np.zeros((0, len(q_vec)), np.float32)
    scores = score_sentences(q_vec, vecs, lexical)
    named = not names_absent(q, [passage for passages in whole.values() for passage in passages])
    return Evidence(q, cands, vecs, scores, {"sentences": round(time.perf_counter() - t0, 4)}, named=named)


def pooled(lexical: list[float], langs: list[str], own: str, pool: int, sizes: list[int] | None = None,
           reserved: int = OTHER_LANGUAGE_PLACES, budget: int = POOL_CHARS) -> list[int]:
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


def select(ev: Evidence, max_sentences: int) -> list[int]:
    """Indices of the sentences that best answer, relevant and not redundant, best first."""
    return [i for i in mmr(ev.ranking, ev.vecs, max_sentences) if ev.scores[i] >= ev.floor + SENTENCE_MARGIN]


def cite(ev: Evidence, picked: list[int]) -> list[Citation]:
    """Citations numbered 1.. in the order given."""
    wants, apart = ev.question.quantitative, frozenset((ev.cands[i].hit.chunk_id, ev.cands[i].start) for i in picked)
    return [citation(n, continued(ev.cands[i], wants, apart), ev.scores[i]) for n, i in enumerate(picked, start=1)]


def nothing_found(question: str, lang: str, timings: dict[str, float]) -> Answer:
    """The plain 'no answer' reply."""
    return Answer(question=question, answer=text_for(lang, "no_answer"), lang=lang, mode="none", found=False,
                  timings=timings)


def extractive(question: str, lang: str, ev: Evidence, max_sentences: int = 3) -> Answer:
    """The best sentences, best first, each followed by its [n]; or a plain 'nothing found'."""
    picked = select(ev, max_sentences) if ev.relevant else []
    if not picked:
        return nothing_found(question, lang, ev.timings)
    cites = cite(ev, picked)
    text = " ".join(f"{c.quote.strip()} [{c.n}]" for c in cites)
    return Answer(question=question, answer=text, lang=lang, mode="extractive", found=True, citations=cites,
                  timings=ev.timings)


def stream_text(answer: Answer, chunk: int = 24) -> Iterator[str]:
    """An already built answer as text pieces (the extractive path streams like the LLM one)."""
    for i in range(0, len(answer.answer), chunk):
        yield answer.answer[i:i + chunk]


def _other_languages(q: Question, q_vec: np.ndarray, store: Store, filters: SearchFilters, hits: list[Hit],
                     k: int) -> list[Hit]:
    """The best dense passages in each answer language other than the question's. e5 ranks a passage in
    the question's own language above an equally relevant one in another (over ../shared/corpus, facts
    in a Korean or French note asked in English ranked 1-3 among their language's passages and 11-300
    overall), so each language gets its own few places among the passages the reader weighs."""
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
                      limit: int = FIGURES_OF_NAMED) -> list[Hit]:
    """The passages of the document the question names that give a figure in the asked unit, or after the
    named quantity, in any of the archive's languages, and that retrieval left out. A question in another
    language than a long paper ranks the passage stating "contains 1.75T tokens" or "a batch size of 1024"
    among hundreds of the same paper (16th-56th within it over ../shared/corpus), while the name and the
    unit point straight at it.
    The document's passages are read by an exact search within it (the caller's filters hold), nearest
    first: milliseconds, and nothing to embed."""
    if not q.units and not q.quantities:
        return []
    doc = named_document(q, documents(hits))
    if doc is None:
        return []
    held = {h.chunk_id for h in hits}
    rows = store.query(q_vec.tolist(), None, "dense", DOCUMENT_DEPTH, filters.model_copy(update={"doc_id": [doc]}),
                       False, ("text",))
    found = list(islice(((score, p) for score, p in rows
                         if p["chunk_id"] not in held and gives_asked(q, p.get("text", ""))), limit))
    return [hit_from_payload(len(hits) + i, score, p) for i, (score, p) in enumerate(whole(store, found), start=1)]


def collect(question: str, *, embedder: Embedder, store: Store, embed: Embed, k: int,
            filters: SearchFilters, floor: float, variants: Sequence[str] = ()) -> tuple[Evidence, list[Hit]]:
    """Retrieve k passages for the question and score their sentences (the question is embedded once).

    `variants` (the question in other languages, LLM mode) are searched too, their rankings merged with
    the question's; sentences are still scored against the question itself."""
    t0 = time.perf_counter()
    q = profile(question)
    vecs = embedder.embed_queries([question, *variants])
    q_vec = vecs[0]
    hits = search_vectors(question, q_vec, store=store, k=k * FETCH, mode="hybrid", filters=filters,
                          per_doc=False)
    if variants:
        hits = merged([hits, *(search_vectors(v, vec, store=store, k=k * FETCH, mode="hybrid", filters=filters,
                                              per_doc=False) for v, vec in zip(variants, vecs[1:], strict=True))],
                      k * FETCH)
    for text, vec in zip([question, *variants], vecs, strict=True):
        hits += _lexical_extra(text, vec, store, filters, hits, k * FETCH)
    if q.salient:  # names and figures are written alike in every language: the keys across languages
        hits += _lexical_extra(" ".join(sorted(q.salient)), q_vec, store, filters, hits, k * FETCH)
    hits += _other_languages(q, q_vec, store, filters, hits, k)
    hits += _figures_of_named(q, q_vec, store, filters, hits)
    # how close the archive comes: a translation in a passage's own language may come closer than the question
    closest = [row[0] for vec in vecs for row in store.query(vec.tolist(), None, "dense", 1, filters, False)]
    t1 = time.perf_counter()
    ev = gather(q, q_vec, hits, embed)
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
