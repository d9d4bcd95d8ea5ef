"""HNSW beam width against recall at one store size: which `hnsw_ef` reads 0.99 of the exact top 50.

    python -m benchmarks.ef_sweep --source-home DIR --size 1000000 --folder /tmp/s1m [--m 16 --ef-construct 100]

Grows (or reuses) an Edge store of `size` chunks in `folder` the way scale_bench does (noisy copies
of an ingested knowledge base's vectors), then, for each beam width, the kb-questions' dense top 50
against exact search: mean and worst recall, p50/p95 latency. Prints one JSON line per setting.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.scale_bench import QUESTIONS, grow
from veille.index.embedding.reembed import engine_of
from veille.index.embedding.runtimes import load_embedder
from veille.index.stores import edge
from veille.index.stores.edge import EdgeStore, qe
from veille.index.stores.migrate import open_embedded


def build(source_home: Path, folder: Path, size: int) -> EdgeStore:
    """The store of `size` chunks in `folder`, built once (add + optimize) and reused after."""
    src = open_embedded(source_home, "veille")
    info, points = src.stored_info(), list(src.export_points())
    src.close()
    if info is None:
        raise SystemExit(f"{source_home}: no ingested knowledge base there")
    store = EdgeStore(folder)
    store.open(info)
    if store.count() < size:
        start = time.perf_counter()
        grow(store, points, store.count(), size, np.random.default_rng(0))
        store.optimize()
        print(json.dumps({"built": size, "seconds": time.perf_counter() - start}), flush=True)
    return store


def sweep(store: EdgeStore, efs: list[int], runtime: str) -> list[dict[str, float]]:
    """Recall@50 (mean, worst) and latency of each beam width, exact search last."""
    info = store.stored_info()
    questions = [json.loads(x)["question"] for x in QUESTIONS.read_text().splitlines() if x.strip()]
    vectors = load_embedder(runtime=engine_of(info.runtime) if info else runtime).embed_queries(questions)
    exact = [{p["chunk_id"] for _, p in store.nearest(v.tolist(), "dense", 50, None, qe.SearchParams(exact=True))}
             for v in vectors]
    rows = []
    for ef in [*efs, 0]:
        params = qe.SearchParams(exact=True) if ef == 0 else qe.SearchParams(hnsw_ef=ef)
        recalls, times = [], []
        for v, want in zip(vectors, exact, strict=True):
            t = time.perf_counter()
            got = {p["chunk_id"] for _, p in store.nearest(v.tolist(), "dense", 50, None, params)}
            times.append((time.perf_counter() - t) * 1000)
            recalls.append(len(got & want) / 50)
        p50, p95 = np.percentile(times, [50, 95])
        rows.append({"ef": ef or "exact", "recall50": float(np.mean(recalls)), "worst": float(min(recalls)),
                     "p50_ms": float(p50), "p95_ms": float(p95)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--source-home", type=Path, required=True)
    p.add_argument("--folder", type=Path, required=True, help="Where the grown store is kept (reused if full).")
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--efs", default="1024,2048,4096,8192")
    p.add_argument("--m", type=int, default=edge.HNSW_M)
    p.add_argument("--ef-construct", type=int, default=edge.HNSW_EF_CONSTRUCT)
    args = p.parse_args(argv)
    edge.HNSW_M, edge.HNSW_EF_CONSTRUCT = args.m, args.ef_construct  # read when the store is created
    store = build(args.source_home, args.folder, args.size)
    sweep(store, [int(x) for x in args.efs.split(",")], "auto")
    store.close()


if __name__ == "__main__":
    main()
