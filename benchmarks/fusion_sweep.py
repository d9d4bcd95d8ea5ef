"""Weight of the keyword side in hybrid fusion, swept on one BEIR set (the tuning instrument for
veille.index.retrieval.SPARSE_WEIGHT).

    python -m benchmarks.fusion_sweep ../shared/eval/korquad-ko [--max-docs N] [--max-queries N]
        [--weights 0.3,0.5,0.75,1,1.5]

The corpus goes into a throwaway store (vectors from the shared benchmark cache), queries are
embedded once, then dense, sparse and hybrid at each weight are scored by ir-measures exactly as
`veille eval` scores them (one best passage per document, k=100). Prints a Markdown table; writes
nothing (weights are a decision, recorded by hand in BENCHMARKS.md with the figures behind it).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import ir_measures
import numpy as np

from benchmarks.compare import BENCH_CACHE
from veille.evaluation import MEASURES, BeirSet, ingest_beir, load_beir
from veille.index.hits import SearchFilters, SearchMode
from veille.index.retrieval import search_vectors
from veille.index.stores.base import Store
from veille.kb import KnowledgeBase
from veille.settings import Settings


def score(beir: BeirSet, dense: np.ndarray, store: Store, mode: SearchMode, weight: float) -> dict[str, float]:
    """nDCG@10 and the other `veille eval` measures for one mode and keyword weight."""
    run = {}
    for q, vec in zip(beir.queries, dense, strict=True):
        hits = search_vectors(str(q["text"]), vec, store=store, k=100, mode=mode, filters=SearchFilters(),
                              per_doc=True, sparse_weight=weight)
        run[str(q["_id"])] = {h.doc_id: h.score for h in hits} or {"-": 0.0}
    scores = ir_measures.calc_aggregate(list(MEASURES.values()), beir.qrels, run)
    return {name: float(scores[m]) for name, m in MEASURES.items()}


def sweep(beir: BeirSet, home: Path, weights: list[float], cache_dir: Path = BENCH_CACHE) -> list[str]:
    """Markdown rows: dense, sparse, then hybrid at each weight."""
    rows = ["| mode | keyword weight | " + " | ".join(MEASURES) + " |", "|---|---|" + "---|" * len(MEASURES)]
    with KnowledgeBase(Settings(home=home / "store", cache_dir=cache_dir)) as kb:
        ingest_beir(kb, beir, home)
        dense = kb.services.embedder.embed_queries([str(q["text"]) for q in beir.queries])
        runs: list[tuple[SearchMode, float]] = [("dense", 0.0), ("sparse", 0.0), *(("hybrid", w) for w in weights)]
        for mode, weight in runs:
            m = score(beir, dense, kb.services.store, mode, weight)
            rows.append(f"| {mode} | {weight if mode == 'hybrid' else '-'} | "
                        + " | ".join(f"{v:.3f}" for v in m.values()) + " |")
            print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("folder", type=Path)
    p.add_argument("--max-docs", type=int)
    p.add_argument("--max-queries", type=int)
    p.add_argument("--weights", default="0.3,0.5,0.75,1,1.5")
    args = p.parse_args(argv)
    beir = load_beir(args.folder, max_docs=args.max_docs, max_queries=args.max_queries)
    print(f"{beir.name}: {len(beir.docs)} documents, {len(beir.queries)} queries", flush=True)
    with tempfile.TemporaryDirectory(prefix="veille-sweep-") as tmp:
        sweep(beir, Path(tmp), [float(w) for w in args.weights.split(",")])


if __name__ == "__main__":
    main()
