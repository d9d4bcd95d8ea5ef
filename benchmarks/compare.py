"""Veille against the plain LlamaIndex pipeline (benchmarks/baseline.py), same inputs, same machine.

    python -m benchmarks.compare [--quick] [--repeat 1]

Ingest figures come from child processes run alternately (Veille, baseline, Veille, ...), each with
a cold start: the embedding model is loaded before the clock starts, Veille's embedding cache is
empty, and peak memory is the child's own maximum RSS. Quality uses ../shared/eval: kb-questions over
the corpus and seeded subsets of the BEIR sets (Veille through `veille.evaluation`, the same code as
`veille eval`; both scored by ir-measures).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ir_measures

from benchmarks.baseline import Baseline
from veille.evaluation import (
    MEASURES,
    BeirReport,
    BeirSet,
    is_gold,
    latency,
    load_beir,
    load_questions,
    percentiles,
    run_beir,
    run_questions,
)
from veille.index.embedding.cache import EmbeddingCache
from veille.index.embedding.embedder import Embedder
from veille.index.embedding.runtimes import load_embedder
from veille.ingest.arxiv_ids import arxiv_id_from_filename
from veille.kb import KnowledgeBase
from veille.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BENCH_CACHE = Path.home() / ".cache" / "veille-bench"
QUESTIONS = SHARED / "eval" / "kb-questions.jsonl"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _questions_for(names: set[str]) -> list[dict[str, Any]]:
    """kb-questions whose gold source is among the ingested files (all of them on the full corpus)."""
    stems = {arxiv_id_from_filename(n) or n for n in names} | names
    return [q for q in load_questions(QUESTIONS) if set(q["gold_sources"]) & stems]


def veille_child(papers: Path, notes: Path, home: Path) -> dict[str, Any]:
    """Cold ingest (empty embedding cache), re-ingest, then quality and warm latency over papers + notes."""
    with KnowledgeBase(Settings(home=home, cache_dir=home / "cold-cache")) as kb:
        kb.services.embedder.embed_queries(["warm-up"])
        start = time.perf_counter()
        report = kb.ingest([papers])
        first, rss = time.perf_counter() - start, _rss_mib()
        start = time.perf_counter()
        again = kb.ingest([papers])
        reingest = time.perf_counter() - start
        chunks = kb.stats()["chunks"]
        tokens = sum(kb.services.embedder.count_tokens(p.payload["text"]) for p in kb.services.store.export_points())
    # the notes only serve the quality figures: the shared benchmark cache spares embedding them again
    with KnowledgeBase(Settings(home=home, cache_dir=BENCH_CACHE)) as kb:
        kb.ingest([notes])
        qs = _questions_for({p.name for p in papers.glob("*")} | {p.name for p in notes.rglob("*")})
        q = run_questions(kb, qs, ask=True)
        p50, p95 = latency(kb, [x["question"] for x in qs] * 3)
    return {"first_s": first, "reingest_s": reingest, "rss_mib": rss, "points": chunks, "tokens": tokens,
            "docs": report.documents,
            "unchanged": again.count("unchanged"), "questions": len(qs), "hit1": q.hit_at_1, "hit5": q.hit_at_5,
            "cited": q.citation_hit_rate, "stated": q.answer_contains_rate, "p50": p50, "p95": p95}


def baseline_child(papers: Path, notes: Path, home: Path) -> dict[str, Any]:
    """The same steps with the LlamaIndex pipeline (re-ingest = running the script again)."""
    base = Baseline(home / "qdrant", load_embedder())
    base.embed_model.get_query_embedding("warm-up")
    start = time.perf_counter()
    nodes = base.ingest_dir(papers)
    first, rss = time.perf_counter() - start, _rss_mib()
    start = time.perf_counter()
    base.ingest_dir(papers)
    reingest = time.perf_counter() - start
    points = base.points()
    # the notes only serve the quality figures: read their vectors from the shared benchmark cache
    base.use_cache(EmbeddingCache(BENCH_CACHE / "embeddings.sqlite"))
    base.ingest_dir(notes)
    qs = _questions_for({p.name for p in papers.glob("*")} | {p.name for p in notes.rglob("*")})
    ranks = [_baseline_rank(base.retrieve(x["question"], 10), x["gold_sources"]) for x in qs]
    times = []
    for x in qs * 3:
        t = time.perf_counter()
        base.retrieve(x["question"], 10)
        times.append((time.perf_counter() - t) * 1000)
    base.close()
    p50, p95 = percentiles(times)
    return {"first_s": first, "reingest_s": reingest, "rss_mib": rss, "points": points, "nodes": nodes,
            "questions": len(qs), "hit1": sum(r == 1 for r in ranks) / len(qs),
            "hit5": sum(r is not None and r <= 5 for r in ranks) / len(qs), "p50": p50, "p95": p95}


def _baseline_rank(ranked: list[tuple[str, float]], golds: list[str]) -> int | None:
    for rank, (name, _) in enumerate(ranked, start=1):
        if is_gold(arxiv_id_from_filename(name), name, golds):
            return rank
    return None


def run_child(system: str, papers: Path, notes: Path, home: Path) -> dict[str, Any]:
    """One cold run in its own process; its last stdout line is the JSON result."""
    cmd = [sys.executable, "-m", "benchmarks.compare", "--child", system, "--papers", str(papers),
           "--notes", str(notes), "--home", str(home)]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def embed_probe(embedder: Embedder, n: int = 64) -> dict[str, float]:
    """The embedding stage alone on ~300-token passages: the compute bound of an ingest."""
    text = ("Retrieval-augmented generation fetches passages from an index and gives them to the model. " * 17)
    texts = [f"{i} {text}" for i in range(n)]
    tokens = sum(embedder.count_tokens(t) for t in texts)
    start = time.perf_counter()
    embedder.embed_passages(texts)
    secs = time.perf_counter() - start
    return {"tokens_per_s": tokens / secs, "ms_per_passage": secs * 1000 / n, "tokens_per_passage": tokens / n}


def baseline_beir(beir: BeirSet, folder: Path, embedder: Embedder, latency_n: int,
                  cache_dir: Path = BENCH_CACHE) -> dict[str, Any]:
    """The baseline on a BEIR subset: metrics by ir-measures, warm single-query latency.

    Passages go through the shared benchmark cache (same vectors): the subsets measure quality and
    query latency, not ingest time.
    """
    base = Baseline(folder, embedder, cache=EmbeddingCache(cache_dir / "embeddings.sqlite"))
    start = time.perf_counter()
    base.ingest_records(beir.docs)
    ingest_s = time.perf_counter() - start
    run = {str(q["_id"]): dict(base.retrieve(str(q["text"]), 100, key="doc_id")) or {"-": 0.0} for q in beir.queries}
    scores = ir_measures.calc_aggregate(list(MEASURES.values()), beir.qrels, run)
    times = []
    for q in beir.queries[:latency_n]:
        t = time.perf_counter()
        base.retrieve(str(q["text"]), 10, key="doc_id")
        times.append((time.perf_counter() - t) * 1000)
    base.close()
    p50, p95 = percentiles(times)
    return {"metrics": {k: float(scores[m]) for k, m in MEASURES.items()}, "p50": p50, "p95": p95,
            "ingest_s": ingest_s}


def veille_beir(beir: BeirSet, folder: Path, latency_n: int) -> BeirReport:
    """Veille on the same subset, every mode (the code path of `veille eval`)."""
    with KnowledgeBase(Settings(home=folder / "home", cache_dir=BENCH_CACHE)) as kb:
        return run_beir(kb, beir, folder, latency_queries=latency_n)


def _quick_inputs(folder: Path) -> tuple[Path, Path]:
    """The smallest PDF a kb-question is about, the smallest PDF overall, and the French notes."""
    pdfs = sorted((SHARED / "corpus" / "papers").glob("*.pdf"), key=lambda p: p.stat().st_size)
    golds = {g for q in load_questions(QUESTIONS) for g in q["gold_sources"]}
    pick = {next(p for p in pdfs if arxiv_id_from_filename(p.name) in golds), pdfs[0]}
    (folder / "papers").mkdir(parents=True)
    for pdf in pick:
        (folder / "papers" / pdf.name).symlink_to(pdf)
    return folder / "papers", SHARED / "corpus" / "notes" / "fr"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="2 papers, 2 small BEIR subsets (a few minutes).")
    p.add_argument("--repeat", type=int, default=1, help="Alternating ingest runs per system.")
    p.add_argument("--keep", type=Path, help="Keep the first Veille home here (source for scale_bench).")
    p.add_argument("--child", choices=["veille", "baseline"], help=argparse.SUPPRESS)
    p.add_argument("--papers", type=Path, default=SHARED / "corpus" / "papers")
    p.add_argument("--notes", type=Path, default=SHARED / "corpus" / "notes")
    p.add_argument("--home", type=Path)
    args = p.parse_args()
    if args.child:
        fn = veille_child if args.child == "veille" else baseline_child
        print(json.dumps(fn(args.papers, args.notes, args.home)))
        return
    from benchmarks.compare_report import write_report
    with tempfile.TemporaryDirectory(prefix="veille-compare-") as tmp:
        root = Path(tmp)
        papers, notes = _quick_inputs(root) if args.quick else (args.papers, args.notes)
        runs: dict[str, list[dict[str, Any]]] = {"veille": [], "baseline": []}
        for i in range(args.repeat):
            for system in ("veille", "baseline"):
                home = (args.keep if (args.keep and system == "veille" and i == 0) else root / f"{system}-{i}")
                runs[system].append(run_child(system, papers, notes, home))
                print(system, json.dumps(runs[system][-1]), flush=True)
        t0 = time.perf_counter()
        embedder = load_embedder()
        probe = embed_probe(embedder)
        sets = ("scifact-en", "tatoeba-en-ko") if args.quick else (
            "scifact-en", "piaf-fr", "korquad-ko", "tatoeba-en-fr", "tatoeba-en-ko")
        max_docs, max_queries, lat_n = (60, 15, 15) if args.quick else (300, 60, 60)
        quality = []
        for name in sets:
            beir = load_beir(SHARED / "eval" / name, max_docs=max_docs, max_queries=max_queries)
            v = veille_beir(beir, root / f"v-{name}", lat_n)
            b = baseline_beir(beir, root / f"b-{name}", embedder, lat_n)
            quality.append((v, b))
            print(name, v.modes[0].metrics, b["metrics"], f"{time.perf_counter() - t0:.0f} s", flush=True)
        # inside the block: --quick links its papers into the temporary folder, which the report counts
        write_report(ROOT / "BENCHMARKS.md", args, papers, runs, probe, quality, max_docs, max_queries)


if __name__ == "__main__":
    main()
