"""`veille eval`: retrieval quality on BEIR-layout folders, and kb-questions-style files over a store.

Metrics come from ir-measures (pytrec_eval underneath): ranking metrics are easy to get subtly
wrong (ties, cut-offs, missing judgements), so none is computed by hand here.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ir_measures
from ir_measures import RR, R, nDCG
from pydantic import BaseModel, Field

from veille.errors import EmptyInputError, ParseError
from veille.index.hits import Hit, SearchMode
from veille.kb import KnowledgeBase
from veille.pipeline import IngestReport
from veille.reader.answer import Answer

MEASURES = {"nDCG@10": nDCG @ 10, "R@10": R @ 10, "R@100": R @ 100, "MRR@10": RR @ 10}
MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "sparse")


class BeirSet(BaseModel):
    """A BEIR-layout retrieval set, possibly a sample of it."""

    name: str
    docs: list[dict[str, Any]] = Field(description="corpus.jsonl records (_id, title, text).")
    queries: list[dict[str, Any]] = Field(description="Queries that have judgements (_id, text).")
    qrels: dict[str, dict[str, int]] = Field(description="query id → document id → relevance.")
    sampled: bool = Field(default=False, description="True when docs or queries were capped.")


class ModeScores(BaseModel):
    """Quality and speed of one search mode on one set."""

    mode: SearchMode
    metrics: dict[str, float] = Field(description="nDCG@10, R@10, R@100, MRR@10 (ir-measures).")
    p50_ms: float = Field(description="Median warm latency of a single search (query embedding included).")
    p95_ms: float
    batch_ms_per_query: float = Field(description="Wall time per query of the batched run.")


class BeirReport(BaseModel):
    """`veille eval DIR`: one row per mode."""

    name: str
    docs: int
    queries: int
    sampled: bool
    ingest_s: float
    failed_docs: int = Field(description="Corpus records that could not be ingested (reported, not scored).")
    latency_queries: int = Field(description="How many single searches the latencies come from.")
    modes: list[ModeScores]


class QuestionResult(BaseModel):
    """One kb-questions item: where search ranks its gold source, and what ask made of it."""

    id: str
    lang: str | None = None
    answerable: bool = Field(default=True, description="False for a question the archive cannot answer.")
    gold_rank: int | None = Field(description="Rank of the first gold document (per-document ranking).")
    found: bool | None = Field(default=None, description="ask answered (None when ask was not run).")
    cited: bool | None = Field(default=None, description="ask cited a gold source.")
    stated: bool | None = Field(default=None, description="ask's answer contains every answer_contains string.")
    ask_ms: float | None = Field(default=None, description="Wall time of the first ask of this question.")
    warm_ask_ms: float | None = Field(default=None, description="Wall time of the same ask again.")


class QuestionsReport(BaseModel):
    """`veille eval --questions FILE`."""

    questions: int = Field(description="Questions the archive answers (with gold sources); the rates below are "
                           "theirs.")
    unanswerable: int = Field(default=0, description="Questions it cannot answer (no gold source).")
    hit_at_1: float
    hit_at_5: float
    citation_hit_rate: float | None = None
    answer_contains_rate: float | None = None
    refusal_rate: float | None = Field(default=None, description="Share of the unanswerable questions refused.")
    answer_precision: float | None = Field(default=None, description="Of all the answers given, the share that "
                                           "states the expected fact (an answer to an unanswerable question is "
                                           "wrong).")
    ask_p50_ms: float | None = Field(default=None, description="Median time of each question's first ask, in the "
                                     "order of the file, nothing asked before (offline unless an LLM is set).")
    ask_p95_ms: float | None = None
    warm_ask_p50_ms: float | None = Field(default=None, description="Median time of the same questions asked again.")
    warm_ask_p95_ms: float | None = None
    results: list[QuestionResult]


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, decoded value) for each non-blank line; malformed JSON names its line."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(f"malformed JSON ({exc.msg})", source=f"{path}:{n}") from exc


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ParseError("missing file (a BEIR folder has corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv)",
                         source=str(path))
    rows = []
    for n, row in json_lines(path):
        if not isinstance(row, dict) or "_id" not in row:
            raise ParseError("expected an object with an '_id'", source=f"{path}:{n}")
        rows.append(row)
    return rows


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query-id, corpus-id, score per line (tab-separated; a header line is allowed)."""
    if not path.is_file():
        raise ParseError("missing qrels file", source=str(path))
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        cells = line.rstrip("\n").split("\t")
        if not line.strip() or (n == 1 and not cells[-1].strip().lstrip("-").isdigit()):
            continue
        if len(cells) < 3 or not cells[2].strip().lstrip("-").isdigit():
            raise ParseError("expected 'query-id<TAB>corpus-id<TAB>score'", source=f"{path}:{n}")
        qrels.setdefault(cells[0], {})[cells[1]] = int(cells[2])
    if not qrels:
        raise EmptyInputError("no judgements", source=str(path))
    return qrels


def load_beir(folder: Path, split: str = "test", max_docs: int | None = None, max_queries: int | None = None,
              seed: int = 0) -> BeirSet:
    """Read a BEIR folder. With caps: a seeded sample of judged queries, every document judged for
    them, then other documents up to `max_docs` (so the sample stays answerable)."""
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    queries = [q for q in _jsonl(folder / "queries.jsonl") if str(q["_id"]) in qrels]
    if not queries:
        raise EmptyInputError(f"no query of queries.jsonl has a judgement in qrels/{split}.tsv", source=str(folder))
    docs = _jsonl(folder / "corpus.jsonl")
    sampled = (max_queries is not None and len(queries) > max_queries) or (
        max_docs is not None and len(docs) > max_docs)
    if max_queries is not None and len(queries) > max_queries:
        random.Random(seed).shuffle(queries)
        queries = sorted(queries[:max_queries], key=lambda q: str(q["_id"]))
    if max_docs is not None and len(docs) > max_docs:
        wanted = {d for q in queries for d in qrels[str(q["_id"])]}
        docs = [d for d in docs if str(d["_id"]) in wanted] + [
            d for d in docs if str(d["_id"]) not in wanted][: max(0, max_docs - len(wanted))]
    kept = {str(q["_id"]) for q in queries}
    return BeirSet(name=folder.resolve().name, docs=docs, queries=queries,
                   qrels={q: r for q, r in qrels.items() if q in kept}, sampled=sampled)


def run_beir(kb: KnowledgeBase, beir: BeirSet, workdir: Path, modes: tuple[SearchMode, ...] = MODES,
             latency_queries: int = 100) -> BeirReport:
    """Ingest the set's corpus into `kb` (meant to be a throwaway store) and score each mode."""
    start = time.perf_counter()
    report = ingest_beir(kb, beir, workdir)
    ingest_s = time.perf_counter() - start
    sample = beir.queries[:latency_queries]
    rows = [_score_mode(kb, beir, mode, sample) for mode in modes]
    return BeirReport(name=beir.name, docs=len(beir.docs), queries=len(beir.queries), sampled=beir.sampled,
                      ingest_s=ingest_s, failed_docs=len(report.failed), latency_queries=len(sample), modes=rows)


def ingest_beir(kb: KnowledgeBase, beir: BeirSet, workdir: Path) -> IngestReport:
    """Write the set's corpus as JSON lines under `workdir` and ingest it into `kb`."""
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = workdir / f"{beir.name}-corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in beir.docs), encoding="utf-8")
    return kb.ingest([corpus])


def _score_mode(kb: KnowledgeBase, beir: BeirSet, mode: SearchMode, sample: list[dict[str, Any]]) -> ModeScores:
    texts = [str(q["text"]) for q in beir.queries]
    start = time.perf_counter()
    results = kb.search_many(texts, k=100, mode=mode, per_doc=True)
    batch = (time.perf_counter() - start) / len(texts)
    # a query with no hit must still count (as zero): pytrec_eval skips queries absent from the run
    run = {str(q["_id"]): {h.doc_id: h.score for h in hits} or {"-": 0.0}
           for q, hits in zip(beir.queries, results, strict=True)}
    scores = ir_measures.calc_aggregate(list(MEASURES.values()), beir.qrels, run)
    p50, p95 = latency(kb, [str(q["text"]) for q in sample], mode)
    return ModeScores(mode=mode, metrics={name: float(scores[m]) for name, m in MEASURES.items()},
                      p50_ms=p50, p95_ms=p95, batch_ms_per_query=batch * 1000)


def latency(kb: KnowledgeBase, queries: list[str], mode: SearchMode = "hybrid", k: int = 10) -> tuple[float, float]:
    """p50 and p95 in ms of single warm searches (one warm-up search first)."""
    if not queries:
        return 0.0, 0.0
    kb.search(queries[0], k=k, mode=mode)
    times = []
    for q in queries:
        start = time.perf_counter()
        kb.search(q, k=k, mode=mode)
        times.append((time.perf_counter() - start) * 1000)
    return percentiles(times)


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95 (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def load_questions(path: Path) -> list[dict[str, Any]]:
    """kb-questions lines: id, question, gold_sources (file names or arXiv ids), answer_contains. Empty
    gold_sources mark a question the archive cannot answer: a refusal is its right answer."""
    if not path.is_file():
        raise ParseError("no such questions file", source=str(path))
    rows = []
    for n, row in json_lines(path):
        if not (isinstance(row, dict) and isinstance(row.get("question"), str) and row["question"].strip()
                and isinstance(row.get("gold_sources"), list)):
            raise ParseError('expected {"id", "question", "gold_sources": [...], "answer_contains": [...]}',
                             source=f"{path}:{n}")
        rows.append(row | {"id": str(row.get("id", n))})
    if not rows:
        raise EmptyInputError("no questions", source=str(path))
    return rows


def is_gold(arxiv_id: str | None, source: str, golds: list[str]) -> bool:
    """A hit or citation names a gold source by arXiv id or by file name."""
    return (arxiv_id is not None and arxiv_id in golds) or Path(source).name in golds


def gold_rank(hits: list[Hit], golds: list[str]) -> int | None:
    """Rank of the first hit from a gold source."""
    return next((h.rank for h in hits if is_gold(h.arxiv_id, h.source, golds)), None)


def run_questions(kb: KnowledgeBase, questions: list[dict[str, Any]], ask: bool = True) -> QuestionsReport:
    """Gold-source hit@1/@5 of per-document search; with `ask`, citation hit rate, answer_contains share, and
    each question's ask timed the first time (its sentences new to the process) and again."""
    results = kb.search_many([q["question"] for q in questions], k=10, per_doc=True)
    rows = []
    for q, hits in zip(questions, results, strict=True):
        row = QuestionResult(id=q["id"], lang=q.get("lang"), answerable=bool(q["gold_sources"]),
                             gold_rank=gold_rank(hits, q["gold_sources"]))
        if ask:
            row.ask_ms, a = _timed_ask(kb, q["question"])
            row.found = a.found
            row.cited = any(is_gold(c.arxiv_id, c.source, q["gold_sources"]) for c in a.citations)
            row.stated = a.found and all(str(s).lower() in a.answer.lower() for s in q.get("answer_contains", []))
        rows.append(row)
    if ask:  # the same questions again: what a repeated or similar question costs once its text is known
        for row, q in zip(rows, questions, strict=True):
            row.warm_ask_ms = _timed_ask(kb, q["question"])[0]
    answerable = [r for r in rows if r.answerable]
    beyond = [r for r in rows if not r.answerable]
    n = max(len(answerable), 1)
    p50, p95 = percentiles([r.ask_ms for r in rows if r.ask_ms is not None]) if ask else (None, None)
    warm50, warm95 = percentiles([r.warm_ask_ms for r in rows if r.warm_ask_ms is not None]) if ask else (None, None)
    answered = [r for r in rows if r.found]
    return QuestionsReport(
        questions=len(answerable), unanswerable=len(beyond), results=rows, ask_p50_ms=p50, ask_p95_ms=p95,
        warm_ask_p50_ms=warm50, warm_ask_p95_ms=warm95,
        hit_at_1=sum(1 for r in answerable if r.gold_rank == 1) / n,
        hit_at_5=sum(1 for r in answerable if r.gold_rank is not None and r.gold_rank <= 5) / n,
        citation_hit_rate=sum(1 for r in answerable if r.cited) / n if ask else None,
        answer_contains_rate=sum(1 for r in answerable if r.stated) / n if ask else None,
        refusal_rate=sum(1 for r in beyond if not r.found) / len(beyond) if ask and beyond else None,
        answer_precision=sum(1 for r in answerable if r.stated) / len(answered) if ask and answered else None)


def _timed_ask(kb: KnowledgeBase, question: str) -> tuple[float, Answer]:
    start = time.perf_counter()
    answer = kb.ask(question)
    return (time.perf_counter() - start) * 1000, answer
