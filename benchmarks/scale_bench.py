"""The embedded store (Qdrant Edge) as it grows: add, index build, open, memory, disk, latency, recall.

    python -m benchmarks.scale_bench --source-home DIR [--sizes 10000,100000,1000000] [--json]

The chunks of an ingested knowledge base (DIR, e.g. the one benchmarks/compare.py keeps) are
replicated with distinct ids into one store grown to each size in turn; vectors are reused, not
recomputed (copies of a vector get a little noise so that the index sees distinct points). Per
size: add time, optimize (HNSW build) time, open time after a restart, RSS, disk; dense, sparse,
hybrid and filtered (one language) p50/p95 with and without query embedding; recall@10 and @50 of
the indexed search against exact search. After the last size, 1,000 more chunks are added and
indexed (the incremental cost). `--budget-minutes` stops growing when the next size would not fit.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import machine, with_baseline, write_section
from veille.evaluation import percentiles
from veille.index.embedding.runtimes import load_embedder
from veille.index.hits import SearchFilters, SearchMode
from veille.index.keywords import encode_query
from veille.index.records import EmbedderInfo, Point
from veille.index.retrieval import search_vectors
from veille.index.stores import edge
from veille.index.stores.edge import EdgeStore
from veille.index.stores.migrate import EDGE_DIR, open_embedded

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT.parent / "shared" / "eval" / "kb-questions.jsonl"
NOISE = 0.02  # per-dimension noise on replicated vectors (cosine to the original ~0.98)


def _disk_mib(path: Path) -> float:
    """Blocks in use (Edge's files are sparse: their size overstates the disk they take)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) / 2**20


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def grow(store: EdgeStore, points: list[Point], start: int, stop: int, rng: np.random.Generator) -> None:
    """Add noisy copies-with-new-ids of `points` until the store holds `stop` chunks."""
    batch: list[Point] = []
    for i in range(start, stop):
        src = points[i % len(points)]
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"scale:{i}"))
        vec = np.asarray(src.dense, dtype=np.float32) + rng.normal(0, NOISE, len(src.dense)).astype(np.float32)
        vec /= np.linalg.norm(vec)
        payload = src.payload | {"chunk_id": cid, "doc_id": f"{src.payload['doc_id']}#{i // len(points)}"}
        batch.append(src.model_copy(update={"chunk_id": cid, "payload": payload, "dense": vec.tolist()}))
        if len(batch) == 1024:
            store.upsert(batch)
            batch = []
    if batch:
        store.upsert(batch)
    store.flush()


def timed(store: EdgeStore, queries: list[str], vectors: np.ndarray, embed: Any, mode: SearchMode,
          filters: SearchFilters) -> tuple[float, float]:
    """p50 and p95 (ms) of warm k=10 searches, the query embedded in the timing when `embed` is given."""
    times = []
    for i, q in enumerate([queries[0], *queries]):
        t = time.perf_counter()
        vec = (embed([q])[0] if embed else vectors[max(0, i - 1)]) if mode != "sparse" else None
        search_vectors(q, vec, store=store, k=10, mode=mode, filters=filters, per_doc=False)
        if i:  # the first one warms up
            times.append((time.perf_counter() - t) * 1000)
    return percentiles(times)


def recall(store: EdgeStore, vectors: np.ndarray, k: int, filters: SearchFilters) -> float:
    """Share of the exact top k that the indexed search returns."""
    flt = edge.edge_filter(filters)
    got = []
    for v in vectors:
        approx = store.nearest(v.tolist(), "dense", k, flt, edge.search_params(filters))
        exact = store.nearest(v.tolist(), "dense", k, flt, edge.qe.SearchParams(exact=True))
        want = {p["chunk_id"] for _, p in exact}
        got.append(len(want & {p["chunk_id"] for _, p in approx}) / max(1, len(want)))
    return float(np.mean(got))


OPEN_PROBE = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from veille.index.stores.edge import EdgeStore
store = EdgeStore(Path(sys.argv[1]))
opened = time.perf_counter() - start
store.count()
rss = next(int(x.split()[1]) / 1024 for x in open("/proc/self/status") if x.startswith("VmRSS:"))
print(json.dumps({"open_s": opened, "rss_open_mib": rss}))
store.close()
"""


def open_probe(folder: Path) -> dict[str, float]:
    """Open time (imports included) and RSS of a fresh process that opens the store, as after a restart."""
    out = subprocess.run([sys.executable, "-c", OPEN_PROBE, str(folder)], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def measure(folder: Path, info: EmbedderInfo, queries: list[str], size: int) -> dict[str, Any]:
    """Everything measured at one size, on a store reopened as after a restart."""
    row: dict[str, Any] = {"chunks": size} | open_probe(folder)
    store = EdgeStore(folder)
    store.open(info)
    embedder = load_embedder()
    vectors = embedder.embed_queries(queries)
    for q in queries:  # keyword analysers load on their first text (Kiwi ~4 s for Korean): not a store cost
        encode_query(q)
    fr = SearchFilters(lang=["fr"])
    for name, mode, flt in (("dense", "dense", SearchFilters()), ("sparse", "sparse", SearchFilters()),
                            ("hybrid", "hybrid", SearchFilters()), ("hybrid_fr", "hybrid", fr)):
        row[name] = timed(store, queries, vectors, None, mode, flt)  # type: ignore[arg-type]
        row[name + "_embed"] = timed(store, queries, vectors, embedder.embed_queries, mode, flt)  # type: ignore[arg-type]
    row |= {"recall10": recall(store, vectors, 10, SearchFilters()), "recall50": recall(store, vectors, 50,
            SearchFilters()), "recall50_fr": recall(store, vectors, 50, fr), "rss_mib": _rss_mib(),
            "disk_mib": _disk_mib(folder)}
    store.close()
    return row


def run(source_home: Path, sizes: list[int], folder: Path, n_queries: int, budget_s: float) -> list[dict[str, Any]]:
    """Grow one store through `sizes`, measuring at each, within the time budget."""
    src = open_embedded(source_home, "veille")
    info, points = src.stored_info(), list(src.export_points())
    src.close()
    if info is None or not points:
        raise SystemExit(f"{source_home}: no ingested knowledge base there")
    questions = [json.loads(x)["question"] for x in QUESTIONS.read_text().splitlines() if x.strip()]
    queries = (questions * (n_queries // len(questions) + 1))[:n_queries]
    rng, rows, have, began = np.random.default_rng(0), [], 0, time.perf_counter()
    for size in sizes:
        spent = time.perf_counter() - began
        if rows and spent + (spent / max(1, have)) * (size - have) * 1.5 > budget_s:
            print(f"stopping before {size:,}: it would not fit in the time budget", file=sys.stderr)
            break
        store = EdgeStore(folder)
        store.open(info)
        t = time.perf_counter()
        grow(store, points, have, size, rng)
        add_s = time.perf_counter() - t
        t = time.perf_counter()
        store.optimize()
        optimize_s = time.perf_counter() - t
        store.close()
        rows.append({"add_s": add_s, "optimize_s": optimize_s} | measure(folder, info, queries, size))
        have = size
        print(json.dumps(rows[-1]), flush=True)
    if rows:
        rows[-1] |= incremental(folder, info, points, have, rng)
    return rows


def incremental(folder: Path, info: EmbedderInfo, points: list[Point], have: int,
                rng: np.random.Generator) -> dict[str, float]:
    """1,000 new chunks into the grown store: add, then optimize."""
    store = EdgeStore(folder)
    store.open(info)
    t = time.perf_counter()
    grow(store, points, have, have + 1000, rng)
    add_s = time.perf_counter() - t
    t = time.perf_counter()
    store.optimize()
    out = {"incr_add_s": add_s, "incr_optimize_s": time.perf_counter() - t}
    store.close()
    return out


def write(rows: list[dict[str, Any]], command: str, n_queries: int, source_chunks: int) -> None:
    """The 'Embedded store at scale' section of BENCHMARKS.md."""
    lines = [f"Command: `{command}` on {machine()}. Qdrant Edge {edge.EDGE_VERSION}, the {source_chunks:,} chunks of "
             "the compared knowledge base replicated (noisy vector copies, distinct ids) into one store grown size "
             f"by size; {n_queries} warm k=10 searches per mode (kb-questions). Latency without / with query "
             "embedding; `fr` = hybrid filtered to French chunks; recall = indexed dense search against exact "
             "search; open = a new process importing the store and opening the folder, as after a restart, and "
             "RSS its memory then; RSS+model = the benchmark process after searching (embedder loaded).", "",
             "| chunks | add | optimize | open | dense p50/p95 | sparse p50/p95 | hybrid p50/p95 | hybrid+embed "
             "p50/p95 | fr p50/p95 | R@10 | R@50 | R@50 fr | RSS | RSS+model | disk |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ms = {k: f"{r[k][0]:.1f} / {r[k][1]:.1f} ms" for k in ("dense", "sparse", "hybrid", "hybrid_embed",
                                                              "hybrid_fr")}
        lines.append(f"| {r['chunks']:,} | {r['add_s']:.0f} s | {r['optimize_s']:.0f} s | {r['open_s']:.2f} s | "
                     f"{ms['dense']} | {ms['sparse']} | {ms['hybrid']} | {ms['hybrid_embed']} | {ms['hybrid_fr']} | "
                     f"{r['recall10']:.3f} | {r['recall50']:.3f} | {r['recall50_fr']:.3f} | "
                     f"{r['rss_open_mib']:.0f} MiB | {r['rss_mib']:.0f} MiB | {r['disk_mib']:.0f} MiB |")
    last = rows[-1]
    if "incr_add_s" in last:
        lines += ["", f"Incremental: 1,000 more chunks into the {last['chunks']:,}-chunk store were added in "
                      f"{last['incr_add_s']:.1f} s; optimize() then took {last['incr_optimize_s']:.1f} s (a new "
                      "segment below Edge's indexing threshold is left plain and searched exactly)."]
    lines += ["", f"Peak RSS of the whole run (optimize included): "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB."]
    path, title = ROOT / "BENCHMARKS.md", "Embedded store at scale" + (" (quick)" if "--quick" in command else "")
    write_section(path, title, with_baseline(path, title, "\n".join(lines)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--source-home", type=Path, required=True)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--queries", type=int, default=40)
    p.add_argument("--budget-minutes", type=float, default=30)
    p.add_argument("--json", action="store_true", help="Only the JSON lines (one object per size) on stdout.")
    p.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="veille-scale-") as tmp:
        rows = run(args.source_home, [int(s) for s in args.sizes.split(",")], Path(tmp) / EDGE_DIR, args.queries,
                   args.budget_minutes * 60)
    if args.json or not rows:
        return
    src = open_embedded(args.source_home, "veille")
    n = src.count()
    src.close()
    command = args.command or (f"python -m benchmarks.scale_bench --source-home DIR --sizes {args.sizes} "
                               f"--queries {args.queries}")
    write(rows, command, args.queries, n)


if __name__ == "__main__":
    main()
