"""Search latency, memory, disk and open time of the embedded (local-mode) store as it grows.

    python -m benchmarks.scale_bench --source-home DIR [--sizes 10000,50000,100000]

The chunks of an ingested knowledge base (DIR, e.g. the one benchmarks/compare.py keeps) are
replicated with distinct ids into one store grown to each size in turn; vectors are reused, not
recomputed. Latency is warm (query embedding included), hybrid and dense, k=10.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.report import machine, write_section
from veille.evaluation import percentiles
from veille.index.embedder import Embedder, load_embedder
from veille.index.models import EmbedderInfo, Point, SearchMode
from veille.index.retrieval import search
from veille.index.store import QdrantStore

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT.parent / "shared" / "eval" / "kb-questions.jsonl"
INTERACTIVE_MS = 500  # past this p50, search no longer feels interactive


def _disk_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _rss_mib() -> float:
    """Current resident memory of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def grow(store: QdrantStore, points: list[Point], start: int, stop: int) -> None:
    """Add copies-with-new-ids of `points` until the store holds `stop` chunks."""
    batch: list[Point] = []
    for i in range(start, stop):
        src = points[i % len(points)]
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"scale:{i}"))
        payload = src.payload | {"chunk_id": cid, "doc_id": f"{src.payload['doc_id']}#{i // len(points)}"}
        batch.append(src.model_copy(update={"chunk_id": cid, "payload": payload}))
        if len(batch) == 512:
            store.upsert(batch)
            batch = []
    if batch:
        store.upsert(batch)


def timed(store: QdrantStore, embedder: Embedder, queries: list[str], mode: SearchMode) -> tuple[float, float]:
    """p50 and p95 (ms) of warm searches, query embedding included."""
    search(queries[0], embedder=embedder, store=store, mode=mode)
    times = []
    for q in queries:
        t = time.perf_counter()
        search(q, embedder=embedder, store=store, k=10, mode=mode)
        times.append((time.perf_counter() - t) * 1000)
    return percentiles(times)


def run(source_home: Path, sizes: list[int], folder: Path, n_queries: int) -> list[dict[str, Any]]:
    """Grow one store through `sizes`; measure at each."""
    src = QdrantStore(path=source_home / "qdrant")
    info = src.stored_info()
    points = list(src.export_points())
    src.close()
    if info is None or not points:
        raise SystemExit(f"{source_home}: no ingested knowledge base there")
    questions = [json.loads(x)["question"] for x in QUESTIONS.read_text().splitlines() if x.strip()]
    queries = (questions * (n_queries // len(questions) + 1))[:n_queries]
    embedder, rows, have = load_embedder(), [], 0
    for size in sizes:
        store = _open(folder, info)
        start = time.perf_counter()
        grow(store, points, have, size)
        build = time.perf_counter() - start
        store.close()
        start = time.perf_counter()
        store = _open(folder, info)  # local mode reads every point into memory when it opens
        open_s = time.perf_counter() - start
        hybrid, dense = timed(store, embedder, queries, "hybrid"), timed(store, embedder, queries, "dense")
        rows.append({"chunks": size, "build_s": build, "open_s": open_s, "hybrid": hybrid, "dense": dense,
                     "rss_mib": _rss_mib(), "disk_mib": _disk_mib(folder)})
        store.close()
        have = size
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _open(folder: Path, info: EmbedderInfo) -> QdrantStore:
    store = QdrantStore(path=folder)
    store.open(info)
    return store


def write(rows: list[dict[str, Any]], command: str, n_queries: int, source_chunks: str) -> None:
    """The 'Embedded store at scale' section of BENCHMARKS.md."""
    lines = [f"Command: `{command}` on {machine()}. The {source_chunks} chunks of the compared knowledge base "
             f"replicated with distinct ids into one store grown size by size; {n_queries} warm searches per mode "
             "(kb-questions, query embedding included), k=10. Open = time for qdrant-client to load the folder.", "",
             "| chunks | added in | open | hybrid p50 / p95 | dense p50 / p95 | RSS after | disk |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['chunks']:,} | {r['build_s']:.0f} s | {r['open_s']:.1f} s | {r['hybrid'][0]:.0f} / "
                     f"{r['hybrid'][1]:.0f} ms | {r['dense'][0]:.0f} / {r['dense'][1]:.0f} ms | {r['rss_mib']:.0f} MiB "
                     f"| {r['disk_mib']:.0f} MiB |")
    slow = next((r["chunks"] for r in rows if r["hybrid"][0] > INTERACTIVE_MS), None)
    lines += ["", f"Crossover (first size whose hybrid p50 exceeds {INTERACTIVE_MS} ms): "
                  + (f"{slow:,} chunks." if slow else "not reached at these sizes.")]
    section = "Embedded store at scale" + (" (quick)" if "--quick" in command else "")
    write_section(ROOT / "BENCHMARKS.md", section, "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--source-home", type=Path, required=True)
    p.add_argument("--sizes", default="10000,50000,100000")
    p.add_argument("--queries", type=int, default=20)
    p.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="veille-scale-") as tmp:
        rows = run(args.source_home, [int(s) for s in args.sizes.split(",")], Path(tmp) / "q", args.queries)
    src = QdrantStore(path=args.source_home / "qdrant")
    n = sum(1 for _ in src.export_points())
    src.close()
    command = args.command or (f"python -m benchmarks.scale_bench --source-home DIR --sizes {args.sizes} "
                               f"--queries {args.queries}")
    write(rows, command, args.queries, f"{n:,}")


if __name__ == "__main__":
    main()
