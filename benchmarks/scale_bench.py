"""Search latency, memory and disk of the embedded (local-mode) store at 10k and 50k chunks.

    python -m benchmarks.scale_bench --source-home DIR [--sizes 10000,50000]

The chunks of an ingested knowledge base (DIR, e.g. one built from ../shared/corpus) are
replicated with distinct ids until each size is reached; vectors are reused, not recomputed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.report import machine, write_section
from index.embedder import load_embedder
from index.models import EmbedderInfo, Point, SearchFilters
from index.retrieval import search
from index.store import QdrantStore

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT.parent / "shared" / "eval" / "kb-questions.jsonl"


def _disk(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def build(points: list[Point], size: int, folder: Path, info: EmbedderInfo) -> QdrantStore:
    """A local store holding `size` copies-with-new-ids of `points`."""
    store = QdrantStore(path=folder)
    store.open(info)
    batch: list[Point] = []
    for i in range(size):
        src = points[i % len(points)]
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"scale:{i}"))
        payload = src.payload | {"chunk_id": cid, "doc_id": f"{src.payload['doc_id']}#{i // len(points)}"}
        batch.append(src.model_copy(update={"chunk_id": cid, "payload": payload}))
        if len(batch) == 512:
            store.upsert(batch)
            batch = []
    store.upsert(batch)
    return store


def measure(store: QdrantStore, queries: list[str], repeat: int = 3) -> dict[str, float]:
    """Warm hybrid search latency (embedding included) over the queries."""
    embedder = load_embedder()
    search(queries[0], embedder=embedder, store=store)  # warm up
    lat = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            search(q, embedder=embedder, store=store, k=10, filters=SearchFilters())
            lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return {"p50": statistics.median(lat), "p95": lat[int(0.95 * len(lat)) - 1]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--source-home", type=Path, required=True)
    p.add_argument("--sizes", default="10000,50000")
    args = p.parse_args()
    src = QdrantStore(path=args.source_home / "qdrant")
    info = src.stored_info()
    points = list(src.export_points())
    src.close()
    assert info is not None and points, "the source knowledge base is empty"
    queries = [json.loads(x)["question"] for x in QUESTIONS.read_text().splitlines() if x.strip()]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            store = build(points, size, Path(tmp) / "q", info)
            load_s = time.perf_counter() - start
            lat = measure(store, queries)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows.append(f"| {size:,} | {load_s:.0f} s | {lat['p50']:.0f} ms | {lat['p95']:.0f} ms | "
                        f"{rss:.0f} MiB | {_disk(Path(tmp) / 'q'):.0f} MiB |")
            store.close()
            print(rows[-1], flush=True)
    body = "\n".join([f"Command: `python -m benchmarks.scale_bench --source-home DIR --sizes {args.sizes}` on "
                      f"{machine()}. Chunks of the ingested ../shared/corpus replicated with distinct ids; "
                      "hybrid search, k=10, the 15 kb-questions × 3, query embedding included.", "",
                      "| chunks | build | p50 | p95 | peak RSS (process) | disk |", "|---|---|---|---|---|---|", *rows])
    print(body)
    write_section(ROOT / "BENCHMARKS.md", "Embedded store at scale", body)


if __name__ == "__main__":
    main()
